-- Scheduled collection: configurable jobs, persisted API cool-downs, broadcaster profiles,
-- broadcasts seen in the affiliate feed, follower-count history and "not on Statbate" marks.

-- ---------------------------------------------------------------- jobs
-- One row per configurable job. `config` is validated per kind in Python (mhc.domain.jobs);
-- `next_run_at` NULL means "due now". A run claims its job by moving `next_run_at` forward.
CREATE TABLE jobs (
    name              text        PRIMARY KEY CHECK (name ~ '^[a-z0-9_]{1,64}$'),
    kind              text        NOT NULL CHECK (kind IN ('cb_stats', 'statbate_refresh',
                                                           'affiliate_sweep', 'profile_collection')),
    enabled           boolean     NOT NULL DEFAULT true,
    interval_seconds  integer     NOT NULL CHECK (interval_seconds BETWEEN 60 AND 7 * 86400),
    config            jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    last_run_at       timestamptz,
    last_status       text        CHECK (last_status IN ('running', 'succeeded', 'failed', 'skipped',
                                                         'not_configured')),
    next_run_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

INSERT INTO jobs (name, kind, interval_seconds) VALUES
    ('cb_stats', 'cb_stats', 300),
    ('statbate_refresh', 'statbate_refresh', 6 * 3600),
    ('affiliate_sweep', 'affiliate_sweep', 300),
    ('profile_collection', 'profile_collection', 900);

-- A throttled upstream API (Stats API 403/429, profile 429s, Cloudflare) is left alone until
-- `until`, across invocations and across every job that uses it.
CREATE TABLE api_cool_downs (
    api         text        PRIMARY KEY CHECK (api ~ '^[a-z_]{1,32}$'),
    until       timestamptz NOT NULL,
    reason      text        NOT NULL CHECK (length(reason) <= 500),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- profiles
-- The current picture of a broadcaster: affiliate-feed fields (refreshed by every sweep that
-- sees them) and profile-JSON fields (biocontext). History lives in snapshots and below.
CREATE TABLE profiles (
    person_id            bigint      PRIMARY KEY REFERENCES persons (id),
    display_name         text,
    gender               text,
    age                  integer,
    location             text,
    country              text,
    languages            text,
    tags                 text[]      NOT NULL DEFAULT '{}',
    room_subject         text,
    followers            integer,
    image_url            text,
    current_show         text,
    num_users            integer,
    last_seen_online_at  timestamptz,
    -- profile JSON (biocontext); HTML fields are sanitized before they get here
    real_name            text,
    about_me_html        text,
    wish_list_html       text,
    room_status          text,
    last_broadcast_at    timestamptz,
    profile_raw          jsonb,
    profile_status       text        CHECK (profile_status IN ('ok', 'gone', 'restricted')),
    profile_fetched_at   timestamptz,
    -- a gone or restricted profile is not asked for again before this
    profile_retry_after  timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX profiles_last_online ON profiles (last_seen_online_at DESC);
CREATE INDEX profiles_fetched ON profiles (profile_fetched_at NULLS FIRST);

-- Follower counts, one row per observed change (append-only).
CREATE TABLE follower_counts (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    bigint      NOT NULL REFERENCES persons (id),
    observed_at  timestamptz NOT NULL,
    followers    integer     NOT NULL CHECK (followers >= 0),
    source       text        NOT NULL CHECK (source IN ('affiliate', 'cb_profile', 'cb_stats')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follower_counts_person_time ON follower_counts (person_id, observed_at DESC, id DESC);
CREATE TRIGGER follower_counts_append_only BEFORE UPDATE OR DELETE ON follower_counts
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER follower_counts_no_truncate BEFORE TRUNCATE ON follower_counts
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();

-- ---------------------------------------------------------------- broadcasts
-- One row per broadcast of any broadcaster seen in the affiliate feed. started_at is
-- "seen at - seconds_online" from the first sighting; later sightings whose computed start is
-- within 10 minutes of it extend the same row.
CREATE TABLE broadcasts (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id      bigint      NOT NULL REFERENCES persons (id),
    started_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    max_viewers    integer,
    sightings      integer     NOT NULL DEFAULT 1 CHECK (sightings >= 1),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (last_seen_at >= started_at)
);
CREATE INDEX broadcasts_person_started ON broadcasts (person_id, started_at DESC);

-- ---------------------------------------------------------------- Statbate absences
-- "Not on Statbate": a 404 (or a batch "not found") is remembered, so a refresh does not ask
-- again every cycle. Removed when Statbate later knows the person.
CREATE TABLE statbate_absences (
    person_id   bigint      NOT NULL REFERENCES persons (id),
    source      text        NOT NULL CHECK (source IN ('statbate_member', 'statbate_model')),
    checked_at  timestamptz NOT NULL,
    PRIMARY KEY (person_id, source)
);
