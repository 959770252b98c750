"""The chat import in the real UI: an expired Statbate Plus session flagged in the header and
explained, the write-only session form, imported chat on the person page and in search, marked
as imported with its source. Screenshots in test-artifacts/e2e/ (2x-chat-*), axe on each."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from e2e.conftest import Server
from e2e.seed import OWNER, VIEWER, World
from e2e.test_owner_walk import check, sign_in
from fakes.statbate_plus import FakeMessage, FakePlus, har_for_room, make_messages
from mhc.db.connection import Database
from mhc.domain.chat_import import DEFAULT_MAP
from mhc.domain.models import JobStatus
from mhc.services import chat_import, job_runs
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.integration

IMPORTED_LINE = "before capture began: the copper kazoo encore"


@pytest.fixture(scope="module", autouse=True)
def imported_history(e2e_database: tuple[str, World]) -> None:
    """Plus's history of the owner's room (one line of the seeded viewer), a response the map
    cannot read, and a last run that found the session expired."""
    url, _ = e2e_database
    now = datetime.now(UTC)
    fake = FakePlus(per_page=20, zone="UTC")
    said = make_messages(1, room=OWNER, shape="shape_a", start=now - timedelta(days=3), zone="UTC")
    line = FakeMessage(
        {**said[0].raw, "username": VIEWER, "message": IMPORTED_LINE},
        VIEWER, IMPORTED_LINE, said[0].occurred_at, OWNER, said[0].message_id,
    )  # fmt: skip
    others = make_messages(
        19, room=OWNER, shape="shape_a", start=now - timedelta(days=4), zone="UTC"
    )
    fake.add_room(OWNER, [line, *others])
    fake.add_room("unread_room", make_messages(5, room="unread_room", shape="unmapped"))
    db = Database(url)
    try:
        for room in (OWNER, "unread_room"):
            chat_import.import_capture(
                db,
                json.dumps(har_for_room(fake, room)).encode(),
                owner=OWNER,
                field_map=DEFAULT_MAP,
            )
        with db.transaction() as conn:
            job_runs.record(
                conn,
                "chat_import",
                at=now - timedelta(minutes=20),
                status=JobStatus.AUTH_EXPIRED,
                counts={"new": 3000},
                error="statbate_plus: HTTP 302 to the login page: the session has expired; "
                "sign in again",
            )
    finally:
        db.close()


def test_an_expired_plus_session_is_flagged_and_explained(page: Page, server: Server) -> None:
    sign_in(page, server)
    # The header flags the expired session on any page
    flag = page.get_by_role("banner").get_by_role(
        "link", name=re.compile("Statbate Plus session expired")
    )
    expect(flag).to_be_visible()
    check(page, "20-chat-flag")
    # When the owner follows it
    flag.click()
    expect(page.get_by_role("heading", name="Chat import", level=1)).to_be_visible()
    # Then the page says what happened and what to do, and shows what the map could not read
    session = page.get_by_role("region", name=re.compile("Statbate Plus session"))
    expect(session).to_contain_text("expired")
    expect(session).to_contain_text("What to do:")
    expect(
        page.get_by_text("All time: 2 responses stored, 20 messages read, 5 items")
    ).to_be_visible()
    expect(page.get_by_text("5 not read, 0 read")).to_be_visible()
    check(page, "21-chat-import")
    # When the owner pastes fresh cookies, they are saved and never shown
    page.get_by_label("statbate_plus_session").fill("eyJpdiI6ImUyZS1zZXNzaW9uIn0%3D")
    page.get_by_label("XSRF-TOKEN").fill("eyJpdiI6ImUyZS14c3JmIn0%3D")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(page.get_by_label("statbate_plus_session")).to_have_value("")
    assert "ImUyZS1zZXNzaW9uIn0" not in page.content()
    check(page, "22-chat-session-saved")


def test_imported_chat_is_marked_on_the_person_page_and_in_search(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    page.goto(f"/persons/{server.world.viewer_id}?tab=interactions")
    table = page.get_by_role("table", name="Interactions")
    row = table.get_by_role("row", name=re.compile("copper kazoo"))
    expect(row).to_contain_text("Imported chat")
    expect(row.get_by_title("Statbate: Plus, imported")).to_be_visible()
    expect(page.get_by_role("button", name="Import their chat from Statbate Plus")).to_be_visible()
    check(page, "23-chat-person")
    page.get_by_role("link", name="Search").click()
    page.get_by_label(re.compile("^Words")).fill("copper kazoo")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_role("table", name="Search results for copper kazoo")
    expect(results).to_contain_text(IMPORTED_LINE)
    expect(results).to_contain_text("Imported chat")
    check(page, "24-chat-search")
