-- One summary per person and room, and linking twins reads the twin rows once (decision 124).
--
-- 1. `person_room_totals` (0008: visits and payments per person row and room, kept by its own
--    statement trigger and taken back out by a second one when a twin is linked) is merged into
--    `person_rooms` (0015), which the summaries' trigger keeps anyway for the same key: a new
--    interaction page no longer runs a second grouped upsert over the same (person, room) keys.
--    The payments follow the summaries' rule, the one every other figure uses: a row's own
--    payment to that room (`mhc_is_counted_payment`: with tokens, not the owner's `actor` row;
--    not an anonymous tip). 0008 also counted payment rows without tokens and `actor` rows: a
--    0-token payment and an owner's `actor` row no longer count in the live room's and the
--    alerts' lifetime figures. Visits are enters, as before.
-- 2. `mhc_summaries_drop_twins` read every twin row from `interactions` by id (and computed its
--    flags) once per statement, about ten times; it now reads them once into an array of
--    `mhc_twin_row` and every statement unnests it. The per-type counts (0007's row trigger,
--    one UPDATE and one interactions lookup per linked row) are taken back out from the same
--    array, first, where that trigger ran. Otherwise every rule of 0015/0019 is kept: first and
--    last times read again only when a twin sits at one of them (now each edge by one step on
--    the person's index, the latest enter and payment too), a room row deleted when no counted
--    row is left, attendance counted again per session, the same lock order. So every column
--    of every summary equals a recount of the rows not linked as twins
--    (tests/integration/test_analysis_summaries.py).

-- ---------------------------------------------------------------- 1. person_rooms grows
ALTER TABLE person_rooms
    -- Enters into the room, and the latest.
    ADD COLUMN visits        bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_visit_at timestamptz,
    -- The row's own payments to the room (`mhc_is_counted_payment`, not anonymous tips).
    ADD COLUMN payments      bigint NOT NULL DEFAULT 0,
    ADD COLUMN tokens        bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_paid_at  timestamptz;

-- New interactions: as 0015, the `rooms` upsert also counting enters and own payments.
CREATE OR REPLACE FUNCTION mhc_summarize_interactions() RETURNS trigger
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
                                       private_messages_in, private_messages_out, visits,
                                       last_visit_at, payments, tokens, last_paid_at)
        SELECT person_id, broadcaster,
               min(occurred_at) FILTER (WHERE own), max(occurred_at) FILTER (WHERE own),
               count(*) FILTER (WHERE own),
               count(*) FILTER (WHERE type = 'PRIVATE_MESSAGE' AND own),
               count(*) FILTER (WHERE type = 'PRIVATE_MESSAGE' AND NOT own),
               count(*) FILTER (WHERE type = 'USER_ENTER'),
               max(occurred_at) FILTER (WHERE type = 'USER_ENTER'),
               count(*) FILTER (WHERE paid AND NOT anonymous),
               coalesce(sum(tokens) FILTER (WHERE paid AND NOT anonymous), 0),
               max(occurred_at) FILTER (WHERE paid AND NOT anonymous)
        FROM r WHERE broadcaster IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (person_id, broadcaster) DO UPDATE SET
            first_at = least(p.first_at, EXCLUDED.first_at),
            last_at = greatest(p.last_at, EXCLUDED.last_at),
            actions = p.actions + EXCLUDED.actions,
            private_messages_in = p.private_messages_in + EXCLUDED.private_messages_in,
            private_messages_out = p.private_messages_out + EXCLUDED.private_messages_out,
            visits = p.visits + EXCLUDED.visits,
            last_visit_at = greatest(p.last_visit_at, EXCLUDED.last_visit_at),
            payments = p.payments + EXCLUDED.payments,
            tokens = p.tokens + EXCLUDED.tokens,
            last_paid_at = greatest(p.last_paid_at, EXCLUDED.last_paid_at))
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

-- Backfill over the rows counted (linked twins left out), as the trigger keeps them; every
-- (person, room) with such a row already has its person_rooms row.
UPDATE person_rooms p
SET visits = t.visits, last_visit_at = t.last_visit_at, payments = t.payments,
    tokens = t.tokens, last_paid_at = t.last_paid_at
FROM (SELECT i.person_id, i.broadcaster,
             count(*) FILTER (WHERE i.type = 'USER_ENTER') AS visits,
             max(i.occurred_at) FILTER (WHERE i.type = 'USER_ENTER') AS last_visit_at,
             count(*) FILTER (WHERE i.paid) AS payments,
             coalesce(sum(mhc_payment_tokens(i.metadata)) FILTER (WHERE i.paid), 0) AS tokens,
             max(i.occurred_at) FILTER (WHERE i.paid) AS last_paid_at
      FROM (SELECT i.person_id, i.broadcaster, i.type, i.occurred_at, i.metadata,
                   mhc_is_counted_payment(i.type, i.metadata)
                       AND NOT mhc_is_anonymous_tip(i.type, i.metadata) AS paid
            FROM interactions i
            WHERE i.broadcaster IS NOT NULL AND (i.type = 'USER_ENTER' OR mhc_is_payment(i.type))
              AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id)
           ) i
      GROUP BY 1, 2) t
