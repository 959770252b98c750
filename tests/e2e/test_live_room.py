"""The Live page in Debian's Chromium against `mhc run`: a new arrival appears without reloading
within 5 s of its event (events go in through the real ingest path, as the poller stores
them), with the alert its rule raises; the alert rules, token-history import and the capture
audit card. Every page is screenshotted to test-artifacts/e2e/ and checked with axe-core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e.conftest import Server
from e2e.seed import OWNER, World
from e2e.test_owner_walk import check, sign_in
from fakes.token_history import TIP, broadcast_event, export_bytes, room_event, tip_event
from helpers import ingest_events
from mhc.db.connection import Database
from mhc.domain.alerts import parse_rules
from mhc.services import alerts
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.integration


def _ingest(url: str, *envelopes: dict[str, Any]) -> None:
    db = Database(url)
    try:
        ingest_events(db, list(envelopes), owner=OWNER, received_at=datetime.now(UTC))
    finally:
        db.close()


def test_a_new_arrival_appears_on_the_live_page_by_itself_with_its_alert(
    page: Page, server: Server, e2e_database: tuple[str, World]
) -> None:
    url, _ = e2e_database
    now = datetime.now(UTC)
    # Given a broadcast under way with one viewer in the room, a big tipper in the history,
    # and a rule that rings for 500 lifetime tokens
    _ingest(
        url,
        tip_event(OWNER, "big_tipper", 800, now - timedelta(days=3)),
        broadcast_event("broadcastStart", OWNER, now - timedelta(minutes=20)),
        room_event("userEnter", OWNER, "early_bird", now - timedelta(minutes=10)),
    )
    db = Database(url)
    alerts.put_rules(
        db,
        parse_rules({"rules": [{"id": "whale", "kind": "lifetime_tokens", "min_tokens": 500}]}),
        owner=OWNER,
    )
    db.close()
    # When the owner opens the Live page
    sign_in(page, server)
    page.get_by_role("link", name="Live", exact=True).click()
    people = page.get_by_role("list", name="People in the room, newest first")
    expect(people.get_by_role("link", name="early_bird")).to_be_visible()
    expect(page.get_by_text("No alert yet this session.")).to_be_visible()
    check(page, "20-live-room")
    # When the big tipper walks in (stored through the ingest path, as the poller would)
    _ingest(url, room_event("userEnter", OWNER, "big_tipper", datetime.now(UTC)))
    # Then, without a reload, they appear at the top within 5 s, with why they matter
    arrival = people.get_by_role("link", name="big_tipper")
    expect(arrival).to_be_visible(timeout=5000)
    expect(people.get_by_role("heading").first).to_have_text("big_tipper")
    expect(people.get_by_text("800 tokens to you in all").first).to_be_visible()
    # And the alert shows as a banner
    banner = page.get_by_role("alert").filter(has_text="big_tipper arrived")
    expect(banner).to_contain_text("big_tipper arrived: 800 tokens to you in all (≥ 500)")
    check(page, "21-live-room-arrival")


def test_alert_rules_token_history_import_and_the_capture_audit(
    page: Page, server: Server, e2e_database: tuple[str, World], tmp_path: Path
) -> None:
    url, _ = e2e_database
    now = datetime.now(UTC).replace(microsecond=0)
    day_ago = now - timedelta(days=1)
    # Live capture saw a tip a day ago and an enter an hour ago
    _ingest(
        url,
        tip_event(OWNER, "seed_viewer", 50, day_ago),
        room_event("userEnter", OWNER, "seed_viewer", now - timedelta(hours=1)),
    )
    sign_in(page, server)
    # The alert rules page, with a suggestion from the history
    page.goto("/live/alerts")
    expect(page.get_by_role("heading", name="Alert rules", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Suggested from your history")).to_be_visible()
    page.get_by_label("New rule").select_option("big_tip")
    page.get_by_role("button", name="Add rule").click()
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    check(page, "22-alert-rules")
    # The token-history import: a file with a bad line is refused by line, then imported
    export = tmp_path / "token_history.csv"
    export.write_bytes(
        export_bytes(
            [
                ("seed_viewer", 50, day_ago + timedelta(seconds=30), TIP, ""),
                ("", 10, day_ago, TIP, ""),
                ("private_fan", 60, now - timedelta(hours=5), "Private show", ""),
            ]
        )
    )
    page.goto("/token-history")
    page.get_by_label("Token-history export (.csv, or .csv.gz)").set_input_files(str(export))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Not imported: 1 bad line(s)")).to_be_visible()
    expect(page.get_by_role("list", name="Bad lines")).to_contain_text("line 3: User is empty")
    page.get_by_role("button", name="Import the other 2 rows").click()
    expect(page.get_by_role("heading", name="Imported token_history.csv")).to_be_visible()
    expect(page.get_by_role("table", name="Past imports")).to_contain_text("token_history.csv")
    check(page, "23-token-history")
    # The capture audit card on the health page
    page.goto("/health")
    card = page.get_by_role("region", name="Capture completeness (token-history audit)")
    expect(card).to_contain_text("the export holds")
    expect(card).to_contain_text("No tip was missed.")
    check(page, "24-health-capture-audit")
