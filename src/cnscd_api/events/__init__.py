"""The change feed: every committed change the caller may read, in commit order."""
