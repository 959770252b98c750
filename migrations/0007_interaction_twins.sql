-- One event, two records: an imported interaction (Statbate Plus chat history, the owner's
-- token-history export) that the Events API also delivered live is linked to its live twin and
-- counted and shown once, as the live one. Interactions are append-only, so the link is a row of
-- its own (append-only too: a link is evidence, never edited).
CREATE TABLE interaction_twins (
    interaction_id  bigint      PRIMARY KEY REFERENCES interactions (id),
    twin_of         bigint      NOT NULL REFERENCES interactions (id),
    reason          text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (interaction_id <> twin_of)
);
CREATE INDEX interaction_twins_twin_of ON interaction_twins (twin_of);
CREATE TRIGGER interaction_twins_append_only BEFORE UPDATE OR DELETE ON interaction_twins
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER interaction_twins_no_truncate BEFORE TRUNCATE ON interaction_twins
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();

-- What the aggregates count now also leaves a linked twin out.
CREATE OR REPLACE VIEW counted_interactions AS
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
WHERE NOT p.is_excluded
  AND NOT EXISTS (SELECT 1 FROM interaction_twins t WHERE t.interaction_id = i.id);

-- A person's per-type counts (migration 0003) counted the twin when it was inserted: take it
-- back out when it is linked (once per link; links are never removed).
CREATE FUNCTION mhc_uncount_twin() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE person_interaction_counts c SET count = c.count - 1
    FROM interactions i
    WHERE i.id = NEW.interaction_id AND c.person_id = i.person_id AND c.type = i.type
      AND NOT mhc_is_anonymous_tip(i.type, i.metadata) AND c.count > 0;
    RETURN NULL;
END;
$$;
CREATE TRIGGER interaction_twins_uncount AFTER INSERT ON interaction_twins
    FOR EACH ROW EXECUTE FUNCTION mhc_uncount_twin();
