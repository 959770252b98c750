"""The lookup use case: who is this? Find or create, keep the paste, fetch Statbate, answer.

Steps, each in its own transaction so no network call holds a database transaction open:
1. resolve the person (a username and/or names extracted from pasted text) and keep the paste
   as a PROFILE_PASTE interaction (idempotent: the same text for the same person is one row);
2. optionally ask Statbate (member and/or model info by role); a success appends a snapshot and
   records the Statbate id (rename detection), a failure becomes a visible outcome and a
   `job_runs` row, never a snapshot;
3. read back person + latest snapshot per source with delta + recent interactions (+ the
   person's activity in the owner's room when asked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from mhc.clients.errors import ClientError
from mhc.config import ConfigError, Settings
from mhc.db.connection import Conn, TransactionSource
from mhc.domain.clock import Clock, utc_now
from mhc.domain.errors import Conflict, InvalidInput
from mhc.domain.extraction import MAX_PASTE_CHARS, PasteReading, read_paste
from mhc.domain.metrics import normalize_statbate_member, normalize_statbate_model
from mhc.domain.models import (
    Attribute,
    Interaction,
    InteractionSource,
    InteractionType,
    JobStatus,
    NewInteraction,
    Person,
    PersonAlias,
    SnapshotSource,
    SnapshotWithDelta,
)
from mhc.domain.persons import Resolution
from mhc.domain.roles import Role
from mhc.observability import logger, redact
from mhc.services import interactions, job_runs, memory, persons, snapshots, statbate_analysis
from mhc.services.persons import find_or_create, valid_username

MAX_PASTE_LENGTH = MAX_PASTE_CHARS
RECENT_INTERACTIONS = 20
RECENT_ROOM_INTERACTIONS = 20
STATBATE_JOB = "statbate_lookup"


class StatbateReply(Protocol):
    """What a Statbate info call returns: the whole `{data, meta}` body as received."""

    @property
    def raw(self) -> Mapping[str, Any]: ...


class StatbateSource(Protocol):
    """The two Statbate Premium calls a lookup needs (`mhc.clients.statbate.StatbateClient`).

    None means "not found"; a `ClientError` is a failure the owner must see.
    """

    def member_info(
        self, name: str, *, deadline: datetime | None = None
    ) -> StatbateReply | None: ...

    def model_info(
        self, name: str, *, deadline: datetime | None = None
    ) -> StatbateReply | None: ...

    # Statbate's member analysis (what the person spent in the owner's room, tags).
    def member_model_spending(
        self, name: str, model: str, *, range: Any = None, deadline: datetime | None = None
    ) -> StatbateReply | None: ...

    def member_tag_spending(
        self, name: str, *, per_page: int = 20, deadline: datetime | None = None
    ) -> StatbateReply | None: ...

    def member_tips(
        self, name: str, *, per_page: int = 20, deadline: datetime | None = None
    ) -> StatbateReply | None: ...

    def member_activity(
        self, name: str, *, timezone: str = "UTC", deadline: datetime | None = None
    ) -> StatbateReply | None: ...


StatbateFactory = Callable[[], StatbateSource | None]
#: A member lookup also asks for these (share of wallet, tag tastes); the scheduled refresh
#: asks for all four analysis endpoints.
LOOKUP_ANALYSIS = (SnapshotSource.STATBATE_MEMBER_ON_MODEL, SnapshotSource.STATBATE_TAG_SPENDING)

#: Time all Statbate calls of one lookup may take (API Gateway cuts requests at 30 s).
STATBATE_BUDGET = timedelta(seconds=15)


class StatbateOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: SnapshotSource
    status: Literal["ok", "not_found", "failed", "not_configured"]
    snapshot_id: int | None = None
    #: What went wrong, safe to show (redacted); None on success.
    error: str | None = None


class RoomActivity(BaseModel):
    """The person in the owner's room (anonymous tips are not counted by name)."""

    model_config = ConfigDict(frozen=True)

    owner: str
    interactions: int
    tips: int
    tokens: int
    chat_messages: int
    private_messages: int
    visits: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    recent: list[Interaction]


class PasteName(BaseModel):
    """A name read from a paste: the line that names it, how, and whether MHC knows them."""

    model_config = ConfigDict(frozen=True)

    username: str
    #: The first line naming them (numbered from 1) and its text.
    line: int
    text: str
    #: chat, tip, join, leave, follow, list, room_url or mention.
    format: str
    #: How many lines name them.
    lines: int
    #: The person MHC knows by this name (current or past), or None.
    person_id: int | None = None


