"""SQL for broadcaster profiles and their follower-count history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict

from mhc.db.connection import Conn


class ProfileRow(BaseModel):
    """What MHC knows about a broadcaster right now (affiliate feed + profile JSON)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    person_id: int
    display_name: str | None
    gender: str | None
    age: int | None
    location: str | None
    country: str | None
    languages: str | None
    tags: list[str]
    room_subject: str | None
    followers: int | None
    image_url: str | None
    current_show: str | None
    num_users: int | None
    last_seen_online_at: datetime | None
    real_name: str | None
    about_me_html: str | None
    wish_list_html: str | None
    room_status: str | None
    last_broadcast_at: datetime | None
    profile_status: str | None
    profile_fetched_at: datetime | None
    profile_retry_after: datetime | None
    updated_at: datetime


COLUMNS = (
    "pr.person_id, pr.display_name, pr.gender, pr.age, pr.location, pr.country, pr.languages,"
    " pr.tags, pr.room_subject, pr.followers, pr.image_url, pr.current_show, pr.num_users,"
    " pr.last_seen_online_at, pr.real_name, pr.about_me_html, pr.wish_list_html, pr.room_status,"
    " pr.last_broadcast_at, pr.profile_status, pr.profile_fetched_at, pr.profile_retry_after,"
    " pr.updated_at"
)


@dataclass(frozen=True)
class FeedProfile:
    """One room of the affiliate feed, as stored on the broadcaster's profile."""

    person_id: int
    display_name: str | None
    gender: str | None
    age: int | None
    location: str | None
    country: str | None
    languages: str | None
    tags: list[str]
    room_subject: str | None
    followers: int | None
    image_url: str | None
    current_show: str | None
    num_users: int | None


def get(conn: Conn, person_id: int) -> ProfileRow | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM profiles pr WHERE pr.person_id = %s", (person_id,)
    ).fetchone()
    return None if row is None else ProfileRow.model_validate(row)


def get_many(conn: Conn, person_ids: Sequence[int]) -> dict[int, ProfileRow]:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM profiles pr WHERE pr.person_id = ANY(%s)", (list(person_ids),)
    ).fetchall()
    return {int(row["person_id"]): ProfileRow.model_validate(row) for row in rows}


def tags_by_room(conn: Conn, usernames: Sequence[str]) -> dict[str, list[str]]:
    """The profile tags of the rooms named (current names; rooms without tags left out)."""
    rows = conn.execute(
        """SELECT p.username, pr.tags FROM persons p JOIN profiles pr ON pr.person_id = p.id
           WHERE p.username = ANY(%s) AND p.merged_into IS NULL AND cardinality(pr.tags) > 0""",
        (list(usernames),),
    ).fetchall()
    return {str(row["username"]): list(row["tags"]) for row in rows}


def followers(conn: Conn, person_ids: Sequence[int]) -> dict[int, int | None]:
    """The latest recorded follower count of each person (from the history)."""
    rows = conn.execute(
        """SELECT p.id AS person_id, last.followers FROM unnest(%s::bigint[]) AS p(id)
           CROSS JOIN LATERAL (SELECT followers FROM follower_counts f WHERE f.person_id = p.id
                               ORDER BY observed_at DESC, id DESC LIMIT 1) last""",
        (list(person_ids),),
    ).fetchall()
    return {int(row["person_id"]): row["followers"] for row in rows}


def record_followers(
    conn: Conn, counts: Mapping[int, int], *, observed_at: datetime, source: str
) -> int:
    if not counts:
        return 0
    conn.execute(
        """INSERT INTO follower_counts (person_id, observed_at, followers, source)
           SELECT id, %s, n, %s FROM unnest(%s::bigint[], %s::int[]) AS v(id, n)""",
        (observed_at, source, list(counts), list(counts.values())),
    )
    return len(counts)


