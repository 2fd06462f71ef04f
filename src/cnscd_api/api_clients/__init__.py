"""Partners' API clients (client credentials), managed by the province admin."""