class PasteReadingView(BaseModel):
    """What a paste says: the names it holds with their lines, and the lines it does not."""

    model_config = ConfigDict(frozen=True)

    names: list[PasteName]
    #: Lines that named nobody (prose, labels), at most a few dozen.
    unread: list[dict[str, Any]]
    unread_count: int
    #: More names than a lookup takes were in the paste (only the first are listed).
    more_names: bool
    #: The paste was longer than can be read; the rest was not read.
    truncated: bool


class LookupResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    person: Person
    aliases: list[PersonAlias]
    resolution: Resolution
    extracted_usernames: list[str]
    #: Other persons named in the paste (found or created), in order of appearance.
    also_found: list[Person]
    #: Every name the paste holds, with its line (the chosen ones became `person`/`also_found`).
    paste_names: list[PasteName] = []
    paste: Interaction | None
    paste_created: bool
    statbate: list[StatbateOutcome]
    #: Statbate's member analysis asked with a member lookup (in the owner's room, tags).
    statbate_analysis: list[StatbateOutcome] = []
    latest_snapshots: dict[SnapshotSource, SnapshotWithDelta]
    recent_interactions: list[Interaction]
    #: The owner's memory of the person: attributes and the newest notes.
    attributes: list[Attribute]
    notes: list[Interaction]
    my_room: RoomActivity | None
    #: Things the owner should know about this answer (e.g. "owner not configured").
    notices: list[str]


def _statbate_kinds(role: Role) -> list[SnapshotSource]:
    if role is Role.MODEL:
        return [SnapshotSource.STATBATE_MODEL]
    if role is Role.BOTH:
        return [SnapshotSource.STATBATE_MEMBER, SnapshotSource.STATBATE_MODEL]
    return [SnapshotSource.STATBATE_MEMBER]


def _paste_key(text: str) -> str:
    """One paste, one record: the same text pasted again (for anyone) is the same row."""
    return f"paste:{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def _reading(text: str, owner: str | None) -> PasteReading:
    if len(text) > MAX_PASTE_LENGTH:
        raise InvalidInput("pasted_text", f"must be at most {MAX_PASTE_LENGTH} characters")
    return read_paste(text, ignore=(owner,) if owner else ())


def _names(conn: Conn, reading: PasteReading) -> list[PasteName]:
    return [
        PasteName(
            username=found.username,
            line=found.line,
            text=found.text,
            format=found.format.value,
            lines=found.lines,
            person_id=persons.known_as(conn, found.username),
        )
        for found in reading.names
    ]


