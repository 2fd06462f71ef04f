"""Activity reports: what teams did, reviewed up the tiers, recorded safely from phones."""
