import threading
from datetime import UTC, datetime, timedelta

import pytest
from mhc.db.connection import Database
from mhc.domain.errors import Conflict, InvalidInput
from mhc.domain.models import AliasSource
from mhc.domain.persons import Resolution
from mhc.domain.roles import Role
from mhc.services import persons
from mhc.store import persons as person_store

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def ensure(db: Database, name: str, **kwargs: object):  # type: ignore[no-untyped-def]
    at = kwargs.pop("at", T0)
    with db.transaction() as conn:
        return persons.find_or_create(conn, name, seen_at=at, **kwargs)  # type: ignore[arg-type]


def test_find_or_create_is_idempotent_and_case_insensitive(db: Database) -> None:
    first, how = ensure(db, "Alice_Cam")
    again, how_again = ensure(db, "alice_cam")
    assert how is Resolution.NEW
    assert how_again is Resolution.EXISTING
    assert again.id == first.id
    assert first.username == "alice_cam"


def test_rename_via_same_did_makes_an_alias_not_a_duplicate(db: Database) -> None:
    # Given a member known as old_name with Statbate did 288077
    old, _ = ensure(db, "old_name", did=288077, at=T0)
    # When Statbate reports the same did under a new name a day later
    renamed, how = ensure(db, "new_name", did=288077, at=T0 + timedelta(days=1))
    # Then it is the same person, renamed, with the old name kept as an alias
    assert how is Resolution.RENAMED
    assert renamed.id == old.id
    assert renamed.username == "new_name"
    with db.transaction() as conn:
        aliases = persons.aliases_of(conn, old.id)
        assert person_store.count(conn) == 1
    assert [(a.username, a.valid_from, a.valid_to, a.source) for a in aliases] == [
        ("old_name", T0, T0 + timedelta(days=1), AliasSource.STATBATE_DID)
    ]


def test_lookups_by_old_and_new_names_reach_one_person(db: Database) -> None:
    old, _ = ensure(db, "first_name", rid=77, role=Role.MODEL)
    ensure(db, "second_name", rid=77, at=T0 + timedelta(hours=1))
    # The owner's search finds the person under either name
    by_old = persons.search(db, "FIRST_NAME")
    by_new = persons.search(db, "second_name")
    assert [p.id for p in by_old] == [p.id for p in by_new] == [old.id]
    # find-or-create with the old name does not create anyone either
    again, how = ensure(db, "FIRST_NAME")
    assert (again.id, how) == (old.id, Resolution.ALIAS)
    new, how_new = ensure(db, "second_name")
    assert (new.id, how_new) == (old.id, Resolution.EXISTING)


def test_current_name_with_different_did_is_a_conflict_and_writes_nothing(db: Database) -> None:
    ensure(db, "taken_name", did=1)
    with pytest.raises(Conflict):
        ensure(db, "taken_name", did=2)
    with db.transaction() as conn:
        assert person_store.count(conn) == 1


def test_smk_lover_is_excluded_and_filtered(db: Database) -> None:
    excluded, _ = ensure(db, "SMK_Lover")
    ensure(db, "smk_lovely")
    assert excluded.is_excluded
    assert [p.username for p in persons.search(db, "smk")] == ["smk_lovely"]
    assert {p.username for p in persons.search(db, "smk", include_excluded=True)} == {
        "smk_lover",
        "smk_lovely",
    }
    with db.transaction() as conn:
        assert person_store.count(conn) == 1
        assert person_store.count(conn, include_excluded=True) == 2


@pytest.mark.parametrize("bad", ["", "bad name", "drop;table", "x" * 65])
def test_invalid_usernames_are_rejected_with_a_clear_error(db: Database, bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        ensure(db, bad)
    assert info.value.field == "username"


def test_roles_merge_and_manual_override_sticks(db: Database) -> None:
    viewer, _ = ensure(db, "dual_person", role=Role.VIEWER)
    both, _ = ensure(db, "dual_person", role=Role.MODEL)
    assert (viewer.role, both.role) == (Role.VIEWER, Role.BOTH)
    manual = persons.update(db, both.id, change_role=True, role=Role.VIEWER)
    assert manual.role_is_manual
    after, _ = ensure(db, "dual_person", role=Role.MODEL)
    assert after.role is Role.VIEWER
    released = persons.update(db, both.id, change_role=True, role=None)
    assert not released.role_is_manual


def test_seen_window_widens(db: Database) -> None:
    ensure(db, "window", at=T0)
    ensure(db, "window", at=T0 - timedelta(days=3))
    person, _ = ensure(db, "window", at=T0 + timedelta(days=3))
    assert person.first_seen_at == T0 - timedelta(days=3)
    assert person.last_seen_at == T0 + timedelta(days=3)


def test_concurrent_creates_of_one_name_make_one_person(database_url: str) -> None:
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def worker() -> None:
        db = Database(database_url)
        barrier.wait()
        person, _ = ensure(db, "racy_name")
        ids.append(person.id)
        db.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ids) == 4
    assert len(set(ids)) == 1


def test_manual_alias_and_exclusion(db: Database) -> None:
    person, _ = ensure(db, "current_name")
    persons.link_alias(db, person.id, "Older_Name", clock=lambda: T0)
    found, how = ensure(db, "older_name")
    assert (found.id, how) == (person.id, Resolution.ALIAS)
    with pytest.raises(InvalidInput):
        persons.link_alias(db, person.id, "current_name")
    assert persons.update(db, person.id, excluded=True).is_excluded
