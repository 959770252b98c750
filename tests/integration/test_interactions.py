from datetime import UTC, datetime, timedelta

import pytest
from helpers import person_id
from mhc.db.connection import Database
from mhc.domain.errors import InvalidInput
from mhc.domain.models import InteractionSource, InteractionType, NewInteraction
from mhc.services import interactions
from mhc.store import interactions as store

T0 = datetime(2026, 4, 1, 20, 0, tzinfo=UTC)


def _chat(pid: int, n: int, content: str = "hello there", **kw: object) -> NewInteraction:
    return NewInteraction(
        person_id=pid,
        type=kw.pop("type", InteractionType.CHAT_MESSAGE),  # type: ignore[arg-type]
        source=kw.pop("source", InteractionSource.CB_EVENTS),  # type: ignore[arg-type]
        external_id=f"{1_700_000_000_000 + n}-0",
        occurred_at=T0 + timedelta(seconds=n),
        broadcaster="owner_name",
        content=content,
        **kw,  # type: ignore[arg-type]
    )


def _pid(db: Database, name: str = "chatty") -> int:
    return person_id(db, name, at=T0)


def test_ingest_is_idempotent_on_source_and_external_id(db: Database) -> None:
    pid = _pid(db)
    with db.transaction() as conn:
        first, new = interactions.record(conn, _chat(pid, 1))
        again, new_again = interactions.record(conn, _chat(pid, 1, content="changed"))
        # The same external id from another source is a different interaction.
        _, other_source = interactions.record(
            conn, _chat(pid, 1, source=InteractionSource.STATBATE_PLUS)
        )
    assert (new, new_again, other_source) == (True, False, True)
    assert again.id == first.id
    assert again.content == "hello there"


def test_bulk_append_is_idempotent(db: Database) -> None:
    pid = _pid(db)
    batch = [_chat(pid, n) for n in range(100)]
    with db.transaction() as conn:
        assert interactions.append_fresh(conn, batch) == 100
    with db.transaction() as conn:
        assert interactions.append_fresh(conn, [*batch, _chat(pid, 100)]) == 1
        row = conn.execute("SELECT count(*) AS n FROM interactions").fetchone()
        assert row is not None
        assert row["n"] == 101


def test_keyset_pages_cover_everything_once(db: Database) -> None:
    pid = _pid(db)
    with db.transaction() as conn:
        # Several rows share a timestamp: the id breaks ties.
        interactions.append_fresh(
            conn,
            [_chat(pid, n // 3).model_copy(update={"external_id": f"x{n}"}) for n in range(25)],
        )
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = interactions.of_person(db, pid, limit=7, cursor=cursor)
        seen += [item.id for item in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 4
    assert len(seen) == len(set(seen)) == 25


def test_filters_by_type_source_and_time(db: Database) -> None:
    pid = _pid(db)
    with db.transaction() as conn:
        interactions.record(conn, _chat(pid, 1))
        interactions.record(
            conn, _chat(pid, 2, type=InteractionType.TIP_EVENT, metadata={"tokens": 25})
        )
        interactions.record(
            conn,
            _chat(pid, 3, source=InteractionSource.STATBATE_PLUS, type=InteractionType.CHAT_IMPORT),
        )
    tips = interactions.of_person(db, pid, types=(InteractionType.TIP_EVENT,))
    imports = interactions.of_person(db, pid, sources=(InteractionSource.STATBATE_PLUS,))
    window = interactions.of_person(
        db, pid, since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=3)
    )
    assert [i.metadata for i in tips.items] == [{"tokens": 25}]
    assert [i.type for i in imports.items] == [InteractionType.CHAT_IMPORT]
    assert [i.occurred_at for i in window.items] == [T0 + timedelta(seconds=2)]
    with pytest.raises(InvalidInput, match="since"):
        interactions.of_person(db, pid, since=T0, until=T0 - timedelta(1))


def test_excluded_persons_are_left_out_unless_asked(db: Database) -> None:
    pid = _pid(db)
    excluded = _pid(db, "smk_lover")
    with db.transaction() as conn:
        interactions.record(conn, _chat(pid, 1))
        interactions.record(conn, _chat(excluded, 2))
    # The room's history and search leave the excluded person out ...
    with db.transaction() as conn:
        room = interactions.in_room(conn, "owner_name", since=T0, until=T0 + timedelta(hours=1))
    assert [i.person_id for i in room.items] == [pid]
    assert len(interactions.search(db, "hello").items) == 1
    assert len(interactions.search(db, "hello", include_excluded=True).items) == 2
    # ... while the excluded person's own page still shows their history
    assert len(interactions.of_person(db, excluded).items) == 1


def test_every_read_names_the_person_by_their_current_name(db: Database) -> None:
    pid = _pid(db)
    with db.transaction() as conn:
        recorded, _ = interactions.record(conn, _chat(pid, 1, content="purple"))
        conn.execute("UPDATE persons SET username = 'renamed_now' WHERE id = %s", (pid,))
        fetched = store.get_by_external_id(conn, InteractionSource.CB_EVENTS, recorded.external_id)
    assert recorded.person_username == "chatty"
    assert fetched is not None
    assert fetched.person_username == "renamed_now"
    listed = interactions.of_person(db, pid).items
    found = interactions.search(db, "purple").items
    assert [i.person_username for i in [*listed, *found]] == ["renamed_now", "renamed_now"]


def test_full_text_search(db: Database) -> None:
    pid = _pid(db)
    with db.transaction() as conn:
        interactions.record(conn, _chat(pid, 1, content="Loved the purple lights tonight!"))
        interactions.record(conn, _chat(pid, 2, content="see you tomorrow"))
        interactions.record(conn, _chat(pid, 3, content="purple again"))
    found = interactions.search(db, "purple")
    assert [i.content for i in found.items] == ["purple again", "Loved the purple lights tonight!"]
    assert [i.content for i in interactions.search(db, '"purple lights"').items] == [
        "Loved the purple lights tonight!"
    ]
    assert interactions.search(db, "nothing-matches-this").items == []
    with pytest.raises(InvalidInput):
        interactions.search(db, "   ")


def test_fresh_append_falls_back_when_some_rows_already_exist(db: Database) -> None:
    # Given rows expected to be new, one of which is already stored
    pid = _pid(db)
    with db.transaction() as conn:
        interactions.append_fresh(conn, [_chat(pid, 5)])
    batch = [_chat(pid, n) for n in range(10)]
    # When they are appended on the fast path
    with db.transaction() as conn:
        added = interactions.append_fresh(conn, batch)
    # Then the conflict is skipped, not fatal, and nothing is doubled
    assert added == 9
    with db.transaction() as conn:
        row = conn.execute("SELECT count(*) AS n FROM interactions").fetchone()
    assert row == {"n": 10}
