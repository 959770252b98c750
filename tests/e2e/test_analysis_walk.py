"""The behavioural analysis in the real UI: a regular's Insights tab and its evidence, the
Audience page, a session's recap, the dashboard's pictures and lookup's behaviour signals.

The known history of tests/analysis_world.py is moved up to this week (whole weeks, so its
Mondays stay Mondays) into the e2e owner's room, then the usual e2e world is seeded beside it.
Every page is screenshotted to test-artifacts/e2e/ and checked with axe-core; the page fixture
fails the test on any console error.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from analysis_world import NOW, World, build
from e2e.conftest import REPO_ROOT, Server, _with_database
from e2e.seed import OWNER, seed
from e2e.seed import World as SeedWorld
from e2e.test_owner_walk import check, sign_in
from mhc.db.connection import Database, connect
from mhc.db.migrate import migrate
from playwright.sync_api import Page, expect
from psycopg import sql

pytestmark = pytest.mark.integration

ANALYSIS: dict[str, World] = {}


@pytest.fixture(scope="module")
def e2e_database(pg_server: str) -> Iterator[tuple[str, SeedWorld]]:
    """This module's database: the analysis history first (its sessions are opened through
    the production path, which must not meet the seed's), then the e2e seed."""
    name = f"mhc_e2e_{uuid.uuid4().hex[:12]}"
    with connect(pg_server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(pg_server, name)
    with connect(url) as conn:
        migrate(conn, REPO_ROOT / "migrations")
    db = Database(url)
    weeks = (datetime.now(UTC) - NOW) // timedelta(weeks=1)
    ANALYSIS["world"] = build(db, owner_name=OWNER, shift=timedelta(weeks=weeks))
    world = seed(db)
    db.close()
    yield url, world
    with connect(pg_server) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def test_a_regulars_insights_and_the_evidence_behind_a_figure(page: Page, server: Server) -> None:
    world = ANALYSIS["world"]
    sign_in(page, server)
    page.goto(f"/persons/{world.rita}?tab=insights")
    # The totals an owner looks for first, under the name
    totals = page.get_by_label("Totals")
    expect(totals).to_contain_text("300")
    expect(totals).to_contain_text("regular")
    # Each card says what it rests on and how sure it is
    spending = page.get_by_role("region", name="Spending")
    expect(spending).to_contain_text("based on 7 tips since")
    expect(spending).to_contain_text("low confidence")
    expect(page.get_by_role("region", name="Timing")).to_contain_text("based on 26 active hours")
    expect(page.get_by_role("img", name=re.compile("Active hours by weekday"))).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("Attendance over your latest sessions"))
    ).to_be_visible()
    expect(page.get_by_role("region", name="Proposed attributes")).to_contain_text("usual_hours")
    check(page, "20-insights")
    # When the owner opens the evidence of the spending figures
    spending.get_by_role("link", name="see the evidence").click()
    # Then the interactions tab lists the tips behind them, filtered
    expect(page.get_by_role("note")).to_contain_text("Showing the evidence of a figure")
    table = page.get_by_role("table", name="Interactions")
    expect(table).to_contain_text("Tip")
    check(page, "21-insights-evidence")
    # And a proposed attribute is accepted with one click
    page.get_by_role("tab", name="Insights").click()
    page.get_by_role("button", name="Accept usual_hours").click()
    expect(page.get_by_role("button", name="Accept usual_hours")).to_have_count(0)
    page.get_by_role("tab", name="Attributes").click()
    expect(page.get_by_role("table", name="Attributes")).to_contain_text("inferred")


def test_the_audience_page(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="Audience").click()
    spenders = page.get_by_role("table", name="Top spenders")
    expect(spenders.get_by_role("link", name="rita")).to_be_visible()
    expect(spenders).not_to_contain_text("smk_lover")
    expect(page.get_by_role("table", name="Regulars at risk")).to_contain_text("dan")
    expect(page.get_by_role("img", name=re.compile("Top spenders of the period"))).to_be_visible()
    check(page, "22-audience")
    page.get_by_role("button", name="Last 30 days").click()
    expect(page.get_by_role("button", name="Last 30 days")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_role("table", name="Top spenders")).to_be_visible()


def test_a_sessions_recap_and_the_pictures(page: Page, server: Server) -> None:
    world = ANALYSIS["world"]
    sign_in(page, server)
    page.goto(f"/sessions/{world.sessions[7]}")
    recap = page.get_by_role("region", name="Recap")
    expect(recap).to_contain_text("median over the 7 sessions before this one")
    expect(recap.get_by_role("row", name=re.compile("^Tokens"))).to_contain_text("55")
    check(page, "23-recap")
    page.get_by_role("link", name="Sessions", exact=True).click()
    expect(page.get_by_role("img", name=re.compile("Tokens per session"))).to_be_visible()
    check(page, "24-sessions-charts")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("img", name=re.compile("Top tippers of the period"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Followers over time"))).to_be_visible()
    check(page, "25-dashboard-pictures")


def test_lookup_shows_the_behaviour_signals(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_label("Username", exact=True).fill("rita")
    page.get_by_role("button", name="Look up").click()
    signals = page.get_by_role("region", name="Behaviour")
    expect(signals).to_contain_text("Spending pattern")
    expect(signals).to_contain_text("Usual times")
    expect(signals).to_contain_text("based on 26 active hours")
    check(page, "26-lookup-signals")
