"""Job `affiliate_sweep`: the whole online-rooms feed, fetched once per run and stored in one
transaction: broadcaster persons (MODEL), their profiles, one `broadcasts` row per broadcast
(start = seen - seconds_online, matched within 10 minutes), follower counts when they change,
and an `affiliate` snapshot for watchlist members seen online."""

from __future__ import annotations

from mhc.clients.affiliate import AffiliateClient, OnlineRoom
from mhc.clients.http import Timeouts
from mhc.domain.jobs import AffiliateSweepConfig
from mhc.domain.models import SnapshotSource
from mhc.domain.profiles import affiliate_metrics
from mhc.domain.roles import Role
from mhc.domain.usernames import InvalidUsername, normalize_username
from mhc.services import profiles, snapshots, watchlists
from mhc.services.job_context import JobContext, JobResult
from mhc.services.persons import resolve_sightings
from mhc.services.profiles import FeedProfile, FeedRoom


def _client(ctx: JobContext, config: AffiliateSweepConfig) -> AffiliateClient:
    settings = ctx.deps.settings
    return AffiliateClient(
        ctx.deps.http,
        campaign=settings.require_affiliate_campaign(),
        base_url=settings.mhc_affiliate_api_url,
        page_delay_seconds=settings.mhc_affiliate_page_delay_seconds
        if config.page_delay_seconds is None
        else config.page_delay_seconds,
        timeouts=Timeouts(
            settings.mhc_http_connect_timeout_seconds, settings.mhc_http_read_timeout_seconds
        ),
        deps=ctx.deps.client_deps,
    )


def _feed_profile(person_id: int, room: OnlineRoom) -> FeedProfile:
    return FeedProfile(
        person_id=person_id,
        display_name=room.display_name,
        gender=room.gender,
        age=room.age,
        location=room.location,
        country=room.country,
        languages=room.spoken_languages,
        tags=[tag for tag in room.tags if isinstance(tag, str)][:50],
        room_subject=room.room_subject,
        followers=room.num_followers,
        image_url=room.image_url,
        current_show=room.current_show,
        num_users=room.num_users,
    )


def affiliate_sweep(ctx: JobContext) -> JobResult:
    config: AffiliateSweepConfig = ctx.config
    client = _client(ctx, config)
    seen_at = ctx.deps.clock()
    feed = client.fetch_feed(
        gender=config.genders, region=config.regions, tags=config.tags, deadline=ctx.deadline
    )
    rooms: dict[str, OnlineRoom] = {}
    invalid = 0
    for room in feed.rooms:
        try:
            rooms[normalize_username(room.username)] = room
        except InvalidUsername:
            invalid += 1
    counts: dict[str, object] = {
        "pages": feed.pages,
        "rooms": len(rooms),
        "reported_count": feed.reported_count,
        "duplicates": feed.duplicates,
        "rejected": len(feed.rejected) + invalid,
        "complete": feed.is_complete(),
    }
    with ctx.db.transaction() as conn:
        watched = watchlists.watchlisted_usernames(conn, list(rooms))
        kept = {
            name: room
            for name, room in rooms.items()
            if name in watched or (room.num_followers or 0) >= config.min_followers
        }
        names = sorted(kept)
        ids = resolve_sightings(
            conn,
            dict.fromkeys(names, Role.MODEL),
            dict.fromkeys(names, seen_at),
            dict.fromkeys(names, seen_at),
        )
        recorded = profiles.record_feed(
            conn,
            [
                FeedRoom(_feed_profile(ids[name], kept[name]), kept[name].seconds_online)
                for name in names
            ],
            seen_at=seen_at,
        )
        online_watched = 0
        if config.watchlist_snapshots:
            for name in sorted(watched & set(kept)):
                room = kept[name]
                snapshots.append(
                    conn,
                    ids[name],
                    SnapshotSource.AFFILIATE,
                    captured_at=seen_at,
                    raw_payload=room.model_dump(mode="json", by_alias=True),
                    normalized_metrics=affiliate_metrics(room.model_dump(mode="json")),
                )
                online_watched += 1
    counts.update(
        {
            "recorded": len(names),
            "followers_changed": recorded.followers_changed,
            "broadcasts_started": recorded.broadcasts_started,
            "broadcasts_extended": recorded.broadcasts_extended,
            "watchlist_online": online_watched,
        }
    )
    return JobResult(counts=counts)