WHERE p.person_id = t.person_id AND p.broadcaster = t.broadcaster;

DROP TRIGGER interactions_room_totals ON interactions;
DROP TRIGGER interaction_twins_room_totals ON interaction_twins;
DROP FUNCTION mhc_add_room_totals();
DROP FUNCTION mhc_subtract_twins();
DROP TABLE person_room_totals;

-- ---------------------------------------------------------------- 2. twins read once
-- A linked row as every statement below needs it, its flags computed once.
CREATE TYPE mhc_twin_row AS (
    id           bigint,
    person_id    bigint,
    broadcaster  text,
    type         text,
    occurred_at  timestamptz,
    quarter      timestamptz,
    own          boolean,      -- mhc_is_own_action
    paid         boolean,      -- mhc_is_counted_payment
    anonymous    boolean,      -- mhc_is_anonymous_tip
    tokens       bigint        -- mhc_payment_tokens
);

-- Linking an imported row as the twin of a live one takes it back out of every count and
-- summary (0007, 0015, 0019), the rows read once. `last_paid_at` is read again like the other
-- edges (0008 kept it, the live twin being paid within 2 minutes): one step on the person's
-- payments when a linked payment was their latest, so it too equals a recount.
CREATE OR REPLACE FUNCTION mhc_summaries_drop_twins() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    twins mhc_twin_row[] := ARRAY(
        SELECT ROW(i.id, i.person_id, i.broadcaster, i.type, i.occurred_at,
                   mhc_quarter(i.occurred_at), mhc_is_own_action(i.type, i.metadata),
                   mhc_is_counted_payment(i.type, i.metadata),
                   mhc_is_anonymous_tip(i.type, i.metadata),
                   mhc_payment_tokens(i.metadata))::mhc_twin_row
        FROM new_twins w JOIN interactions i ON i.id = w.interaction_id
        ORDER BY i.id);
    s record;