def upsert_from_feed(conn: Conn, rooms: Sequence[FeedProfile], seen_at: datetime) -> int:
    """Insert or refresh the feed fields of many profiles in one statement."""
    if not rooms:
        return 0
    document = [
        {
            "person_id": r.person_id,
            "display_name": r.display_name,
            "gender": r.gender,
            "age": r.age,
            "location": r.location,
            "country": r.country,
            "languages": r.languages,
            "tags": r.tags,
            "room_subject": r.room_subject,
            "followers": r.followers,
            "image_url": r.image_url,
            "current_show": r.current_show,
            "num_users": r.num_users,
        }
        for r in rooms
    ]
    conn.execute(
        """INSERT INTO profiles AS pr (person_id, display_name, gender, age, location, country,
                languages, tags, room_subject, followers, image_url, current_show, num_users,
                last_seen_online_at)
           SELECT r.person_id, r.display_name, r.gender, r.age, r.location, r.country,
                  r.languages,
                  coalesce(ARRAY(SELECT jsonb_array_elements_text(r.tags)), '{}'),
                  r.room_subject, r.followers, r.image_url, r.current_show, r.num_users, %s
           FROM jsonb_to_recordset(%s::jsonb) AS r(person_id bigint, display_name text,
                gender text, age integer, location text, country text, languages text,
                tags jsonb, room_subject text, followers integer, image_url text,
                current_show text, num_users integer)
           ON CONFLICT (person_id) DO UPDATE SET
               display_name = EXCLUDED.display_name, gender = EXCLUDED.gender,
               age = EXCLUDED.age, location = EXCLUDED.location, country = EXCLUDED.country,
               languages = EXCLUDED.languages, tags = EXCLUDED.tags,
               room_subject = EXCLUDED.room_subject,
               followers = coalesce(EXCLUDED.followers, pr.followers),
               image_url = coalesce(EXCLUDED.image_url, pr.image_url),
               current_show = EXCLUDED.current_show, num_users = EXCLUDED.num_users,
               last_seen_online_at = greatest(pr.last_seen_online_at,
                                              EXCLUDED.last_seen_online_at),
               updated_at = now()""",
        (seen_at, Jsonb(document)),
    )
    return len(rooms)


def save_profile_json(
    conn: Conn,
    person_id: int,
    *,
    fetched_at: datetime,
    raw: Mapping[str, Any],
    fields: Mapping[str, Any],
) -> None:
    """Store a fetched profile (`fields`: location, languages, age, followers, real_name,
    about_me_html, wish_list_html, room_status, last_broadcast_at, gender)."""
    conn.execute(
        """INSERT INTO profiles AS pr (person_id, location, languages, age, followers, real_name,
                about_me_html, wish_list_html, room_status, last_broadcast_at, gender,
                profile_raw, profile_status, profile_fetched_at, profile_retry_after)
           VALUES (%(id)s, %(location)s, %(languages)s, %(age)s, %(followers)s, %(real_name)s,
                   %(about_me_html)s, %(wish_list_html)s, %(room_status)s, %(last_broadcast_at)s,
                   %(gender)s, %(raw)s, 'ok', %(at)s, NULL)
           ON CONFLICT (person_id) DO UPDATE SET
               location = coalesce(EXCLUDED.location, pr.location),
               languages = coalesce(EXCLUDED.languages, pr.languages),
               age = coalesce(EXCLUDED.age, pr.age),
               followers = coalesce(EXCLUDED.followers, pr.followers),
               gender = coalesce(pr.gender, EXCLUDED.gender),
               real_name = EXCLUDED.real_name, about_me_html = EXCLUDED.about_me_html,
               wish_list_html = EXCLUDED.wish_list_html, room_status = EXCLUDED.room_status,
               last_broadcast_at = EXCLUDED.last_broadcast_at, profile_raw = EXCLUDED.profile_raw,
               profile_status = 'ok', profile_fetched_at = EXCLUDED.profile_fetched_at,
               profile_retry_after = NULL, updated_at = now()""",
        {**fields, "id": person_id, "raw": Jsonb(dict(raw)), "at": fetched_at},
    )


def mark_unavailable(
    conn: Conn, person_id: int, *, status: str, fetched_at: datetime, retry_after: datetime
) -> None:
    """A gone (404) or restricted (401) profile: not asked again before `retry_after`."""
    conn.execute(
        """INSERT INTO profiles AS pr (person_id, profile_status, profile_fetched_at,
                                       profile_retry_after)
           VALUES (%s, %s, %s, %s)
           ON CONFLICT (person_id) DO UPDATE SET profile_status = EXCLUDED.profile_status,
               profile_fetched_at = EXCLUDED.profile_fetched_at,
               profile_retry_after = EXCLUDED.profile_retry_after, updated_at = now()""",
        (person_id, status, fetched_at, retry_after),
    )
