"""The workspace: one DuckDB file holding everything of a census (`Workspace`), its tables and migrations
(`schema`), and the questions every stage asks of it (`queries`)."""

from .store import DEFAULT_DB, ROW_GROUP_SIZE, Workspace, resolve_db

__all__ = ["DEFAULT_DB", "ROW_GROUP_SIZE", "Workspace", "resolve_db"]