BEGIN
    -- The per-type counts (0007 took them out row by row; anonymous tips are never counted),
    -- first, as an insert's counts are kept before its summaries.
    UPDATE person_interaction_counts c SET count = greatest(c.count - d.n, 0)
    FROM (SELECT person_id, type, count(*) AS n FROM unnest(twins)
          WHERE NOT anonymous GROUP BY 1, 2) d
    WHERE c.person_id = d.person_id AND c.type = d.type AND c.count > 0;

    PERFORM pg_advisory_xact_lock_shared(hashtext('mhc.stream_sessions'));

    DELETE FROM payments WHERE interaction_id IN (SELECT id FROM unnest(twins) WHERE paid);

    UPDATE room_payment_quarters q SET payments = q.payments - d.n, tokens = q.tokens - d.t
    FROM (SELECT broadcaster, quarter, count(*) AS n, sum(tokens) AS t FROM unnest(twins)
          WHERE paid AND broadcaster IS NOT NULL GROUP BY 1, 2) d
    WHERE q.broadcaster = d.broadcaster AND q.quarter = d.quarter;
    DELETE FROM room_payment_quarters q USING unnest(twins) r
    WHERE r.paid AND q.broadcaster = r.broadcaster AND q.quarter = r.quarter AND q.payments = 0;

    UPDATE person_payment_quarters q SET payments = q.payments - d.n, tokens = q.tokens - d.t
    FROM (SELECT person_id, broadcaster, quarter, count(*) AS n, sum(tokens) AS t
          FROM unnest(twins) WHERE paid AND broadcaster IS NOT NULL GROUP BY 1, 2, 3) d
    WHERE q.person_id = d.person_id AND q.broadcaster = d.broadcaster
      AND q.quarter = d.quarter;
    DELETE FROM person_payment_quarters q USING unnest(twins) r
    WHERE r.paid AND q.person_id = r.person_id AND q.broadcaster = r.broadcaster
      AND q.quarter = r.quarter AND q.payments = 0;

    UPDATE person_activity_quarters q SET actions = q.actions - d.n
    FROM (SELECT person_id, quarter, count(*) AS n FROM unnest(twins)
          WHERE own GROUP BY 1, 2) d
    WHERE q.person_id = d.person_id AND q.quarter = d.quarter;
    DELETE FROM person_activity_quarters q USING unnest(twins) r
    WHERE r.own AND q.person_id = r.person_id AND q.quarter = r.quarter AND q.actions = 0;

    UPDATE person_rooms p
    SET actions = p.actions - d.own,
        private_messages_in = p.private_messages_in - d.pm_in,
        private_messages_out = p.private_messages_out - d.pm_out,
        visits = p.visits - d.visits,
        payments = p.payments - d.payments,
        tokens = p.tokens - d.tokens,
        -- Each edge (first and last own action, latest enter, latest payment) is read again
        -- only when a linked row sits at it (removing a row from inside the span cannot move
        -- it): one step along the person's index from that end to the nearest row still
        -- counted (none left: NULL). The room is compared, not searched (decision 121).
        last_visit_at = CASE WHEN NOT d.at_last_visit THEN p.last_visit_at ELSE (
            SELECT i.occurred_at FROM interactions i
            WHERE i.person_id = d.person_id AND i.type = 'USER_ENTER'
              AND i.broadcaster IS NOT DISTINCT FROM d.broadcaster
              AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id)
            ORDER BY i.occurred_at DESC LIMIT 1) END,
        -- (From `payments`, whose twins are already out.)
        last_paid_at = CASE WHEN NOT d.at_last_paid THEN p.last_paid_at ELSE (
            SELECT y.occurred_at FROM payments y
            WHERE y.person_id = d.person_id AND y.broadcaster IS NOT DISTINCT FROM d.broadcaster
              AND NOT y.is_anonymous
            ORDER BY y.occurred_at DESC LIMIT 1) END,
        first_at = CASE WHEN NOT d.at_first THEN p.first_at ELSE (
            SELECT i.occurred_at FROM interactions i
            WHERE i.person_id = d.person_id AND i.broadcaster IS NOT DISTINCT FROM d.broadcaster
              AND mhc_is_own_action(i.type, i.metadata)
              AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id)
            ORDER BY i.occurred_at LIMIT 1) END,
        last_at = CASE WHEN NOT d.at_last THEN p.last_at ELSE (
            SELECT i.occurred_at FROM interactions i
            WHERE i.person_id = d.person_id AND i.broadcaster IS NOT DISTINCT FROM d.broadcaster
              AND mhc_is_own_action(i.type, i.metadata)
              AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id)
            ORDER BY i.occurred_at DESC LIMIT 1) END
    FROM (SELECT r.person_id, r.broadcaster, count(*) FILTER (WHERE r.own) AS own,
                 count(*) FILTER (WHERE r.type = 'PRIVATE_MESSAGE' AND r.own) AS pm_in,
                 count(*) FILTER (WHERE r.type = 'PRIVATE_MESSAGE' AND NOT r.own) AS pm_out,
                 count(*) FILTER (WHERE r.type = 'USER_ENTER') AS visits,
                 count(*) FILTER (WHERE r.paid AND NOT r.anonymous) AS payments,
                 coalesce(sum(r.tokens) FILTER (WHERE r.paid AND NOT r.anonymous), 0) AS tokens,
                 coalesce(bool_or(r.own AND r.occurred_at <= x.first_at), false) AS at_first,
                 coalesce(bool_or(r.own AND r.occurred_at >= x.last_at), false) AS at_last,
                 coalesce(bool_or(r.type = 'USER_ENTER' AND r.occurred_at >= x.last_visit_at),
                          false) AS at_last_visit,
                 coalesce(bool_or(r.paid AND NOT r.anonymous
                                  AND r.occurred_at >= x.last_paid_at), false) AS at_last_paid
          FROM unnest(twins) r
          JOIN person_rooms x ON x.person_id = r.person_id AND x.broadcaster = r.broadcaster
          GROUP BY 1, 2) d
    WHERE p.person_id = d.person_id AND p.broadcaster = d.broadcaster;
    -- A room row left with no action may have no row at all left.
    DELETE FROM person_rooms p USING unnest(twins) r
    WHERE p.person_id = r.person_id AND p.broadcaster = r.broadcaster AND p.actions = 0
      AND NOT EXISTS (SELECT 1 FROM interactions i
                      WHERE i.person_id = r.person_id
                        AND i.broadcaster IS NOT DISTINCT FROM r.broadcaster
                        AND NOT EXISTS (SELECT 1 FROM interaction_twins t
                                        WHERE t.interaction_id = i.id));

    FOR s IN SELECT ss.id, ss.started_at, ss.ended_at, array_agg(DISTINCT r.person_id) AS people
             FROM unnest(twins) r
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

DROP TRIGGER interaction_twins_uncount ON interaction_twins;
DROP FUNCTION mhc_uncount_twin();
DROP FUNCTION mhc_twin_rows(bigint[]);
