"""Composition of the events poller from settings (shared by the Lambda handler and the CLI)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import httpx

from mhc.clients.chaturbate_events import EventsClient
from mhc.clients.http import ClientDeps
from mhc.config import Settings
from mhc.db.connection import Database
from mhc.domain.clock import Clock, utc_now
from mhc.observability import MetricsSink
from mhc.runtime.cursor import FileCursorStore, SsmCursorStore
from mhc.services.events_poller import ChainInvoker, CursorStore, EventsPoller, PollerConfig


def cursor_store(settings: Settings) -> CursorStore:
    """SSM when `MHC_EVENTS_CURSOR_PARAM` is set, else the local cursor file."""
    if settings.mhc_events_cursor_param:
        return SsmCursorStore(settings.mhc_events_cursor_param)
    return FileCursorStore(settings.mhc_events_cursor_file)


def poller_config(settings: Settings) -> PollerConfig:
    return PollerConfig(
        owner=settings.require_owner(),
        merge_gap=timedelta(minutes=settings.mhc_session_merge_gap_minutes),
        max_server_timeout=settings.mhc_events_max_timeout_seconds,
        heartbeat_stale_after=timedelta(seconds=settings.mhc_events_heartbeat_stale_seconds),
    )


def build_events_poller(
    settings: Settings,
    db: Database,
    *,
    invoker: ChainInvoker | None = None,
    cursors: CursorStore | None = None,
    http: httpx.Client | None = None,
    metrics: MetricsSink | None = None,
    clock: Clock = utc_now,
    sleeper: Callable[[float], None] = time.sleep,
    config: PollerConfig | None = None,
) -> EventsPoller:
    config = config or poller_config(settings)
    source = EventsClient.from_settings(
        settings,
        http or httpx.Client(),
        read_margin_seconds=config.read_margin.total_seconds(),
        deps=ClientDeps(clock=clock, sleeper=sleeper),
    )
    return EventsPoller(
        db,
        source,
        cursors or cursor_store(settings),
        config,
        invoker=invoker,
        metrics=metrics,
        clock=clock,
    )
