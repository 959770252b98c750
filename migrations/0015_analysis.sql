-- Behavioural analysis (issue 17): Statbate's analysis endpoints as snapshot sources, inferred
-- attributes, and the summaries that let insights read a regular's history in milliseconds.
--
-- 1. Snapshot sources for Statbate's member analysis endpoints (append-only like the rest).
-- 2. An attribute the owner accepted from MHC's proposals is `inferred` evidence.
-- 3. `mhc_is_own_action`: what a person did themselves (the owner's notes, pastes and messages
--    to them, and anonymous tips, are not theirs to count).
-- 4. Summaries kept by the inserting statement itself (like person_interaction_counts, 0003):
--    `payments` (every payment: tips, media, shows, other; narrow), `room_payment_quarters` and
--    `person_payment_quarters` (income per 15 minutes), `person_activity_quarters` (own actions
--    per 15 minutes: every timezone's offset is a whole number of quarters, so local hours are
--    exact), `person_rooms` (first and last own action per room, private messages each way) and
--    `session_attendance` (who did what in each of the owner's sessions, also kept by the
--    sessions' own trigger when a session starts, ends, reopens or is rebuilt).
-- 5. Two narrow partial indexes: enter/leave (presence) and follows, per person.
-- All summaries are keyed by the person row that inserted them (merged rows are read through
-- their survivor, exclusion is applied when read), so merges and exclusions never rewrite them.
-- A row linked as an imported twin of a live one is taken back out of every summary (4e).

-- ---------------------------------------------------------------- 1. snapshot sources
SELECT mhc_allow_values('snapshots', 'snapshots_source_check', 'source',
                        ARRAY['statbate_member_on_model', 'statbate_tag_spending',
                              'statbate_member_tips', 'statbate_member_activity']);

-- ---------------------------------------------------------------- 2. inferred attributes
SELECT mhc_allow_values('attributes', 'attributes_evidence_kind_check', 'evidence_kind',
                        ARRAY['inferred']);

-- ---------------------------------------------------------------- 3. own actions, payments
CREATE FUNCTION mhc_is_own_action(type text, metadata jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT type NOT IN ('MANUAL_NOTE', 'PROFILE_PASTE')
       AND NOT mhc_is_anonymous_tip(type, metadata)
       AND NOT coalesce(metadata ? 'actor', false)
       AND coalesce(metadata ->> 'direction', '') <> 'outgoing'
$$;

-- Tokens of a payment (`mhc_payment_tokens`, 0008); NULL when the row carries none, so that
-- count(tokens) counts payments.
CREATE FUNCTION mhc_tokens(metadata jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT nullif(mhc_payment_tokens(metadata), 0)
$$;

-- What a payment row was paid for: `domain.token_history.TransactionType`.
CREATE FUNCTION mhc_payment_kind(type text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE type WHEN 'TIP_EVENT' THEN 'tip' WHEN 'MEDIA_PURCHASE' THEN 'media_purchase'
                     WHEN 'PRIVATE_SHOW' THEN 'private_show' WHEN 'SPY_SHOW' THEN 'spy_show'
                     ELSE 'other' END
$$;

-- A row the summaries count as a payment: every kind (tokens are every payment, decision 104),
-- with tokens, not the owner's own (an `actor` row).
CREATE FUNCTION mhc_is_counted_payment(type text, metadata jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT mhc_is_payment(type) AND mhc_payment_tokens(metadata) > 0
       AND NOT coalesce(metadata ? 'actor', false)
$$;

CREATE FUNCTION mhc_quarter(at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT date_bin('15 minutes', at, timestamptz '2000-01-03 00:00:00+00')
$$;

-- The counters are upserted by every page of events: room left in each heap page (fillfactor)
-- keeps those updates HOT (no new index entries) when no indexed column changes.

-- ---------------------------------------------------------------- 4a. payments
-- Every summary leaves out a row linked as an imported twin of a live one (interaction_twins,
-- 0007): the statement linking it takes its counts back out (section 4e). Summaries are derived
-- (rebuilt from interactions and twins by a restore), so they are not append-only.
CREATE TABLE payments (
    interaction_id  bigint      PRIMARY KEY REFERENCES interactions (id),
    person_id       bigint      NOT NULL REFERENCES persons (id),
    broadcaster     text,
    occurred_at     timestamptz NOT NULL,
    -- What was paid for (`domain.token_history.TransactionType`, `mhc_payment_kind`).
    kind            text        NOT NULL
        CHECK (kind IN ('tip', 'media_purchase', 'private_show', 'spy_show', 'other')),
    tokens          bigint      NOT NULL CHECK (tokens > 0),
    is_anonymous    boolean     NOT NULL,
    -- Where the row came from (`interactions.source`): the evidence an insight cites.
    source          text        NOT NULL
);
CREATE INDEX payments_person_time ON payments (person_id, occurred_at)
    INCLUDE (broadcaster, kind, tokens, is_anonymous);
CREATE INDEX payments_room_time ON payments (broadcaster, occurred_at)
    INCLUDE (person_id, kind, tokens, is_anonymous);

-- What the owner's room (any room) earned per quarter hour, from everyone: audience figures take
-- the excluded persons' own payments back out when they read it (exclusion can change).
CREATE TABLE room_payment_quarters (
    broadcaster  text        NOT NULL,
    quarter      timestamptz NOT NULL,
    payments     bigint      NOT NULL CHECK (payments >= 0),
    tokens       bigint      NOT NULL CHECK (tokens >= 0),
    PRIMARY KEY (broadcaster, quarter)
) WITH (fillfactor = 70);

-- The same per person, so the audience can take an excluded person's income back out of the
-- room's without reading each of their payments.
CREATE TABLE person_payment_quarters (
    person_id    bigint      NOT NULL REFERENCES persons (id),
    broadcaster  text        NOT NULL,
    quarter      timestamptz NOT NULL,
    payments     bigint      NOT NULL CHECK (payments >= 0),
    tokens       bigint      NOT NULL CHECK (tokens >= 0),
    PRIMARY KEY (person_id, broadcaster, quarter)
) WITH (fillfactor = 70);

-- ---------------------------------------------------------------- 4b. activity per quarter hour
CREATE TABLE person_activity_quarters (
    person_id  bigint      NOT NULL REFERENCES persons (id),
    quarter    timestamptz NOT NULL,
    actions    bigint      NOT NULL CHECK (actions >= 0),
    PRIMARY KEY (person_id, quarter)
) WITH (fillfactor = 70);

-- ---------------------------------------------------------------- 4c. per person and room
CREATE TABLE person_rooms (
    person_id               bigint      NOT NULL REFERENCES persons (id),
    broadcaster             text        NOT NULL,
    first_at                timestamptz,
    last_at                 timestamptz,
    actions                 bigint      NOT NULL DEFAULT 0,
    private_messages_in     bigint      NOT NULL DEFAULT 0,
    private_messages_out    bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (person_id, broadcaster)
) WITH (fillfactor = 70);
CREATE INDEX person_rooms_first ON person_rooms (broadcaster, first_at);

-- ---------------------------------------------------------------- 4d. session attendance
-- A moment belongs to every session whose [started_at, ended_at) holds it (NULL end: open).
CREATE INDEX stream_sessions_span ON stream_sessions
    USING gist (tstzrange(started_at, ended_at, '[)'));

CREATE TABLE session_attendance (
    session_id        bigint      NOT NULL REFERENCES stream_sessions (id) ON DELETE CASCADE,
    broadcaster       text        NOT NULL,
    person_id         bigint      NOT NULL REFERENCES persons (id),
    -- The person's own actions (attended when > 0), and of what kind.
    actions           bigint      NOT NULL,
    chat_messages     bigint      NOT NULL,
    private_messages  bigint      NOT NULL,
    tips              bigint      NOT NULL,
    tokens            bigint      NOT NULL,
    media_purchases   bigint      NOT NULL,
    media_tokens      bigint      NOT NULL,
    follows           bigint      NOT NULL,
    unfollows         bigint      NOT NULL,
    -- Anonymous tips: the room's income, never the person's.
    anonymous_tips    bigint      NOT NULL,
    anonymous_tokens  bigint      NOT NULL,
    first_at          timestamptz,
    last_at           timestamptz,
    PRIMARY KEY (session_id, broadcaster, person_id)
) WITH (fillfactor = 70);
CREATE INDEX session_attendance_person ON session_attendance (person_id, session_id);
-- The audience reads who attended a range of sessions. (Not covering `actions` and `last_at`:
-- an index holding a counter makes every upsert a non-HOT update of every index.)
CREATE INDEX session_attendance_room ON session_attendance (broadcaster, session_id);

-- What each person did in the owner's sessions, from their rows. The columns are counted in two
-- places, written alike: over rows already stored (`mhc_attendance_between`: a session's own
-- trigger, a twin's link and the backfill) and over the new rows of an insert (the statement
-- trigger below);
-- tests/integration/test_analysis_summaries.py checks both against a recount.
-- The attendance of [since, until) (NULL until: still open), of `people` only when given.
CREATE FUNCTION mhc_attendance_between(since timestamptz, until timestamptz, people bigint[])
RETURNS TABLE (person_id bigint, broadcaster text, actions bigint, chat_messages bigint,
               private_messages bigint, tips bigint, tokens bigint, media_purchases bigint,
               media_tokens bigint, follows bigint, unfollows bigint, anonymous_tips bigint,
               anonymous_tokens bigint, first_at timestamptz, last_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT r.person_id, r.broadcaster,
           count(*) FILTER (WHERE r.own),
           count(*) FILTER (WHERE r.own AND r.type IN ('CHAT_MESSAGE', 'CHAT_IMPORT')),
           count(*) FILTER (WHERE r.own AND r.type = 'PRIVATE_MESSAGE'),
           count(r.tokens) FILTER (WHERE r.own AND r.type = 'TIP_EVENT'),
           coalesce(sum(r.tokens) FILTER (WHERE r.own AND r.type = 'TIP_EVENT'), 0),
           count(*) FILTER (WHERE r.own AND r.type = 'MEDIA_PURCHASE'),
           coalesce(sum(r.tokens) FILTER (WHERE r.own AND r.type = 'MEDIA_PURCHASE'), 0),
           count(*) FILTER (WHERE r.own AND r.type = 'FOLLOW'),
           count(*) FILTER (WHERE r.own AND r.type = 'UNFOLLOW'),
           count(r.tokens) FILTER (WHERE r.anonymous),
           coalesce(sum(r.tokens) FILTER (WHERE r.anonymous), 0),
           min(r.occurred_at) FILTER (WHERE r.own),
           max(r.occurred_at) FILTER (WHERE r.own)
    FROM (SELECT i.person_id, i.broadcaster, i.type, i.occurred_at,
                 mhc_is_own_action(i.type, i.metadata) AS own,
                 mhc_is_anonymous_tip(i.type, i.metadata) AS anonymous,
                 mhc_tokens(i.metadata) AS tokens
          FROM interactions i
          WHERE i.occurred_at >= since AND (until IS NULL OR i.occurred_at < until)
            AND i.broadcaster IS NOT NULL
            AND (people IS NULL OR i.person_id = ANY(people))
            AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id)
          OFFSET 0) r  -- each row's flags computed once, not once per aggregate
    GROUP BY r.person_id, r.broadcaster
    HAVING count(*) FILTER (WHERE r.own OR r.anonymous) > 0
$$;

-- The attendance statements run as EXECUTE ... USING: planned for the span at hand (a range read
-- on an index), where a plan made for any span reads the whole table.

-- Add what [since, until) holds to a session's attendance (people already counted in full
-- left out).
CREATE FUNCTION mhc_attendance_add(session bigint, since timestamptz, until timestamptz,
                                   counted bigint[]) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE $q$
    INSERT INTO session_attendance AS s (session_id, person_id, broadcaster, actions,
        chat_messages, private_messages, tips, tokens, media_purchases, media_tokens, follows,
        unfollows, anonymous_tips, anonymous_tokens, first_at, last_at)
    SELECT $1, a.person_id, a.broadcaster, a.actions, a.chat_messages, a.private_messages,
           a.tips, a.tokens, a.media_purchases, a.media_tokens, a.follows, a.unfollows,
           a.anonymous_tips, a.anonymous_tokens, a.first_at, a.last_at
    FROM mhc_attendance_between($2, $3, NULL) a
    WHERE NOT a.person_id = ANY($4)
    ORDER BY a.broadcaster, a.person_id
    ON CONFLICT (session_id, broadcaster, person_id) DO UPDATE SET
        actions = s.actions + EXCLUDED.actions,
        chat_messages = s.chat_messages + EXCLUDED.chat_messages,
        private_messages = s.private_messages + EXCLUDED.private_messages,
        tips = s.tips + EXCLUDED.tips,
        tokens = s.tokens + EXCLUDED.tokens,
        media_purchases = s.media_purchases + EXCLUDED.media_purchases,
        media_tokens = s.media_tokens + EXCLUDED.media_tokens,
        follows = s.follows + EXCLUDED.follows,
        unfollows = s.unfollows + EXCLUDED.unfollows,
        anonymous_tips = s.anonymous_tips + EXCLUDED.anonymous_tips,
        anonymous_tokens = s.anonymous_tokens + EXCLUDED.anonymous_tokens,
        first_at = least(s.first_at, EXCLUDED.first_at),
        last_at = greatest(s.last_at, EXCLUDED.last_at)
    $q$ USING session, since, until, counted;
END;
$f$;

-- Count `people`'s attendance of a session again over its span.
CREATE FUNCTION mhc_attendance_recount(session bigint, since timestamptz, until timestamptz,
                                       people bigint[]) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    DELETE FROM session_attendance WHERE session_id = session AND person_id = ANY(people);
    EXECUTE $q$
    INSERT INTO session_attendance (session_id, person_id, broadcaster, actions,
        chat_messages, private_messages, tips, tokens, media_purchases, media_tokens,
        follows, unfollows, anonymous_tips, anonymous_tokens, first_at, last_at)
    SELECT $1, a.* FROM mhc_attendance_between($2, $3, $4) a
    $q$ USING session, since, until, people;
END;
$f$;

-- A session starting, ending, reopening or being rebuilt: serialize with inserts of
-- interactions (they take the same lock, shared), then change only what its new span changes.
-- People with rows the span no longer holds are counted again over the new span; rows it now
-- holds and did not are added for everyone else. Ending a live session and reopening it
-- within the merge gap cost the rows at the edge, not the whole session.
CREATE FUNCTION mhc_session_attendance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    recount bigint[] := '{}';
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.started_at = NEW.started_at
       AND OLD.ended_at IS NOT DISTINCT FROM NEW.ended_at THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('mhc.stream_sessions'));
    IF TG_OP = 'INSERT' THEN
        PERFORM mhc_attendance_add(NEW.id, NEW.started_at, NEW.ended_at, '{}');
        RETURN NULL;
    END IF;
    -- Rows the old span held and the new one does not: their people are counted again.
    -- (Two range reads on the room-time index, planned for these values.)
    EXECUTE $q$
        SELECT ARRAY(
            SELECT i.person_id FROM interactions i
            WHERE i.broadcaster IS NOT NULL AND i.occurred_at >= $1 AND i.occurred_at < $2
            UNION
            SELECT i.person_id FROM interactions i
            WHERE $3::timestamptz IS NOT NULL AND i.broadcaster IS NOT NULL
              AND i.occurred_at >= $3 AND ($4::timestamptz IS NULL OR i.occurred_at < $4))
        $q$ INTO recount USING OLD.started_at, NEW.started_at, NEW.ended_at, OLD.ended_at;
    IF cardinality(recount) > 0 THEN
        PERFORM mhc_attendance_recount(NEW.id, NEW.started_at, NEW.ended_at, recount);
    END IF;
    -- Rows the new span holds and the old one did not, for everyone else.
    IF NEW.started_at < OLD.started_at THEN
        PERFORM mhc_attendance_add(
            NEW.id, NEW.started_at, least(OLD.started_at, NEW.ended_at), recount);
    END IF;
    IF OLD.ended_at IS NOT NULL AND (NEW.ended_at IS NULL OR NEW.ended_at > OLD.ended_at) THEN
        PERFORM mhc_attendance_add(
            NEW.id, greatest(OLD.ended_at, NEW.started_at), NEW.ended_at, recount);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER stream_sessions_attendance AFTER INSERT OR UPDATE OF started_at, ended_at
    ON stream_sessions FOR EACH ROW EXECUTE FUNCTION mhc_session_attendance();

-- New interactions: every summary in one statement over the new rows (each row's flags
-- computed once), each upsert in a fixed lock order (concurrent writers cannot deadlock),
-- inside the inserting statement's own transaction.
CREATE FUNCTION mhc_summarize_interactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows WHERE broadcaster IS NOT NULL) THEN
        -- A session starting, ending or being rebuilt meanwhile counts itself after us.
        PERFORM pg_advisory_xact_lock_shared(hashtext('mhc.stream_sessions'));
    END IF;
    WITH r AS MATERIALIZED (
        SELECT n.id, n.person_id, n.broadcaster, n.type, n.occurred_at, n.source,
               mhc_quarter(n.occurred_at) AS quarter,
               mhc_is_own_action(n.type, n.metadata) AS own,
               mhc_is_anonymous_tip(n.type, n.metadata) AS anonymous,
               mhc_tokens(n.metadata) AS tokens,
               mhc_is_counted_payment(n.type, n.metadata) AS paid
        FROM new_rows n),
    payment AS (
        INSERT INTO payments (interaction_id, person_id, broadcaster, occurred_at, kind, tokens,
                              is_anonymous, source)
        SELECT id, person_id, broadcaster, occurred_at, mhc_payment_kind(type), tokens, anonymous,
               source
        FROM r WHERE paid ORDER BY id),
    room_income AS (
        INSERT INTO room_payment_quarters AS q (broadcaster, quarter, payments, tokens)
        SELECT broadcaster, quarter, count(*), sum(tokens)
        FROM r WHERE paid AND broadcaster IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (broadcaster, quarter) DO UPDATE SET
            payments = q.payments + EXCLUDED.payments, tokens = q.tokens + EXCLUDED.tokens),
    person_income AS (
        INSERT INTO person_payment_quarters AS q (person_id, broadcaster, quarter, payments,
                                                  tokens)
        SELECT person_id, broadcaster, quarter, count(*), sum(tokens)
        FROM r WHERE paid AND broadcaster IS NOT NULL
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (person_id, broadcaster, quarter) DO UPDATE SET
            payments = q.payments + EXCLUDED.payments, tokens = q.tokens + EXCLUDED.tokens),
    activity AS (
        INSERT INTO person_activity_quarters AS q (person_id, quarter, actions)
        SELECT person_id, quarter, count(*) FROM r WHERE own
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (person_id, quarter) DO UPDATE SET actions = q.actions + EXCLUDED.actions),
    rooms AS (
        INSERT INTO person_rooms AS p (person_id, broadcaster, first_at, last_at, actions,
                                       private_messages_in, private_messages_out)
        SELECT person_id, broadcaster,
               min(occurred_at) FILTER (WHERE own), max(occurred_at) FILTER (WHERE own),
               count(*) FILTER (WHERE own),
               count(*) FILTER (WHERE type = 'PRIVATE_MESSAGE' AND own),
               count(*) FILTER (WHERE type = 'PRIVATE_MESSAGE' AND NOT own)
        FROM r WHERE broadcaster IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (person_id, broadcaster) DO UPDATE SET
            first_at = least(p.first_at, EXCLUDED.first_at),
            last_at = greatest(p.last_at, EXCLUDED.last_at),
            actions = p.actions + EXCLUDED.actions,
            private_messages_in = p.private_messages_in + EXCLUDED.private_messages_in,
            private_messages_out = p.private_messages_out + EXCLUDED.private_messages_out)
    INSERT INTO session_attendance AS s (session_id, person_id, broadcaster, actions,
        chat_messages, private_messages, tips, tokens, media_purchases, media_tokens, follows,
        unfollows, anonymous_tips, anonymous_tokens, first_at, last_at)
    SELECT ss.id, r.person_id, r.broadcaster,
           count(*) FILTER (WHERE r.own),
           count(*) FILTER (WHERE r.own AND r.type IN ('CHAT_MESSAGE', 'CHAT_IMPORT')),
           count(*) FILTER (WHERE r.own AND r.type = 'PRIVATE_MESSAGE'),
           count(r.tokens) FILTER (WHERE r.own AND r.type = 'TIP_EVENT'),
           coalesce(sum(r.tokens) FILTER (WHERE r.own AND r.type = 'TIP_EVENT'), 0),
           count(*) FILTER (WHERE r.own AND r.type = 'MEDIA_PURCHASE'),
           coalesce(sum(r.tokens) FILTER (WHERE r.own AND r.type = 'MEDIA_PURCHASE'), 0),
           count(*) FILTER (WHERE r.own AND r.type = 'FOLLOW'),
           count(*) FILTER (WHERE r.own AND r.type = 'UNFOLLOW'),
           count(r.tokens) FILTER (WHERE r.anonymous),
           coalesce(sum(r.tokens) FILTER (WHERE r.anonymous), 0),
           min(r.occurred_at) FILTER (WHERE r.own),
           max(r.occurred_at) FILTER (WHERE r.own)
    FROM r JOIN stream_sessions ss ON tstzrange(ss.started_at, ss.ended_at, '[)') @> r.occurred_at
    WHERE r.broadcaster IS NOT NULL
    GROUP BY ss.id, r.broadcaster, r.person_id
    HAVING count(*) FILTER (WHERE r.own OR r.anonymous) > 0
    ORDER BY ss.id, r.broadcaster, r.person_id
    ON CONFLICT (session_id, broadcaster, person_id) DO UPDATE SET
        actions = s.actions + EXCLUDED.actions,
        chat_messages = s.chat_messages + EXCLUDED.chat_messages,
        private_messages = s.private_messages + EXCLUDED.private_messages,
        tips = s.tips + EXCLUDED.tips,
        tokens = s.tokens + EXCLUDED.tokens,
        media_purchases = s.media_purchases + EXCLUDED.media_purchases,
        media_tokens = s.media_tokens + EXCLUDED.media_tokens,
        follows = s.follows + EXCLUDED.follows,
        unfollows = s.unfollows + EXCLUDED.unfollows,
        anonymous_tips = s.anonymous_tips + EXCLUDED.anonymous_tips,
        anonymous_tokens = s.anonymous_tokens + EXCLUDED.anonymous_tokens,
        first_at = least(s.first_at, EXCLUDED.first_at),
        last_at = greatest(s.last_at, EXCLUDED.last_at);
    RETURN NULL;
END;
$$;

-- ---------------------------------------------------------------- backfill, then keep
-- Over the rows counted (linked twins left out), as the triggers keep them.
CREATE TEMP VIEW counted_rows AS
SELECT i.* FROM interactions i
WHERE NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id);

INSERT INTO payments (interaction_id, person_id, broadcaster, occurred_at, kind, tokens,
                      is_anonymous, source)
SELECT i.id, i.person_id, i.broadcaster, i.occurred_at, mhc_payment_kind(i.type),
       mhc_payment_tokens(i.metadata), mhc_is_anonymous_tip(i.type, i.metadata), i.source
FROM counted_rows i
WHERE mhc_is_counted_payment(i.type, i.metadata);

INSERT INTO room_payment_quarters (broadcaster, quarter, payments, tokens)
SELECT broadcaster, mhc_quarter(occurred_at), count(*), sum(tokens)
FROM payments WHERE broadcaster IS NOT NULL
GROUP BY 1, 2;

INSERT INTO person_payment_quarters (person_id, broadcaster, quarter, payments, tokens)
SELECT person_id, broadcaster, mhc_quarter(occurred_at), count(*), sum(tokens)
FROM payments WHERE broadcaster IS NOT NULL
GROUP BY 1, 2, 3;

INSERT INTO person_activity_quarters (person_id, quarter, actions)
SELECT i.person_id, mhc_quarter(i.occurred_at), count(*)
FROM counted_rows i WHERE mhc_is_own_action(i.type, i.metadata)
GROUP BY 1, 2;

INSERT INTO person_rooms (person_id, broadcaster, first_at, last_at, actions,
                          private_messages_in, private_messages_out)
SELECT i.person_id, i.broadcaster,
       min(i.occurred_at) FILTER (WHERE mhc_is_own_action(i.type, i.metadata)),
       max(i.occurred_at) FILTER (WHERE mhc_is_own_action(i.type, i.metadata)),
       count(*) FILTER (WHERE mhc_is_own_action(i.type, i.metadata)),
       count(*) FILTER (WHERE i.type = 'PRIVATE_MESSAGE' AND mhc_is_own_action(i.type, i.metadata)),
       count(*) FILTER (WHERE i.type = 'PRIVATE_MESSAGE'
                          AND NOT mhc_is_own_action(i.type, i.metadata))
FROM counted_rows i WHERE i.broadcaster IS NOT NULL
GROUP BY 1, 2;

SELECT mhc_attendance_add(id, started_at, ended_at, '{}') FROM stream_sessions ORDER BY id;
DROP VIEW counted_rows;

CREATE TRIGGER interactions_summarize AFTER INSERT ON interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_summarize_interactions();

-- ---------------------------------------------------------------- 4e. twins leave them
-- Linking an imported row as the twin of a live one (0007) takes it back out of every summary,
-- whether the import or the live event came first, so each summary always equals a recount of
-- the rows not linked as twins: counts are decremented (rows left empty are deleted), first and
-- last times of the keys it touched are read again from the rows still counted, and a session's
-- attendance of its people is counted again over the session (a few rows per person).
CREATE FUNCTION mhc_twin_rows(ids bigint[])
RETURNS TABLE (id bigint, person_id bigint, broadcaster text, type text,
               occurred_at timestamptz, quarter timestamptz, own boolean, paid boolean,
               tokens bigint)
LANGUAGE sql STABLE AS $$
    SELECT i.id, i.person_id, i.broadcaster, i.type, i.occurred_at, mhc_quarter(i.occurred_at),
           mhc_is_own_action(i.type, i.metadata), mhc_is_counted_payment(i.type, i.metadata),
           mhc_payment_tokens(i.metadata)
    FROM interactions i WHERE i.id = ANY(ids)
$$;

CREATE FUNCTION mhc_summaries_drop_twins() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := ARRAY(SELECT interaction_id FROM new_twins ORDER BY 1);
    s record;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(hashtext('mhc.stream_sessions'));

    DELETE FROM payments WHERE interaction_id IN (SELECT id FROM mhc_twin_rows(ids) WHERE paid);

    UPDATE room_payment_quarters q SET payments = q.payments - d.n, tokens = q.tokens - d.t
    FROM (SELECT broadcaster, quarter, count(*) AS n, sum(tokens) AS t FROM mhc_twin_rows(ids)
          WHERE paid AND broadcaster IS NOT NULL GROUP BY 1, 2) d
    WHERE q.broadcaster = d.broadcaster AND q.quarter = d.quarter;
    DELETE FROM room_payment_quarters q USING mhc_twin_rows(ids) r
    WHERE r.paid AND q.broadcaster = r.broadcaster AND q.quarter = r.quarter AND q.payments = 0;

    UPDATE person_payment_quarters q SET payments = q.payments - d.n, tokens = q.tokens - d.t
    FROM (SELECT person_id, broadcaster, quarter, count(*) AS n, sum(tokens) AS t
          FROM mhc_twin_rows(ids) WHERE paid AND broadcaster IS NOT NULL GROUP BY 1, 2, 3) d
    WHERE q.person_id = d.person_id AND q.broadcaster = d.broadcaster
      AND q.quarter = d.quarter;
    DELETE FROM person_payment_quarters q USING mhc_twin_rows(ids) r
    WHERE r.paid AND q.person_id = r.person_id AND q.broadcaster = r.broadcaster
      AND q.quarter = r.quarter AND q.payments = 0;

    UPDATE person_activity_quarters q SET actions = q.actions - d.n
    FROM (SELECT person_id, quarter, count(*) AS n FROM mhc_twin_rows(ids)
          WHERE own GROUP BY 1, 2) d
    WHERE q.person_id = d.person_id AND q.quarter = d.quarter;
    DELETE FROM person_activity_quarters q USING mhc_twin_rows(ids) r
    WHERE r.own AND q.person_id = r.person_id AND q.quarter = r.quarter AND q.actions = 0;

    UPDATE person_rooms p
    SET actions = p.actions - d.own,
        private_messages_in = p.private_messages_in - d.pm_in,
        private_messages_out = p.private_messages_out - d.pm_out,
        first_at = CASE WHEN d.own > 0 THEN e.first_at ELSE p.first_at END,
        last_at = CASE WHEN d.own > 0 THEN e.last_at ELSE p.last_at END
    FROM (SELECT person_id, broadcaster, count(*) FILTER (WHERE own) AS own,
                 count(*) FILTER (WHERE type = 'PRIVATE_MESSAGE' AND own) AS pm_in,
                 count(*) FILTER (WHERE type = 'PRIVATE_MESSAGE' AND NOT own) AS pm_out
          FROM mhc_twin_rows(ids) WHERE broadcaster IS NOT NULL GROUP BY 1, 2) d,
         LATERAL (SELECT min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
                  FROM interactions i
                  WHERE d.own > 0 AND i.person_id = d.person_id
                    AND i.broadcaster = d.broadcaster AND mhc_is_own_action(i.type, i.metadata)
                    AND NOT EXISTS (SELECT 1 FROM interaction_twins t
                                    WHERE t.interaction_id = i.id)) e
    WHERE p.person_id = d.person_id AND p.broadcaster = d.broadcaster;
    DELETE FROM person_rooms p USING mhc_twin_rows(ids) r
    WHERE p.person_id = r.person_id AND p.broadcaster = r.broadcaster
      AND NOT EXISTS (SELECT 1 FROM interactions i
                      WHERE i.person_id = r.person_id AND i.broadcaster = r.broadcaster
                        AND NOT EXISTS (SELECT 1 FROM interaction_twins t
                                        WHERE t.interaction_id = i.id));

    FOR s IN SELECT ss.id, ss.started_at, ss.ended_at, array_agg(DISTINCT r.person_id) AS people
             FROM mhc_twin_rows(ids) r
             JOIN stream_sessions ss
               ON tstzrange(ss.started_at, ss.ended_at, '[)') @> r.occurred_at
             WHERE r.broadcaster IS NOT NULL
             GROUP BY ss.id ORDER BY ss.id
    LOOP
        PERFORM mhc_attendance_recount(s.id, s.started_at, s.ended_at, s.people);
    END LOOP;
    RETURN NULL;
END;
$$;
CREATE TRIGGER interaction_twins_summaries AFTER INSERT ON interaction_twins
    REFERENCING NEW TABLE AS new_twins
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_summaries_drop_twins();

-- ---------------------------------------------------------------- 5. partial indexes
CREATE INDEX interactions_person_presence ON interactions (person_id, occurred_at, id)
    INCLUDE (type, broadcaster) WHERE type IN ('USER_ENTER', 'USER_LEAVE');
CREATE INDEX interactions_person_follows ON interactions (person_id, occurred_at, id)
    INCLUDE (type, broadcaster) WHERE type IN ('FOLLOW', 'UNFOLLOW', 'FANCLUB_JOIN');
-- Who the audience leaves out, found without reading every person.
CREATE INDEX persons_excluded ON persons (id) WHERE is_excluded;
