-- Linking twins read a person's rows in a room through the person's index whatever the
-- statistics say (decision 121). `mhc_summaries_drop_twins` (0015) found each touched person's
-- first and last action in a room with `person_id = ... AND broadcaster = ...`; after a large
-- import in one transaction (statistics not yet counting its rows) the planner ANDed the room's
-- index, which holds every row of the room, with the person's: 1.6 ms per person, 2.3 s of a
-- 60,000-row token-history import linking 6,000 twins. The room is now compared, not
-- searched (`IS NOT DISTINCT FROM` is not an index condition; both sides are never NULL
-- there): a person's rows are few, a room's are all. And they read them only when they must:
-- the first and last times again only when a twin sits at one of them (removing a row from
-- inside the span cannot move it), the rows left only when no action is left. Otherwise the
-- function is unchanged.
CREATE OR REPLACE FUNCTION mhc_summaries_drop_twins() RETURNS trigger
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
        first_at = CASE WHEN d.at_edge THEN e.first_at ELSE p.first_at END,
        last_at = CASE WHEN d.at_edge THEN e.last_at ELSE p.last_at END
    FROM (SELECT r.person_id, r.broadcaster, count(*) FILTER (WHERE r.own) AS own,
                 count(*) FILTER (WHERE r.type = 'PRIVATE_MESSAGE' AND r.own) AS pm_in,
                 count(*) FILTER (WHERE r.type = 'PRIVATE_MESSAGE' AND NOT r.own) AS pm_out,
                 -- Only a row at the first or last time can move them.
                 coalesce(bool_or(r.own AND (r.occurred_at <= x.first_at
                                             OR r.occurred_at >= x.last_at)), false) AS at_edge
          FROM mhc_twin_rows(ids) r
          JOIN person_rooms x ON x.person_id = r.person_id AND x.broadcaster = r.broadcaster
          GROUP BY 1, 2) d,
         LATERAL (SELECT min(i.occurred_at) AS first_at, max(i.occurred_at) AS last_at
                  FROM interactions i
                  WHERE d.at_edge AND i.person_id = d.person_id
                    AND i.broadcaster IS NOT DISTINCT FROM d.broadcaster
                    AND mhc_is_own_action(i.type, i.metadata)
                    AND NOT EXISTS (SELECT 1 FROM interaction_twins t
                                    WHERE t.interaction_id = i.id)) e
    WHERE p.person_id = d.person_id AND p.broadcaster = d.broadcaster;
    -- A room row left with no action may have no row at all left.
    DELETE FROM person_rooms p USING mhc_twin_rows(ids) r
    WHERE p.person_id = r.person_id AND p.broadcaster = r.broadcaster AND p.actions = 0
      AND NOT EXISTS (SELECT 1 FROM interactions i
                      WHERE i.person_id = r.person_id
                        AND i.broadcaster IS NOT DISTINCT FROM r.broadcaster
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
