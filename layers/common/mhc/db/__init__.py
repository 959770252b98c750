"""Database access: connection handling, the migration runner and the embedded local server."""

from mhc.db.connection import Database, connect

__all__ = ["Database", "connect"]
