-- `mhc restore` loads every table exactly as exported. The triggers that keep the Excluded
-- watchlist and `persons.is_excluded` equal (migration 0006) would add rows of their own while
-- persons load (an excluded person's membership, before the exported one arrives): a restore
-- marks its transactions with `mhc.restoring` and these two triggers stand aside then. The
-- exported rows already agree with each other (they were kept equal when written).
CREATE OR REPLACE FUNCTION mhc_sync_excluded_list() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('mhc.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
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

CREATE OR REPLACE FUNCTION mhc_sync_excluded_flag() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('mhc.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
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
