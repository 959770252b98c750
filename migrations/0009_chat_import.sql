-- Statbate Plus chat import (issue 16): the raw responses, where each import stands, and the
-- job that runs it.
--
-- 1. `chat_import_responses` (append-only, like raw_events): every chat response as read (a
--    Plus page fetched by the importer, or a response in a captured file), whole, so a shape
--    the field map cannot read yet is kept and can be imported later. The same response read
--    twice is stored once (`digest`). Messages become `interactions` (type CHAT_IMPORT, source
--    statbate_plus) whose metadata names the response and the item.
-- 2. `chat_import_targets`: one row per chat imported (a room, a member, a room's live
--    session): the walk in progress (checkpoint = the URL still to fetch, committed with the
--    page before it), whether a full walk ever reached the end, on-demand requests, and the
--    claim of the run walking it.
-- 3. The `chat_import` job (hourly) and its own run status `auth_expired`: an expired Plus
--    session is a thing the owner must act on, not a failure of the code.

-- ---------------------------------------------------------------- 1. raw responses
CREATE TABLE chat_import_responses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- sha256 of the URL and the body as read: the same response twice is stored once
    digest      text        NOT NULL UNIQUE CHECK (digest ~ '^[0-9a-f]{64}$'),
    origin      text        NOT NULL CHECK (origin IN ('plus', 'file')),
    url         text        CHECK (length(url) <= 2000),
    fetched_at  timestamptz NOT NULL,
    body        jsonb       NOT NULL,
    messages    integer     NOT NULL CHECK (messages >= 0),
    -- items the field map could not read (kept in `body`), and why, by reason
    unmapped    integer     NOT NULL CHECK (unmapped >= 0),
    problems    jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(problems) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_import_responses_unmapped ON chat_import_responses (fetched_at DESC)
    WHERE unmapped > 0 OR problems <> '{}'::jsonb;
CREATE TRIGGER chat_import_responses_append_only BEFORE UPDATE OR DELETE ON chat_import_responses
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER chat_import_responses_no_truncate BEFORE TRUNCATE ON chat_import_responses
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();

-- ---------------------------------------------------------------- 2. targets
CREATE TABLE chat_import_targets (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('room', 'member', 'live')),
    name          text        NOT NULL CHECK (name ~ '^[a-z0-9_]{1,64}$'),
    -- the walk in progress: the next URL to fetch, how far it goes, and its time window
    checkpoint    text        CHECK (length(checkpoint) <= 2000),
    walk          text        CHECK (walk IN ('full', 'catch_up')),
    since         timestamptz,
    until         timestamptz,
    pages_walked  integer     NOT NULL DEFAULT 0 CHECK (pages_walked >= 0),
    -- when a full walk last reached the end of the history (NULL: never)
    completed_at  timestamptz,
    -- asked for on demand (API, CLI) and not walked to its end since
    requested_at  timestamptz,
    -- the run walking it; refreshed with every page, free again when older than 10 minutes
    claimed_at    timestamptz,
    claimed_by    text        CHECK (length(claimed_by) <= 200),
    last_run_at   timestamptz,
    last_status   text        CHECK (last_status IN ('running', 'succeeded', 'failed',
                                                     'auth_expired', 'skipped')),
    last_counts   jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(last_counts) = 'object'),
    last_error    text        CHECK (length(last_error) <= 2000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, name),
    CHECK ((checkpoint IS NULL) = (walk IS NULL)),
    CHECK (since IS NULL OR until IS NULL OR since < until)
);
CREATE INDEX chat_import_targets_requested ON chat_import_targets (requested_at)
    WHERE requested_at IS NOT NULL;

-- ---------------------------------------------------------------- 3. the job
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
    CHECK (kind IN ('cb_stats', 'statbate_refresh', 'affiliate_sweep', 'profile_collection',
                    'chat_import'));
ALTER TABLE jobs DROP CONSTRAINT jobs_last_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_last_status_check
    CHECK (last_status IN ('running', 'succeeded', 'failed', 'skipped', 'not_configured',
                           'auth_expired'));
ALTER TABLE job_runs DROP CONSTRAINT job_runs_status_check;
ALTER TABLE job_runs ADD CONSTRAINT job_runs_status_check
    CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'not_configured',
                      'auth_expired'));

INSERT INTO jobs (name, kind, interval_seconds) VALUES ('chat_import', 'chat_import', 3600);
