"""Team members: scoped CRUD with membership history, masking, import and export."""
