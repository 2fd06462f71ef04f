"""Who carries the load of a campaign, which teams fell silent, and who reports on time."""
