-- Identity across renames and merges, exclusion as one thing, and one rule for what counts.
--
-- 1. Merges: two person rows found to be one human (Statbate reports one did under both names,
--    or the owner says so) are joined by a redirect, `persons.merged_into`, never by rewriting
--    history: interactions and snapshots keep their person_id and are read through the survivor.
--    Current names are unique among persons not merged away. `person_merges` records every merge
--    and unmerge (append-only) with what the merge changed, so an unmerge can restore it.
-- 2. The Excluded system watchlist and `persons.is_excluded` are one thing: triggers keep them
--    equal whichever side changes.
-- 3. `counted_interactions`: the one definition of what the owner's audience aggregates count
--    (excluded persons out, merged persons counted as their survivor, anonymous tips flagged);
--    `watchlist_people` the same for watchlist membership.
-- 4. Anonymous tips are never counted under the tipper's name (per-person counts).
-- 5. first_seen_at / last_seen_at mean "observed", so a person only looked up has none yet.

-- ---------------------------------------------------------------- 1. merges
ALTER TABLE persons ADD COLUMN merged_into bigint REFERENCES persons (id);
ALTER TABLE persons ADD CONSTRAINT persons_not_merged_into_itself
    CHECK (merged_into IS NULL OR merged_into <> id);
ALTER TABLE persons DROP CONSTRAINT persons_platform_username_key;
CREATE UNIQUE INDEX persons_current_username ON persons (platform, username)
    WHERE merged_into IS NULL;
CREATE INDEX persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;

ALTER TABLE person_aliases DROP CONSTRAINT person_aliases_source_check;
ALTER TABLE person_aliases ADD CONSTRAINT person_aliases_source_check
    CHECK (source IN ('statbate_did', 'statbate_rid', 'manual', 'merge'));

CREATE TABLE person_merges (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action      text        NOT NULL CHECK (action IN ('merge', 'unmerge')),
    person_id   bigint      NOT NULL REFERENCES persons (id),
    merged_id   bigint      NOT NULL REFERENCES persons (id),
    reason      text        NOT NULL CHECK (reason IN ('statbate_did', 'statbate_rid', 'manual')),
    at          timestamptz NOT NULL,
    -- What the merge changed on both rows (names, ids, flags, aliases and memberships added).
    changes     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (person_id <> merged_id)
);
CREATE INDEX person_merges_pair ON person_merges (person_id, merged_id, id DESC);
CREATE TRIGGER person_merges_append_only BEFORE UPDATE OR DELETE ON person_merges
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER person_merges_no_truncate BEFORE TRUNCATE ON person_merges
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();

-- ---------------------------------------------------------------- 2. exclusion is one thing
CREATE FUNCTION mhc_excluded_watchlist() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT id FROM watchlists WHERE name = 'Excluded' AND is_system
$$;

-- The flag changed (or an excluded person was created): the Excluded list follows.
CREATE FUNCTION mhc_sync_excluded_list() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_excluded THEN
        INSERT INTO watchlist_members (watchlist_id, person_id)
        VALUES (mhc_excluded_watchlist(), NEW.id) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM watchlist_members
        WHERE watchlist_id = mhc_excluded_watchlist() AND person_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER persons_excluded_insert AFTER INSERT ON persons
    FOR EACH ROW WHEN (NEW.is_excluded) EXECUTE FUNCTION mhc_sync_excluded_list();
CREATE TRIGGER persons_excluded_update AFTER UPDATE OF is_excluded ON persons
    FOR EACH ROW WHEN (OLD.is_excluded IS DISTINCT FROM NEW.is_excluded)
    EXECUTE FUNCTION mhc_sync_excluded_list();

-- The list changed: the flag follows.
CREATE FUNCTION mhc_sync_excluded_flag() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.watchlist_id = mhc_excluded_watchlist() THEN
        UPDATE persons SET is_excluded = true, updated_at = now()
        WHERE id = NEW.person_id AND NOT is_excluded;
    ELSIF TG_OP = 'DELETE' AND OLD.watchlist_id = mhc_excluded_watchlist() THEN
        UPDATE persons SET is_excluded = false, updated_at = now()
        WHERE id = OLD.person_id AND is_excluded;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER watchlist_members_excluded AFTER INSERT OR DELETE ON watchlist_members
    FOR EACH ROW EXECUTE FUNCTION mhc_sync_excluded_flag();

-- Make them equal now: either side marks a person excluded.
UPDATE persons SET is_excluded = true
WHERE NOT is_excluded AND id IN (
    SELECT person_id FROM watchlist_members WHERE watchlist_id = mhc_excluded_watchlist());
INSERT INTO watchlist_members (watchlist_id, person_id)
SELECT mhc_excluded_watchlist(), id FROM persons WHERE is_excluded ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------- 3. what the aggregates count
CREATE FUNCTION mhc_is_anonymous_tip(type text, metadata jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT type = 'TIP_EVENT' AND coalesce(metadata -> 'isAnon' = 'true'::jsonb, false)
$$;

CREATE VIEW counted_interactions AS
SELECT i.id,
       p.id AS person_id,
       i.type,
       i.source,
       i.external_id,
       i.occurred_at,
       i.broadcaster,
       i.content,
       i.metadata,
       mhc_is_anonymous_tip(i.type, i.metadata) AS is_anonymous
FROM interactions i
JOIN persons r ON r.id = i.person_id
JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
WHERE NOT p.is_excluded;

-- Who is on a watchlist, as the owner counts them: each human once (merged rows as their
-- survivor), excluded persons only on the Excluded list itself.
CREATE VIEW watchlist_people AS
SELECT m.watchlist_id, p.id AS person_id, min(m.added_at) AS added_at
FROM watchlist_members m
JOIN persons r ON r.id = m.person_id
JOIN persons p ON p.id = coalesce(r.merged_into, r.id)
WHERE NOT p.is_excluded OR m.watchlist_id = mhc_excluded_watchlist()
GROUP BY m.watchlist_id, p.id;

-- ---------------------------------------------------------------- 4. anonymous tips per person
CREATE OR REPLACE FUNCTION mhc_count_interactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO person_interaction_counts AS c (person_id, type, count, last_occurred_at)
    SELECT person_id, type, count(*), max(occurred_at)
    FROM new_rows WHERE NOT mhc_is_anonymous_tip(type, metadata)
    GROUP BY person_id, type
    ORDER BY person_id, type  -- a fixed lock order: concurrent writers cannot deadlock
    ON CONFLICT (person_id, type) DO UPDATE
        SET count = c.count + EXCLUDED.count,
            last_occurred_at = greatest(c.last_occurred_at, EXCLUDED.last_occurred_at);
    RETURN NULL;
END;
$$;
DELETE FROM person_interaction_counts;
INSERT INTO person_interaction_counts (person_id, type, count, last_occurred_at)
SELECT person_id, type, count(*), max(occurred_at) FROM interactions
WHERE NOT mhc_is_anonymous_tip(type, metadata) GROUP BY person_id, type;

-- ---------------------------------------------------------------- 5. seen = observed
ALTER TABLE persons ALTER COLUMN first_seen_at DROP NOT NULL,
                    ALTER COLUMN first_seen_at DROP DEFAULT,
                    ALTER COLUMN last_seen_at DROP NOT NULL,
                    ALTER COLUMN last_seen_at DROP DEFAULT;
