"""SQL for attributes: the owner's key/value memory about a person, with evidence."""

from __future__ import annotations

from collections.abc import Sequence

from mhc.db.connection import Conn
from mhc.domain.models import Attribute, Confidence, EvidenceKind

COLUMNS = (
    "a.id, a.person_id, a.key, a.value, a.confidence, a.evidence_kind, a.snapshot_id, "
    "a.interaction_id, a.evidence_note, a.created_at, a.updated_at"
)


def upsert(
    conn: Conn,
    person_id: int,
    key: str,
    value: str,
    *,
    confidence: Confidence,
    evidence_kind: EvidenceKind,
    snapshot_id: int | None,
    interaction_id: int | None,
    evidence_note: str | None,
) -> Attribute:
    row = conn.execute(
        f"""INSERT INTO attributes AS a (person_id, key, value, confidence, evidence_kind,
                                         snapshot_id, interaction_id, evidence_note)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (person_id, key) DO UPDATE SET
                value = EXCLUDED.value, confidence = EXCLUDED.confidence,
                evidence_kind = EXCLUDED.evidence_kind, snapshot_id = EXCLUDED.snapshot_id,
                interaction_id = EXCLUDED.interaction_id, evidence_note = EXCLUDED.evidence_note,
                updated_at = now()
            RETURNING {COLUMNS}""",
        (
            person_id,
            key,
            value,
            confidence.value,
            evidence_kind.value,
            snapshot_id,
            interaction_id,
            evidence_note,
        ),
    ).fetchone()
    return Attribute.model_validate(row)


def of_person(conn: Conn, person_ids: Sequence[int]) -> list[Attribute]:
    """The attributes of a person's rows, one per key: the first row's (the survivor) wins."""
    rows = conn.execute(
        f"""SELECT DISTINCT ON (a.key) {COLUMNS} FROM attributes a
            WHERE a.person_id = ANY(%(ids)s)
            ORDER BY a.key, array_position(%(ids)s, a.person_id)""",
        {"ids": list(person_ids)},
    ).fetchall()
    return [Attribute.model_validate(row) for row in rows]


def delete(conn: Conn, person_id: int, key: str) -> bool:
    cur = conn.execute("DELETE FROM attributes WHERE person_id = %s AND key = %s", (person_id, key))
    return cur.rowcount == 1


def snapshot_belongs_to(conn: Conn, snapshot_id: int, person_ids: Sequence[int]) -> bool:
    row = conn.execute(
        "SELECT 1 FROM snapshots WHERE id = %s AND person_id = ANY(%s)",
        (snapshot_id, list(person_ids)),
    ).fetchone()
    return row is not None


def interaction_belongs_to(conn: Conn, interaction_id: int, person_ids: Sequence[int]) -> bool:
    row = conn.execute(
        "SELECT 1 FROM interactions WHERE id = %s AND person_id = ANY(%s)",
        (interaction_id, list(person_ids)),
    ).fetchone()
    return row is not None
