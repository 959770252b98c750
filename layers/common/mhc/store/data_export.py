"""SQL for exporting and restoring every table, read from the catalog (so tables added by later
migrations are included without a change here).

A row travels as `row_to_json(t)` text: PostgreSQL's own exact rendering of every type (times
with microseconds in UTC, bigints, floats that round-trip, jsonb, arrays, bytea as hex), read
back with `json_populate_record`. The rendering is pinned (time zone, float digits, interval and
bytea styles) and rows are ordered by primary key under the "C" collation, so the same rows give
the same bytes on any server: the export's checksums can be re-computed after a restore.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from mhc.db.connection import Conn

#: The migration runner's own table: the export records it as the schema version instead.
MIGRATIONS_TABLE = "schema_migrations"
#: Rows go through COPY in blocks of this many lines.
_COPY_BLOCK = 2000


@dataclass(frozen=True)
class TableInfo:
    """One table as the catalog describes it."""

    name: str
    #: Columns a restore writes, in table order (generated columns excluded).
    columns: tuple[str, ...]
    #: The primary key columns; `collatable` marks those ordered under the "C" collation.
    primary_key: tuple[str, ...]
    collatable: frozenset[str]
    #: Tables this one's foreign keys point at (itself excluded).
    references: frozenset[str]
    #: Sequences behind identity or serial columns, by column.
    sequences: tuple[tuple[str, str], ...]


def pin_rendering(conn: Conn) -> None:
    """Make `row_to_json` output independent of the server's and session's settings (call inside
    the transaction that reads)."""
    conn.execute("SET LOCAL timezone = 'UTC'")
    conn.execute("SET LOCAL extra_float_digits = 1")
    conn.execute("SET LOCAL intervalstyle = 'postgres'")
    conn.execute("SET LOCAL bytea_output = 'hex'")


def tables(conn: Conn) -> list[TableInfo]:
    """Every ordinary table of the current schema except the migrations table, by name."""
    rows = conn.execute(
        """
        SELECT c.oid, c.relname AS name,
               array(SELECT a.attname::text FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                       AND a.attgenerated = ''
                     ORDER BY a.attnum) AS columns,
               array(SELECT a.attname::text
                     FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                     WHERE i.indrelid = c.oid AND i.indisprimary
                     ORDER BY k.position) AS primary_key,
               array(SELECT a.attname::text FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                       AND a.attcollation <> 0) AS collatable,
               array(SELECT DISTINCT f.confrelid::regclass::text FROM pg_constraint f
                     WHERE f.conrelid = c.oid AND f.contype = 'f'
                       AND f.confrelid <> c.oid) AS references
        FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.relname <> %s
        ORDER BY c.relname
        """,
        (MIGRATIONS_TABLE,),
    ).fetchall()
    result = []
    for row in rows:
        sequences = conn.execute(
            """SELECT s.column, s.sequence FROM (
                   SELECT a.attnum, a.attname::text AS column,
                          pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) AS sequence
                   FROM pg_attribute a
                   WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped) s
               WHERE s.sequence IS NOT NULL ORDER BY s.attnum""",
            (row["oid"],),
        ).fetchall()
        result.append(
            TableInfo(
                name=row["name"],
                columns=tuple(row["columns"]),
                primary_key=tuple(row["primary_key"]),
                collatable=frozenset(row["collatable"]),
                references=frozenset(row["references"]),
                sequences=tuple((s["column"], s["sequence"]) for s in sequences),
            )
        )
    return result


def applied_migrations(conn: Conn) -> list[dict[str, Any]]:
    """The applied migrations (version, name, checksum), oldest first; empty when unmigrated."""
    exists = conn.execute("SELECT to_regclass(%s) AS t", (MIGRATIONS_TABLE,)).fetchone()
    if exists is None or exists["t"] is None:
        return []
    return conn.execute(
        "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
    ).fetchall()


def _order(table: TableInfo) -> sql.Composable:
    if not table.primary_key:  # no key: order by the rendering itself
        return sql.SQL('row_to_json(t)::text COLLATE "C"')
    return sql.SQL(", ").join(
        sql.SQL('{} COLLATE "C"').format(sql.Identifier("t", column))
        if column in table.collatable
        else sql.Identifier("t", column)
        for column in table.primary_key
    )


def rows_as_json(conn: Conn, table: TableInfo) -> Iterator[str]:
    """The table's rows as JSON text, one per row, in primary-key order (call `pin_rendering`
    first, in the same transaction)."""
    query = sql.SQL("COPY (SELECT row_to_json(t)::text FROM {} t ORDER BY {}) TO STDOUT").format(
        sql.Identifier(table.name), _order(table)
    )
    with conn.cursor() as cur, cur.copy(query) as copy:
        for (line,) in copy.rows():
            yield line


def count(conn: Conn, table: TableInfo) -> int:
    row = conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier(table.name))
    ).fetchone()
    return int(row["n"]) if row else 0


_FROM_MIGRATIONS = sql.SQL("t.xmin::text IN (SELECT m.xmin::text FROM " + MIGRATIONS_TABLE + " m)")


def rows_not_from_migrations(conn: Conn, table: TableInfo) -> int:
    """Rows other than those a migration inserted (reference rows such as the system watchlists
    and the default jobs). A row written by a migration carries the transaction id of its
    `schema_migrations` row, until anything updates it."""
    row = conn.execute(
        sql.SQL("SELECT count(*) AS n FROM {} t WHERE NOT ({})").format(
            sql.Identifier(table.name), _FROM_MIGRATIONS
        )
    ).fetchone()
    return int(row["n"]) if row else 0


def delete_rows_from_migrations(conn: Conn, table: TableInfo) -> int:
    """Remove the reference rows the migrations inserted (the export carries their current form)."""
    cur = conn.execute(
        sql.SQL("DELETE FROM {} t WHERE {}").format(sql.Identifier(table.name), _FROM_MIGRATIONS)
    )
    return cur.rowcount


def lock(conn: Conn, table: TableInfo) -> None:
    """Keep writers out of `table` until the transaction ends (readers are not blocked)."""
    conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(sql.Identifier(table.name)))


def load_json_rows(conn: Conn, table: TableInfo, lines: Iterable[str]) -> int:
    """Insert JSON rows (as `rows_as_json` wrote them) with one INSERT, so statement triggers
    fire once; identity values are kept as exported. Returns the number of rows."""
    # Rows go in as exported: triggers that derive rows of their own stand aside (migration
    # 0013); the ones that keep counts still run, so the counts are rebuilt and checked.
    conn.execute("SET LOCAL mhc.restoring = 'on'")
    conn.execute(
        # Emptied in place at commit (decision 32): no catalog churn per table.
        "CREATE TEMP TABLE IF NOT EXISTS mhc_restore_rows (doc json) ON COMMIT DELETE ROWS"
    )
    written = 0
    with conn.cursor() as cur, cur.copy("COPY mhc_restore_rows (doc) FROM STDIN") as copy:
        block: list[str] = []
        for line in lines:
            # row_to_json escapes every control character, so only backslashes need escaping.
            block.append(line.replace("\\", "\\\\"))
            if len(block) >= _COPY_BLOCK:
                copy.write("\n".join(block) + "\n")
                written += len(block)
                block = []
        if block:
            copy.write("\n".join(block) + "\n")
            written += len(block)
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.columns)
    conn.execute(
        sql.SQL(
            "INSERT INTO {table} ({columns}) OVERRIDING SYSTEM VALUE "
            "SELECT {values} FROM mhc_restore_rows s, "
            "LATERAL json_populate_record(NULL::{table}, s.doc) r"
        ).format(
            table=sql.Identifier(table.name),
            columns=columns,
            values=sql.SQL(", ").join(sql.Identifier("r", c) for c in table.columns),
        )
    )
    return written


def reset_sequences(conn: Conn, table: TableInfo) -> None:
    """Point each identity/serial sequence past the highest value now in the table."""
    for column, sequence in table.sequences:
        conn.execute(
            sql.SQL(
                "SELECT setval(%s::regclass, coalesce(max({column}), 0) + 1, false) FROM {table}"
            ).format(column=sql.Identifier(column), table=sql.Identifier(table.name)),
            (sequence,),
        )
