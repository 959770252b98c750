"""Imported chat joins the right person's history: a past name (rename) finds the person it
belongs to now, a merged row counts as its survivor, an excluded person's lines are kept on
their own page but left out of what the audience counts; history moves a first sighting back."""

from __future__ import annotations

import json
from datetime import timedelta

from chat.support import OWNER
from fakes.clock import FakeClock
from fakes.statbate_plus import FakeMessage, FakePlus, har_for_room, make_messages
from helpers import seen
from mhc.config import Settings
from mhc.db.connection import Database
from mhc.services import chat_import, interactions, persons, sessions


def said_by(name: str, text: str, base: FakeMessage) -> FakeMessage:
    raw = {**base.raw, "username": name, "message": text}
    return FakeMessage(raw, name, text, base.occurred_at, base.room, base.message_id)


def import_room(db: Database, settings: Settings, clock: FakeClock, fake: FakePlus) -> None:
    chat_import.import_capture(
        db,
        json.dumps(har_for_room(fake, OWNER)).encode(),
        owner=OWNER,
        field_map=settings.statbate_plus_field_map(),
        clock=clock,
    )


def test_a_past_name_a_merged_row_and_an_excluded_person(
    db: Database, settings: Settings, clock: FakeClock, fake: FakePlus
) -> None:
    base = sorted(make_messages(4, room=OWNER, shape="shape_a"), key=lambda m: m.occurred_at)
    first = base[0].occurred_at
    # Given a person renamed (Statbate's id under a new name): the old name is an alias now
    renamed, _ = seen(db, "old_name", did=77, at=first + timedelta(days=30))
    seen(db, "new_name", did=77, at=first + timedelta(days=31))
    # And two rows the owner merged into one human
    survivor, _ = seen(db, "main_row", at=first + timedelta(days=30))
    other, _ = seen(db, "second_row", at=first + timedelta(days=30))
    persons.merge(db, survivor.id, other.id)
    # And the excluded viewer
    excluded, _ = seen(db, "smk_lover", at=first + timedelta(days=30))
    # When Plus's older history of the room names them by the names they had then
    fake.add_room(
        OWNER,
        [
            said_by("old_name", "said under the old name", base[0]),
            said_by("second_row", "said by the merged row", base[1]),
            said_by("smk_lover", "said by the excluded one", base[2]),
            said_by("someone_new", "said by a stranger", base[3]),
        ],
    )
    sessions.start(db, clock=lambda: first - timedelta(minutes=1))
    sessions.end(db, clock=lambda: first + timedelta(hours=1))
    import_room(db, settings, clock, fake)
    # Then the renamed person's history has the old-name line, no new person was made for it
    with db.transaction() as conn:
        assert persons.by_current_name(conn, "old_name") is None
    timeline = interactions.of_person(db, renamed.id).items
    assert [i.content for i in timeline] == ["said under the old name"]
    assert timeline[0].person_username == "new_name"
    # And the merged row's line is the survivor's
    assert [i.content for i in interactions.of_person(db, survivor.id).items] == [
        "said by the merged row"
    ]
    # And the excluded person's line is on their own page, but nowhere the audience counts
    assert [i.content for i in interactions.of_person(db, excluded.id).items] == [
        "said by the excluded one"
    ]
    (session,) = sessions.list_recent(db)
    detail = sessions.detail(db, session.id, owner=OWNER, clock=clock)
    assert detail.stats.interactions == 3
    assert "said by the excluded one" not in [i.content for i in detail.interactions.items]
    assert interactions.search(db, "excluded").items == []
    # And Plus's older lines moved their first sightings back; the stranger was created seen
    with db.transaction() as conn:
        renamed_now = persons.get(conn, renamed.id)
        stranger = persons.by_current_name(conn, "someone_new")
    assert renamed_now.first_seen_at == base[0].occurred_at
    assert stranger is not None
    assert stranger.first_seen_at == stranger.last_seen_at == base[3].occurred_at
    assert stranger.role.value == "VIEWER"
