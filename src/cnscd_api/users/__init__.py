"""User accounts: scoped CRUD with the anti-escalation rules of PERMISSIONS.md."""
