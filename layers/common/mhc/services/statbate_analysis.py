"""Statbate's member analysis: what a member spent in the owner's room, their tag spending,
their latest tips and their activity by hour, fetched (paced by the client, no transaction
open) and stored as append-only snapshots. Used by the scheduled refresh and by lookup; kept
apart from `services.analysis` so the collectors do not load the statistics (decision 114)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mhc.db.connection import Conn
from mhc.domain.metrics import (
    normalize_statbate_member_activity,
    normalize_statbate_member_on_model,
    normalize_statbate_member_tips,
    normalize_statbate_tag_spending,
)
from mhc.domain.models import SnapshotSource
from mhc.services import snapshots

#: Where Statbate starts when asked for "everything" (before the member's first tip is known).
STATBATE_BEGINNING = datetime(2011, 1, 1, tzinfo=UTC)


def statbate_time(value: Any) -> datetime | None:
    """A Statbate date ("2023-11-19T20:34:18+00:00" or "2024-02-03 04:05:06", UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class StatbateBody(Protocol):
    """A Statbate reply: the whole `{data, meta}` body as received."""

    @property
    def raw(self) -> Mapping[str, Any]: ...


class MemberAnalysisSource(Protocol):
    """The Statbate Premium member endpoints the analysis uses (`clients.statbate`); None is
    "not found", a `ClientError` a failure."""

    def member_model_spending(
        self, name: str, model: str, *, range: Any = None, deadline: datetime | None = None
    ) -> StatbateBody | None: ...

    def member_tag_spending(
        self, name: str, *, per_page: int = 20, deadline: datetime | None = None
    ) -> StatbateBody | None: ...

    def member_tips(
        self, name: str, *, per_page: int = 20, deadline: datetime | None = None
    ) -> StatbateBody | None: ...

    def member_activity(
        self, name: str, *, timezone: str = "UTC", deadline: datetime | None = None
    ) -> StatbateBody | None: ...


#: What each analysis snapshot is made of: the body as received, normalized.
_NORMALIZERS: dict[SnapshotSource, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    SnapshotSource.STATBATE_MEMBER_ON_MODEL: normalize_statbate_member_on_model,
    SnapshotSource.STATBATE_TAG_SPENDING: normalize_statbate_tag_spending,
    SnapshotSource.STATBATE_MEMBER_TIPS: normalize_statbate_member_tips,
    SnapshotSource.STATBATE_MEMBER_ACTIVITY: normalize_statbate_member_activity,
}
#: Tags and tips fetched per request (Statbate's maximum page is 200).
TAG_PAGE = 50
TIPS_PAGE = 200


@dataclass(frozen=True)
class AnalysisFetch:
    """One analysis endpoint's answer for one member: a body to store, "not found", or the
    (redacted) failure."""

    source: SnapshotSource
    body: Mapping[str, Any] | None
    error: str | None = None


def fetch_member_analysis(
    client: MemberAnalysisSource,
    name: str,
    *,
    sources: Sequence[SnapshotSource],
    owner: str | None,
    timezone: str,
    first_tip_at: datetime | None,
    now: datetime,
    deadline: datetime | None,
) -> tuple[list[AnalysisFetch], Exception | None]:
    """Ask Statbate's member analysis endpoints about `name` (paced by the client; no
    transaction open). A `ClientError` of one endpoint is recorded and the next is asked; a
    rejected token or an exhausted deadline stops the asking and is handed back (second item)
    with what was fetched before it, for the caller to store and then stop."""
    from mhc.clients.errors import AuthError, ClientError, TransientExhausted
    from mhc.clients.statbate import DateRange
    from mhc.observability import redact

    fetched: list[AnalysisFetch] = []
    for source in sources:
        try:
            if source is SnapshotSource.STATBATE_MEMBER_ON_MODEL:
                if owner is None:
                    continue
                start = min(first_tip_at or STATBATE_BEGINNING, now)
                reply = client.member_model_spending(
                    name, owner, range=DateRange(start, now), deadline=deadline
                )
            elif source is SnapshotSource.STATBATE_TAG_SPENDING:
                reply = client.member_tag_spending(name, per_page=TAG_PAGE, deadline=deadline)
            elif source is SnapshotSource.STATBATE_MEMBER_TIPS:
                reply = client.member_tips(name, per_page=TIPS_PAGE, deadline=deadline)
            elif source is SnapshotSource.STATBATE_MEMBER_ACTIVITY:
                reply = client.member_activity(name, timezone=timezone, deadline=deadline)
            else:
                raise ValueError(f"{source} is not a member analysis source")
        except (AuthError, TransientExhausted) as exc:
            fetched.append(AnalysisFetch(source, None, error=redact(exc)))
            return fetched, exc
        except ClientError as exc:
            fetched.append(AnalysisFetch(source, None, error=redact(exc)))
            continue
        fetched.append(AnalysisFetch(source, None if reply is None else dict(reply.raw)))
    return fetched, None


def store_member_analysis(
    conn: Conn, person_id: int, fetched: Sequence[AnalysisFetch], *, captured_at: datetime
) -> list[int]:
    """Append a snapshot for each answer with a body (in the caller's transaction); their ids."""
    ids = []
    for item in fetched:
        if item.body is None:
            continue
        snapshot = snapshots.append(
            conn,
            person_id,
            item.source,
            captured_at=captured_at,
            raw_payload=dict(item.body),
            normalized_metrics=_NORMALIZERS[item.source](item.body),
        )
        ids.append(snapshot.id)
    return ids


def member_first_tip(data: Mapping[str, Any]) -> datetime | None:
    """A member info answer's first tip (where a member-on-model range should start)."""
    return statbate_time(data.get("first_tip_date"))


MEMBER_ANALYSIS_SOURCES = tuple(_NORMALIZERS)
