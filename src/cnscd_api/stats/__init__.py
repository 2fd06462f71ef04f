"""Dashboard statistics: aggregates kept with every write, and the endpoints reading them."""
