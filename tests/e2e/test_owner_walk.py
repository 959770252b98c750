"""The owner's flows through the real UI, served by `mhc run`, in Debian's Chromium.

Each test starts signed out in a fresh browser context. Every page visited is screenshotted to
test-artifacts/e2e/ and checked with axe-core (no serious or critical violations). Waiting is
Playwright's auto-waiting (`expect`), never sleeps.
"""

from __future__ import annotations

import re

import pytest
from e2e.conftest import ARTIFACTS, Server, axe_violations
from e2e.seed import (
    CHAT_LINE,
    FAILED_ERROR,
    FAILED_JOB,
    NEVER_RUN_JOB,
    OWNER,
    UNCONFIGURED_JOB,
    VIEWER,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.integration

PASTED_PROFILE = f"""lucy_lu's Bio and Free Webcam
Followers: 12,345
Real Name: Lucy
Room subject: Welcome! Say hi to my friends @{VIEWER} and @model_friend
https://chaturbate.com/model_friend/"""


def check(page: Page, name: str) -> None:
    """Screenshot the page and require zero serious/critical accessibility violations."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    violations = axe_violations(page)
    assert violations == [], f"{name}: accessibility violations {violations}"


def sign_in(page: Page, server: Server) -> None:
    page.goto("/")
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Lookup", level=1)).to_be_visible()


def test_sign_in_rejects_a_wrong_token_then_accepts_the_right_one(
    page: Page, server: Server
) -> None:
    # Given the sign-in page
    page.goto("/")
    expect(page.get_by_role("heading", name="MHC Control Panel")).to_be_visible()
    check(page, "01-sign-in")
    # When a wrong token is tried, Then the API's message is shown
    page.get_by_label("API token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("missing or wrong bearer token")
    # When the right token is given, Then the lookup page opens and the token is kept
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Lookup", level=1)).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('mhc.token')") == server.token
    # And a reload keeps the session; signing out forgets it
    page.reload()
    expect(page.get_by_role("heading", name="Lookup", level=1)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API token")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('mhc.token')") is None


PASTED_CHAT = f"""tokenking: hey gorgeous
{VIEWER}: hi everyone
tokenking tipped 50 tokens
lurker_99 has joined the room
shy_one: can you say my name"""


def test_pasted_chat_shows_the_names_with_their_lines_and_looks_up_the_chosen(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    # When the owner pastes a chat copy and reads its names
    page.get_by_label("Paste (profile, chat, anything with usernames)").fill(PASTED_CHAT)
    page.get_by_role("button", name="Read names").click()
    # Then each speaker, tipper and joiner is listed with the line naming them
    choice = page.get_by_role("group", name=re.compile("Names in the paste"))
    expect(choice).to_contain_text("tokenking")
    expect(choice).to_contain_text("line 4 · joined")
    expect(choice).to_contain_text(f"{VIEWER}")
    check(page, "02b-lookup-paste-names")
    # When the owner leaves one out and looks up the rest
    choice.get_by_role("checkbox", name=re.compile("lurker_99")).uncheck()
    page.get_by_role("button", name=re.compile(r"Look up 3 chosen")).click()
    # Then the first chosen is the answer and the paste is stored once
    expect(page.get_by_role("heading", name="tokenking", level=2)).to_be_visible()
    expect(page.get_by_text("paste stored")).to_be_visible()
    check(page, "02c-lookup-paste-result")


def test_lookup_with_a_pasted_profile_then_open_the_person(page: Page, server: Server) -> None:
    sign_in(page, server)
    check(page, "02-lookup-empty")
    # When the owner looks up a name with a pasted profile, asking for Statbate too
    page.get_by_label("Username", exact=True).fill("lucy_lu")
    page.get_by_label("Paste (profile, chat, anything with usernames)").fill(PASTED_PROFILE)
    page.get_by_label("Include Statbate").check()
    page.get_by_role("button", name="Look up").click()
    # Then the identity, the stored paste, Statbate's honest outcome and the extracted names show
    expect(page.get_by_role("heading", name="lucy_lu", level=2)).to_be_visible()
    expect(page.get_by_text("paste stored")).to_be_visible()
    expect(page.get_by_role("list", name="Statbate requests")).to_contain_text("not configured")
    names = page.locator(".chips")
    expect(names.get_by_role("link", name=VIEWER)).to_have_attribute(
        "href", re.compile(r"^/persons/\d+$")
    )
    expect(names.get_by_role("link", name="model_friend")).to_be_visible()
    expect(page.get_by_role("heading", name="Memory")).to_be_visible()
    check(page, "03-lookup-result")
    # When the owner opens a known person from the extracted names
    names.get_by_role("link", name=VIEWER).click()
    # Then the person page shows their history and labelled stats
    expect(page.get_by_role("heading", name=re.compile(VIEWER), level=1)).to_be_visible()
    expect(page.get_by_text(CHAT_LINE)).to_be_visible()
    stats = page.get_by_role("region", name="Statbate · member")
    expect(stats).to_contain_text("Statbate")
    expect(stats).to_contain_text("640")
    expect(stats).to_contain_text("+60")
    check(page, "04-person-overview")
    # And the other tabs render: a chart per metric, the interactions table, the profile
    page.get_by_role("tab", name="Stats timeline").click()
    expect(
        page.get_by_role("img", name=re.compile(r"All time tokens: 3 points from 500"))
    ).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"Rank: 3 points"))).to_be_visible()
    check(page, "05-person-timeline")
    page.get_by_role("tab", name="Interactions").click()
    page.get_by_label("Tip event").check()
    expect(page.get_by_role("table", name="Interactions")).to_contain_text("for the song")
    expect(page.get_by_role("table", name="Interactions")).not_to_contain_text(CHAT_LINE)
    check(page, "06-person-interactions")
    page.get_by_role("tab", name="Profile").click()
    expect(page.get_by_text("No profile collected yet")).to_be_visible()


def test_add_a_note_and_an_attribute(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.goto(f"/persons/{server.world.viewer_id}?tab=notes")
    # When the owner writes a note
    page.get_by_label("New note").fill("Remembers every song request")
    page.get_by_role("button", name="Add note").click()
    # Then it is listed, and the box is empty again
    expect(page.get_by_role("list", name="Notes")).to_contain_text("Remembers every song request")
    expect(page.get_by_label("New note")).to_have_value("")
    check(page, "07-person-notes")
    # When the owner records an attribute with its confidence
    page.get_by_role("tab", name="Attributes").click()
    form = page.get_by_role("form", name="Add an attribute")
    form.get_by_label("Key").fill("timezone")
    form.get_by_label("Value").fill("Europe/Berlin")
    form.get_by_label("Confidence").select_option("high")
    form.get_by_role("button", name="Save attribute").click()
    row = page.get_by_role("row", name=re.compile("timezone"))
    expect(row).to_contain_text("Europe/Berlin")
    expect(row).to_contain_text("high")
    check(page, "08-person-attributes")


def test_add_to_a_watchlist_and_see_the_member(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.goto(f"/persons/{server.world.viewer_id}")
    # When the owner adds the person to "Friends"
    page.get_by_role("button", name="Add to Friends").click()
    expect(page.get_by_role("button", name="Remove from Friends")).to_be_visible()
    # Then the Friends list shows them with their last delta, labelled Statbate
    page.get_by_role("link", name="Watchlists").click()
    page.get_by_role("navigation", name="Watchlists").get_by_role(
        "link", name=re.compile("Friends")
    ).click()
    members = page.get_by_role("table", name="Members of Friends")
    expect(members.get_by_role("link", name=VIEWER)).to_be_visible()
    expect(members).to_contain_text("Statbate")
    expect(members).to_contain_text("all time tokens +60")
    check(page, "09-watchlists")


def test_dashboard_start_and_end_a_session(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="Dashboard").click()
    # The owner's figures are labelled by provider
    expect(page.get_by_text(f"Broadcaster {OWNER}")).to_be_visible()
    followers = page.get_by_role("region", name="Followers")
    expect(followers).to_contain_text("1,012")
    expect(followers).to_contain_text("+12")
    expect(followers).to_contain_text("Chaturbate")
    expect(page.get_by_role("table", name="Recent tips")).to_contain_text("for the song")
    # Offline, said by the Stats API snapshot of 10 minutes ago (newer than the last session)
    expect(page.get_by_role("heading", name="Offline")).to_be_visible()
    live = page.get_by_role("region", name="Offline")
    expect(live).to_contain_text("Decided by the Stats API")
    expect(live).to_contain_text("time_online -1")
    live.get_by_text("Every live signal").click()
    expect(live).to_contain_text("sessions: offline")
    check(page, "10-dashboard-offline")
    # When the owner starts a session
    page.get_by_role("button", name="Start session").click()
    expect(page.get_by_role("heading", name=re.compile("Live since"))).to_be_visible()
    expect(page.get_by_role("heading", name="Current session")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("Live since"))).to_contain_text(
        "Decided by your sessions"
    )
    check(page, "11-dashboard-live")
    # When the owner ends it
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name="Offline")).to_be_visible()
    expect(page.get_by_role("button", name="Start session")).to_be_visible()
    # Then the sessions page lists the manual session and the seeded one with its chat
    page.get_by_role("link", name="Sessions").click()
    table = page.get_by_role("table", name="Sessions")
    expect(table).to_contain_text("you (by hand)")
    check(page, "12-sessions")
    table.get_by_role("link", name=f"Session #{server.world.session_id}").click()
    expect(page.get_by_role("table", name="Session interactions")).to_contain_text(CHAT_LINE)
    expect(
        page.get_by_role("table", name="Session interactions")
        .get_by_role("link", name=VIEWER)
        .first
    ).to_be_visible()
    check(page, "13-session-detail")


def test_find_a_chat_line_by_search(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="Search").click()
    # When the owner searches for words of a chat line
    page.get_by_label(re.compile("^Words")).fill("violet harmonica")
    page.get_by_role("button", name="Search", exact=True).click()
    # Then the line is found, linked to the person who wrote it
    results = page.get_by_role("table", name="Search results for violet harmonica")
    expect(results).to_contain_text(CHAT_LINE)
    expect(results.get_by_role("link", name=VIEWER)).to_be_visible()
    check(page, "14-search")
    results.get_by_role("link", name=VIEWER).click()
    expect(page.get_by_role("heading", name=re.compile(VIEWER), level=1)).to_be_visible()


def test_a_failing_collector_is_flagged_everywhere_and_explained_on_the_health_page(
    page: Page, server: Server
) -> None:
    sign_in(page, server)
    # The header flags the failed job on any page
    flag = page.get_by_role("banner").get_by_role("alert")
    expect(flag).to_contain_text(f"Collector failing: {FAILED_JOB} failed")
    # When the owner opens Jobs & health from the flag
    flag.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Jobs & health", level=1)).to_be_visible()
    # Then the verdict names the failure, and apart from it what is not collecting
    main = page.get_by_role("main")
    expect(main.get_by_role("alert")).to_contain_text(f"Collector failing: {FAILED_JOB} failed")
    expect(main.get_by_text("Needs attention:")).to_be_visible()
    # The events poller says "not configured", naming the setting (never just "never")
    capture = page.get_by_role("region", name="Live capture (Events API)")
    expect(capture).to_contain_text("not configured")
    expect(capture).to_contain_text("MHC_EVENTS_URL")
    expect(page.get_by_text("cursor expired")).to_be_visible()
    # Every job in its state: failing with its error, OK, not configured, never run
    expect(page.get_by_role("region", name=FAILED_JOB)).to_contain_text("FAILING")
    expect(page.get_by_role("region", name=FAILED_JOB)).to_contain_text(FAILED_ERROR)
    expect(page.get_by_role("region", name="cb_stats")).to_contain_text("OK")
    unconfigured = page.get_by_role("region", name=UNCONFIGURED_JOB)
    expect(unconfigured).to_contain_text("not configured")
    expect(unconfigured).to_contain_text("MHC_AFFILIATE_CAMPAIGN")
    expect(page.get_by_role("region", name=NEVER_RUN_JOB)).to_contain_text("never run")
    runs = page.get_by_role("table", name="Recent job runs")
    expect(runs.get_by_role("row", name=re.compile(FAILED_JOB))).to_contain_text(FAILED_ERROR)
    check(page, "15-health")


def test_a_refused_lookup_says_why_and_clears_the_last_answer(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_label("Username", exact=True).fill(VIEWER)
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name=VIEWER, level=2)).to_be_visible()
    # When the owner looks up a name longer than any Chaturbate username
    page.get_by_label("Username", exact=True).fill("x" * 70)
    page.get_by_role("button", name="Look up").click()
    # Then the error says the reason and the limit, and the last person is gone from the page
    expect(page.locator("main").get_by_role("alert")).to_contain_text(
        "username: at most 64 characters (got 70)"
    )
    expect(page.get_by_role("heading", name=VIEWER, level=2)).to_have_count(0)
    check(page, "16-lookup-refused")


def test_delete_a_stray_manual_session(page: Page, server: Server) -> None:
    sign_in(page, server)
    # Given a stray Start/End click on the dashboard
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("button", name="Start session").click()
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name="Start session")).to_be_visible()
    # When the owner opens that session
    page.get_by_role("link", name="Sessions").click()
    table = page.get_by_role("table", name="Sessions")
    row = table.get_by_role("row", name=re.compile("you \\(by hand\\)"))
    link = row.get_by_role("link", name=re.compile(r"Session #\d+"))
    name = link.inner_text()
    link.click()
    # Then a confirmation comes before anything is deleted
    page.get_by_role("button", name="Delete session").click()
    dialog = page.get_by_role("alertdialog", name=f"Delete {name}?")
    expect(dialog).to_contain_text("recorded")
    check(page, "17-session-delete-confirm")
    # When the owner confirms, Then the list says so and no longer shows the session
    dialog.get_by_role("button", name=f"Delete {name}").click()
    expect(page.get_by_role("status").filter(has_text=f"{name} was deleted")).to_be_visible()
    expect(page.get_by_role("table", name="Sessions")).not_to_contain_text("you (by hand)")
    check(page, "18-session-deleted")
    # And a session made from broadcast events offers no delete
    page.goto(f"/sessions/{server.world.session_id}")
    expect(page.get_by_role("heading", name=re.compile("Session #"))).to_be_visible()
    expect(page.get_by_role("button", name="Delete session")).to_have_count(0)
