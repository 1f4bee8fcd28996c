"""The result manager's database: tables, engine and migrations."""
