from mhc.domain.persons import Candidate, Resolution, resolve_identity

ALICE = Candidate(1, "alice", did=100, rid=None)
BOB = Candidate(2, "bob", did=None, rid=None)


def test_current_name_wins() -> None:
    assert resolve_identity(ALICE, None, None, did=100, rid=None) == (Resolution.EXISTING, ALICE)


def test_name_held_by_someone_with_another_did_is_a_conflict() -> None:
    assert resolve_identity(ALICE, None, None, did=999, rid=None)[0] is Resolution.CONFLICT


def test_statbate_id_under_another_name_is_a_rename() -> None:
    assert resolve_identity(None, None, ALICE, did=100, rid=None) == (Resolution.RENAMED, ALICE)


def test_statbate_id_outranks_an_old_alias() -> None:
    assert resolve_identity(None, BOB, ALICE, did=100, rid=None) == (Resolution.RENAMED, ALICE)


def test_past_name_reaches_the_person() -> None:
    assert resolve_identity(None, ALICE, None, did=None, rid=None) == (Resolution.ALIAS, ALICE)


def test_past_name_with_a_different_did_is_someone_new() -> None:
    assert resolve_identity(None, ALICE, None, did=5, rid=None) == (Resolution.NEW, None)


def test_unknown_name_is_new() -> None:
    assert resolve_identity(None, None, None, did=None, rid=None) == (Resolution.NEW, None)


def test_a_name_held_by_one_row_and_an_id_held_by_another_is_a_merge() -> None:
    # Given alice holds did 100, and a second row holds the name new_alice without an id
    other = Candidate(2, "new_alice", None, None)
    # Then the name's row joins the id's row (which survives)
    assert resolve_identity(other, None, ALICE, did=100, rid=None) == (Resolution.MERGED, ALICE)


def test_a_name_whose_row_has_another_id_stays_a_conflict_even_when_the_id_is_held() -> None:
    other = Candidate(2, "new_alice", 555, None)
    assert resolve_identity(other, None, ALICE, did=100, rid=None)[0] is Resolution.CONFLICT
