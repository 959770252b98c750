-- Per-person interaction counts, kept by the database itself.
-- Counting a regular's interactions on every person-detail read scanned hundreds of thousands
-- of rows (400 ms); this summary is maintained in the inserting statement's own transaction by
-- a statement-level trigger (one grouped upsert per INSERT/COPY, not one per row).
-- interactions is append-only, so counts only ever grow.
CREATE TABLE person_interaction_counts (
    person_id         bigint      NOT NULL REFERENCES persons (id),
    type              text        NOT NULL,
    count             bigint      NOT NULL CHECK (count >= 0),
    last_occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (person_id, type)
);

CREATE FUNCTION mhc_count_interactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO person_interaction_counts AS c (person_id, type, count, last_occurred_at)
    SELECT person_id, type, count(*), max(occurred_at)
    FROM new_rows GROUP BY person_id, type
    ORDER BY person_id, type  -- a fixed lock order: concurrent writers cannot deadlock
    ON CONFLICT (person_id, type) DO UPDATE
        SET count = c.count + EXCLUDED.count,
            last_occurred_at = greatest(c.last_occurred_at, EXCLUDED.last_occurred_at);
    RETURN NULL;
END;
$$;

CREATE TRIGGER interactions_count AFTER INSERT ON interactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_count_interactions();

INSERT INTO person_interaction_counts (person_id, type, count, last_occurred_at)
SELECT person_id, type, count(*), max(occurred_at) FROM interactions GROUP BY person_id, type;
