"""Teams (Tổ công nghệ số cộng đồng): scoped CRUD, lists with counts, export."""
