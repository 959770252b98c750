-- MHC initial schema: people, their history, the owner's sessions, memory and job health.
-- All times are timestamptz (UTC). Usernames are stored lower-case. Statbate ids are bigint.

-- Append-only tables reject UPDATE, DELETE and TRUNCATE in the database itself.
CREATE FUNCTION mhc_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

-- ---------------------------------------------------------------- persons
CREATE TABLE persons (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform        text        NOT NULL DEFAULT 'chaturbate' CHECK (platform = 'chaturbate'),
    username        text        NOT NULL CHECK (username ~ '^[a-z0-9_]{1,64}$'),
    username_since  timestamptz NOT NULL DEFAULT now(),
    role            text        NOT NULL DEFAULT 'UNKNOWN'
                                CHECK (role IN ('MODEL', 'VIEWER', 'BOTH', 'UNKNOWN')),
    role_is_manual  boolean     NOT NULL DEFAULT false,
    rid             bigint,
    did             bigint,
    is_excluded     boolean     NOT NULL DEFAULT false,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, username)
);
CREATE UNIQUE INDEX persons_did_key ON persons (platform, did) WHERE did IS NOT NULL;
CREATE UNIQUE INDEX persons_rid_key ON persons (platform, rid) WHERE rid IS NOT NULL;
CREATE INDEX persons_username_prefix ON persons (username text_pattern_ops);
CREATE INDEX persons_last_seen ON persons (last_seen_at DESC);

-- Past names of a person: [valid_from, valid_to). The current name lives in persons.username.
CREATE TABLE person_aliases (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   bigint      NOT NULL REFERENCES persons (id),
    platform    text        NOT NULL DEFAULT 'chaturbate',
    username    text        NOT NULL CHECK (username ~ '^[a-z0-9_]{1,64}$'),
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz NOT NULL,
    source      text        NOT NULL CHECK (source IN ('statbate_did', 'statbate_rid', 'manual')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to >= valid_from),
    UNIQUE (person_id, username, valid_from)
);
CREATE INDEX person_aliases_username ON person_aliases (platform, username text_pattern_ops);
CREATE INDEX person_aliases_person ON person_aliases (person_id);

-- ---------------------------------------------------------------- snapshots (append-only)
CREATE TABLE snapshots (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id           bigint      NOT NULL REFERENCES persons (id),
    source              text        NOT NULL
                        CHECK (source IN ('statbate_member', 'statbate_model', 'cb_stats', 'cb_profile',
                                          'affiliate', 'manual')),
    captured_at         timestamptz NOT NULL,
    raw_payload         jsonb       NOT NULL,
    normalized_metrics  jsonb       NOT NULL DEFAULT '{}'::jsonb
                        CHECK (jsonb_typeof(normalized_metrics) = 'object'),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX snapshots_person_source_time ON snapshots (person_id, source, captured_at DESC, id DESC);

-- ---------------------------------------------------------------- raw_events (append-only)
-- Every Events API envelope exactly as received; derived rows can be rebuilt from here.
CREATE TABLE raw_events (
    event_id     text        PRIMARY KEY,
    method       text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    payload      jsonb       NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX raw_events_occurred ON raw_events (occurred_at);

-- ---------------------------------------------------------------- stream sessions
CREATE TABLE stream_sessions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    source      text        NOT NULL CHECK (source IN ('manual', 'cb_events')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- At most one session is open at a time.
CREATE UNIQUE INDEX stream_sessions_one_open ON stream_sessions ((true)) WHERE ended_at IS NULL;
CREATE INDEX stream_sessions_started ON stream_sessions (started_at DESC);

-- ---------------------------------------------------------------- interactions (append-only)
CREATE TABLE interactions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    bigint      NOT NULL REFERENCES persons (id),
    type         text        NOT NULL CHECK (type IN (
                     'CHAT_MESSAGE', 'PRIVATE_MESSAGE', 'DIRECT_MESSAGE', 'TIP_EVENT',
                     'PROFILE_PASTE', 'CHAT_IMPORT', 'MANUAL_NOTE', 'FOLLOW', 'UNFOLLOW',
                     'USER_ENTER', 'USER_LEAVE', 'FANCLUB_JOIN', 'MEDIA_PURCHASE',
                     'ROOM_SUBJECT_CHANGE')),
    source       text        NOT NULL CHECK (source IN ('cb_events', 'statbate_plus', 'manual',
                                                        'dm_import')),
    external_id  text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    -- Whose room it happened in (a broadcaster's username); NULL for notes, pastes and DMs.
    broadcaster  text        CHECK (broadcaster ~ '^[a-z0-9_]{1,64}$'),
    content      text,
    metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, external_id)
);
CREATE INDEX interactions_person_time ON interactions (person_id, occurred_at DESC, id DESC);
CREATE INDEX interactions_room_time ON interactions (broadcaster, occurred_at) WHERE broadcaster IS NOT NULL;
CREATE INDEX interactions_time ON interactions (occurred_at DESC, id DESC);
CREATE INDEX interactions_content_fts ON interactions
    USING gin (to_tsvector('simple', coalesce(content, '')));

CREATE TRIGGER snapshots_append_only BEFORE UPDATE OR DELETE ON snapshots
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER snapshots_no_truncate BEFORE TRUNCATE ON snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER raw_events_append_only BEFORE UPDATE OR DELETE ON raw_events
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER raw_events_no_truncate BEFORE TRUNCATE ON raw_events
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER interactions_append_only BEFORE UPDATE OR DELETE ON interactions
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER interactions_no_truncate BEFORE TRUNCATE ON interactions
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();

-- ---------------------------------------------------------------- attributes (memory)
CREATE TABLE attributes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id       bigint      NOT NULL REFERENCES persons (id),
    key             text        NOT NULL CHECK (key ~ '^[a-z0-9_.\-]{1,64}$'),
    value           text        NOT NULL CHECK (length(value) <= 2000),
    confidence      text        NOT NULL CHECK (confidence IN ('low', 'medium', 'high')),
    evidence_kind   text        NOT NULL CHECK (evidence_kind IN ('snapshot', 'interaction', 'manual')),
    snapshot_id     bigint      REFERENCES snapshots (id),
    interaction_id  bigint      REFERENCES interactions (id),
    evidence_note   text        CHECK (length(evidence_note) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (person_id, key),
    CHECK ((evidence_kind = 'snapshot') = (snapshot_id IS NOT NULL)),
    CHECK ((evidence_kind = 'interaction') = (interaction_id IS NOT NULL))
);

-- ---------------------------------------------------------------- watchlists
CREATE TABLE watchlists (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    is_system   boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO watchlists (name, is_system) VALUES
    ('Friends', true),
    ('Known Streamers', true),
    ('Ones to Watch', true),
    ('Banned But Craved', true),
    ('Excluded', true);

CREATE TABLE watchlist_members (
    watchlist_id  bigint      NOT NULL REFERENCES watchlists (id),
    person_id     bigint      NOT NULL REFERENCES persons (id),
    added_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (watchlist_id, person_id)
);
CREATE INDEX watchlist_members_person ON watchlist_members (person_id);

-- ---------------------------------------------------------------- job runs (health)
CREATE TABLE job_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job          text        NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status       text        NOT NULL
                 CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'not_configured')),
    counts       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error        text,
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at DESC);
CREATE INDEX job_runs_started ON job_runs (started_at DESC);
