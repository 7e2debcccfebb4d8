"""The warehouse: SQLAlchemy 2 models, engine and migrations (SQLite by default, PostgreSQL by URL)."""
