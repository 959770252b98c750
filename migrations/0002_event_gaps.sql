-- Events API gaps: a stale cursor ("waited too long") means events in between may be lost.
-- The owner sees every gap in the API and UI; gaps are history, so append-only.
CREATE TABLE event_gaps (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    detected_at    timestamptz NOT NULL,
    -- The newest event stored before the gap (NULL when nothing had been stored yet).
    last_event_id  text,
    last_event_at  timestamptz,
    reason         text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_gaps_detected ON event_gaps (detected_at DESC);

CREATE TRIGGER event_gaps_append_only BEFORE UPDATE OR DELETE ON event_gaps
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER event_gaps_no_truncate BEFORE TRUNCATE ON event_gaps
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();