def read_pasted(db: TransactionSource, pasted_text: str, *, owner: str | None) -> PasteReadingView:
    """The names a paste holds, each with its line, for the owner to choose from (no writes)."""
    text = pasted_text.strip()
    reading = _reading(text, owner)
    with db.transaction() as conn:
        names = _names(conn, reading)
    return PasteReadingView(
        names=names,
        unread=[{"line": u.line, "text": u.text} for u in reading.unread],
        unread_count=reading.unread_count,
        more_names=reading.more_names,
        truncated=reading.truncated,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Fetched:
    """One Statbate answer ready to store: data object, metrics and Statbate's own id."""

    def __init__(self, source: SnapshotSource, data: Mapping[str, Any]) -> None:
        self.source = source
        self.data = dict(data)
        if source is SnapshotSource.STATBATE_MODEL:
            self.metrics = normalize_statbate_model(data)
            self.did, self.rid = None, _int(data.get("rid"))
        else:
            self.metrics = normalize_statbate_member(data)
            self.did, self.rid = _int(data.get("did")), None


def _fetch(
    statbate: StatbateSource | str, source: SnapshotSource, name: str, deadline: datetime
) -> _Fetched | StatbateOutcome:
    """`statbate` is the client, or why there is none (the settings' own words)."""
    if isinstance(statbate, str):
        return StatbateOutcome(source=source, status="not_configured", error=statbate)
    try:
        if source is SnapshotSource.STATBATE_MODEL:
            reply = statbate.model_info(name, deadline=deadline)
        else:
            reply = statbate.member_info(name, deadline=deadline)
    except (ClientError, ConfigError) as exc:
        logger.warning("statbate lookup failed", extra={"error": redact(exc)})
        return StatbateOutcome(source=source, status="failed", error=redact(exc))
    if reply is None:
        return StatbateOutcome(source=source, status="not_found")
    data = reply.raw.get("data")
    if not isinstance(data, Mapping):
        return StatbateOutcome(
            source=source, status="failed", error="statbate: answer has no data object"
        )
    return _Fetched(source, data)


_RUN_STATUS = {
    "ok": JobStatus.SUCCEEDED,
    "not_found": JobStatus.SUCCEEDED,
    "failed": JobStatus.FAILED,
    "not_configured": JobStatus.NOT_CONFIGURED,
}


def _record_run(conn: Conn, outcome: StatbateOutcome, person_id: int, now: datetime) -> None:
    job_runs.record(
        conn,
        STATBATE_JOB,
        at=now,
        status=_RUN_STATUS[outcome.status],
        counts={"person_id": person_id, "source": outcome.source.value, "result": outcome.status},
        error=outcome.error,
    )


def _store_fetched(
    conn: Conn, person: Person, fetched: _Fetched, now: datetime, notices: list[str]
) -> StatbateOutcome:
    """Statbate's answer is an observation: it records the Statbate id, which can reveal a
    rename (the id is held under another name: that person renamed, the rows are merged)."""
    try:
        found, how = find_or_create(
            conn, person.username, did=fetched.did, rid=fetched.rid, seen_at=now
        )
    except Conflict as exc:
        return StatbateOutcome(source=fetched.source, status="failed", error=str(exc))
    if how in (Resolution.MERGED, Resolution.RENAMED) and found.id != person.id:
        kind = "did" if fetched.did is not None else "rid"
        notices.append(
            f"Statbate knows {person.username} by the same {kind} as person {found.id}: "
            f"one member who renamed; person {person.id} was merged into person {found.id} "
            f"(undo: POST /api/persons/{found.id}/unmerge with from={person.id})"
        )
    snapshot = snapshots.append(
        conn,
        found.id,
        fetched.source,
        captured_at=now,
        raw_payload=fetched.data,
        normalized_metrics=fetched.metrics,
    )
    return StatbateOutcome(source=fetched.source, status="ok", snapshot_id=snapshot.id)


def _fetch_analysis(
    source: StatbateSource,
    name: str,
    member: _Fetched,
    owner: str | None,
    now: datetime,
    deadline: datetime,
) -> list[statbate_analysis.AnalysisFetch]:
    """What the member spent in the owner's room and on which tags, within the lookup's
    deadline; whatever Statbate refuses or the deadline cuts is a failed outcome, never an
    error of the lookup."""
    fetched, _stopped = statbate_analysis.fetch_member_analysis(
        source,
        name,
        sources=LOOKUP_ANALYSIS,
        owner=owner,
        timezone="UTC",
        first_tip_at=statbate_analysis.member_first_tip(member.data),
        now=now,
        deadline=deadline,
    )
    for item in fetched:
        if item.error is not None:
            logger.warning("statbate analysis failed", extra={"error": item.error})
    return fetched


def _store_analysis(
    conn: Conn, person_id: int, fetched: list[statbate_analysis.AnalysisFetch], now: datetime
) -> list[StatbateOutcome]:
    ids = iter(statbate_analysis.store_member_analysis(conn, person_id, fetched, captured_at=now))
    outcomes = []
    for item in fetched:
        if item.error is not None:
            outcomes.append(StatbateOutcome(source=item.source, status="failed", error=item.error))
        elif item.body is None:
            outcomes.append(StatbateOutcome(source=item.source, status="not_found"))
        else:
            outcomes.append(StatbateOutcome(source=item.source, status="ok", snapshot_id=next(ids)))
    return outcomes


def _room(conn: Conn, owner: str, person_id: int) -> RoomActivity:
    activity = interactions.person_in_room(conn, owner, person_id)
    return RoomActivity(
        owner=owner,
        recent=interactions.recent_in_room(conn, owner, person_id, limit=RECENT_ROOM_INTERACTIONS),
        **activity,
    )


def lookup(
    db: TransactionSource,
    *,
    username: str | None = None,
    role: Role | None = None,
    pasted_text: str | None = None,
    usernames: list[str] | None = None,
    include_statbate: bool = False,
    include_my_room: bool = False,
    owner: str | None = None,
    statbate: StatbateFactory = lambda: None,
    clock: Clock = utc_now,
) -> LookupResult:
    """`usernames`: the names the owner chose among those the paste holds (None: all of them)."""
    name = valid_username(username) if username is not None else None
    text = pasted_text.strip() if pasted_text is not None else ""
    reading = _reading(text, owner) if text else None
    extracted = reading.usernames if reading else []
    if usernames is not None:
        if not text:
            raise InvalidInput("usernames", "choose names from pasted_text (none was given)")
        chosen = [valid_username(u, "usernames") for u in usernames]
        strangers = [u for u in chosen if u not in extracted and u != name]
        if strangers:
            raise InvalidInput("usernames", f"not named in the paste: {', '.join(strangers)}")
    else:
        chosen = extracted
    if name is None and not chosen:
        if usernames is not None:
            raise InvalidInput("usernames", "choose at least one name (or give username)")
        if text:
            raise InvalidInput("pasted_text", "names no Chaturbate username")
        raise InvalidInput("username", "give a username or pasted_text")
    primary = name or chosen[0]
    others = [other for other in dict.fromkeys(chosen) if other != primary]
    lines = {found.username: found.line for found in reading.names} if reading else {}
    now = clock()

    # A lookup is not an observation: it never moves anyone's seen window (seen_at=None).
    with db.transaction() as conn:
        person, resolution = find_or_create(conn, primary, seen_at=None, at=now)
        if role is not None:  # the owner's explicit role is manual and sticks
            person = persons.set_role(conn, person.id, role)
        also = [find_or_create(conn, other, seen_at=None, at=now)[0] for other in others]
        paste: Interaction | None = None
        paste_created = False
        paste_names: list[PasteName] = []
        if text:
            paste, paste_created = interactions.record(
                conn,
                NewInteraction(
                    person_id=person.id,
                    type=InteractionType.PROFILE_PASTE,
                    source=InteractionSource.MANUAL,
                    external_id=_paste_key(text),
                    occurred_at=now,
                    content=text,
                    metadata={"extracted_usernames": extracted},
                ),
            )
            # Recorded once, linked to every person chosen from it (with the line naming them)
            interactions.link_paste(
                conn,
                paste.id,
                [(p.id, lines.get(p.username)) for p in (person, *also)],
            )
            if reading is not None:
                paste_names = _names(conn, reading)

    outcomes: list[StatbateOutcome] = []
    analysis_outcomes: list[StatbateOutcome] = []
    notices: list[str] = []
    if include_statbate:
        try:
            client: StatbateSource | str = statbate() or "Statbate is not configured"
        except ConfigError as exc:
            client = redact(exc)
        kinds = _statbate_kinds(role or person.role)
        # Bounded: API Gateway gives the whole request 30 s, retries and pacing included.
        deadline = now + STATBATE_BUDGET
        fetched = [_fetch(client, kind, person.username, deadline) for kind in kinds]
        member = next(
            (
                f
                for f in fetched
                if isinstance(f, _Fetched) and f.source is SnapshotSource.STATBATE_MEMBER
            ),
            None,
        )
        extra: list[statbate_analysis.AnalysisFetch] = []
        if member is not None and not isinstance(client, str):
            extra = _fetch_analysis(client, person.username, member, owner, now, deadline)
        with db.transaction() as conn:
            for item in fetched:
                outcome = (
                    _store_fetched(conn, person, item, now, notices)
                    if isinstance(item, _Fetched)
                    else item
                )
                _record_run(conn, outcome, person.id, now)
                outcomes.append(outcome)
            if extra:
                analysis_outcomes = _store_analysis(
                    conn, persons.get(conn, person.id).id, extra, now
                )

    with db.transaction() as conn:
        before = person.id
        person = persons.get(conn, person.id)  # a merged row reads as its survivor
        if person.id != before:
            resolution = Resolution.MERGED
        room = None
        if include_my_room:
            if owner is None:
                notices.append("my_room: MHC_OWNER_USERNAME is not set")
            else:
                room = _room(conn, owner, person.id)
        return LookupResult(
            person=person,
            aliases=persons.aliases_of(conn, person.id),
            resolution=resolution,
            extracted_usernames=extracted,
            also_found=also,
            paste_names=paste_names,
            paste=paste,
            paste_created=paste_created,
            statbate=outcomes,
            statbate_analysis=analysis_outcomes,
            latest_snapshots=snapshots.latest_per_source(conn, person.id),
            recent_interactions=interactions.latest_for_person(
                conn, person.id, RECENT_INTERACTIONS
            ),
            attributes=memory.attributes_of(conn, person.id),
            notes=memory.notes_of(conn, person.id),
            my_room=room,
            notices=notices,
        )


def statbate_from_settings(settings: Callable[[], Settings]) -> StatbateFactory:
    """A factory for the Statbate Premium client; ConfigError while MHC_STATBATE_TOKEN is unset.

    The client (and its HTTP connection pool) is created on first use and kept for the life of
    the execution environment; the import is lazy so the API's cold start does not pay for it.
    """
    cache: dict[str, StatbateSource] = {}

    def factory() -> StatbateSource | None:
        current = settings()
        # Missing: ConfigError saying how to set it where this runs (locally or in AWS).
        token = current.require_secret("MHC_STATBATE_TOKEN")
        if token not in cache:
            import httpx

            from mhc.clients.statbate import StatbateClient

            cache.clear()
            cache[token] = StatbateClient.from_settings(current, httpx.Client())
        return cache[token]

    return factory
