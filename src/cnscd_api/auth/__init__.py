"""Authentication: tokens, refresh rotation, login throttling and the current caller."""
