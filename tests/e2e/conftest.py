"""End to end: `mhc run` (a real subprocess) on a seeded database, driven by Debian's Chromium.

Chromium comes from Debian (`make chromium`), never from `playwright install`; the UI must be
built (`make frontend`). Both are checked up front with a message saying what to run.
Screenshots land in test-artifacts/e2e/ (git-ignored), with the server's log.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from e2e.seed import OWNER, World, seed
from local_server import free_port, stop, wait_until_serving
from mhc.db.connection import Database, connect
from mhc.db.migrate import migrate
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
DIST = REPO_ROOT / "frontend" / "dist"
AXE = REPO_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("MHC_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TOKEN = "e2e-token-" + uuid.uuid4().hex


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    world: World


def _require_prerequisites() -> None:
    missing = []
    if not Path(CHROMIUM).is_file():
        missing.append(f"{CHROMIUM} (run `make chromium`)")
    if not (DIST / "index.html").is_file():
        missing.append(f"{DIST}/index.html (run `make frontend`)")
    if not AXE.is_file():
        missing.append(f"{AXE} (run `make frontend`)")
    if missing:
        pytest.fail("e2e prerequisites missing: " + "; ".join(missing), pytrace=False)


def _with_database(url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def e2e_database(pg_server: str) -> Iterator[tuple[str, World]]:
    """A fresh database for this module, migrated and seeded."""
    name = f"mhc_e2e_{uuid.uuid4().hex[:12]}"
    with connect(pg_server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(pg_server, name)
    with connect(url) as conn:
        migrate(conn, REPO_ROOT / "migrations")
    db = Database(url)
    world = seed(db)
    db.close()
    yield url, world
    with connect(pg_server) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="module")
def server(
    e2e_database: tuple[str, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    _require_prerequisites()
    url, world = e2e_database
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MHC_", "DATABASE_URL", "AWS_"))
    }
    env.update(
        DATABASE_URL=url,
        MHC_API_TOKEN=TOKEN,
        MHC_OWNER_USERNAME=OWNER,
        MHC_LOG_LEVEL="WARNING",
        # A Statbate Plus session pasted in the UI lands here, never in the developer's .mhc/
        MHC_STATBATE_PLUS_COOKIE_FILE=str(tmp_path_factory.mktemp("plus") / "cookies.json"),
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mhc.cli",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--frontend-dir",
                str(DIST),
                "--no-pollers",  # no collector may reach the network from a test
            ],
            cwd=tmp_path_factory.mktemp("mhc-run"),  # no .env of the developer's
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(process, base, log)
            yield Server(url=base, token=TOKEN, world=world)
        finally:
            stop(process)


# Module scope, not session: Playwright's sync API keeps an asyncio loop marked as running in the
# main thread while it is open, and any later test that runs asyncio there (Mangum in a Lambda
# handler test) would fail with "This event loop is already running".
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    _require_prerequisites()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@contextmanager
def open_page(browser: Browser, server: Server, **options: Any) -> Iterator[Page]:
    """A page in a fresh browser context (empty sessionStorage; `options` as for
    `new_context`). axe-core is added as an init script, so the page keeps its real
    Content-Security-Policy; any console error or page error fails the test."""
    context = browser.new_context(base_url=server.url, **options)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A refused request (401 at sign-in with a wrong token) is logged by Chromium as
        # "Failed to load resource"; the UI's handling of it is asserted by the tests instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    context.close()
    assert problems == [], "\n".join(problems)


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    with open_page(browser, server, viewport={"width": 1280, "height": 900}) as desktop:
        yield desktop


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const { violations } = await axe.run(document, { resultTypes: ["violations"] });
            return violations
              .filter((v) => v.impact === "serious" || v.impact === "critical")
              .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                             targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
        }"""
    )
    return result
