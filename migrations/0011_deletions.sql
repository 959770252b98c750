-- What the owner deleted, kept for good: the deleted row as JSON, which table it was in and its
-- key, who deleted it and when. For any kind of row (a stray manual session, a person created by
-- a lookup typo): `kind` is the table, `row_key` the row's key as text.
-- Append-only like the history tables: a record of a deletion is never changed or removed.
CREATE TABLE deletions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
    row_key     text        NOT NULL CHECK (length(row_key) BETWEEN 1 AND 200),
    deleted_row jsonb       NOT NULL CHECK (jsonb_typeof(deleted_row) = 'object'),
    deleted_by  text        NOT NULL CHECK (length(deleted_by) BETWEEN 1 AND 100),
    deleted_at  timestamptz NOT NULL,
    -- A row is deleted once: deleting it again finds this record (idempotent).
    UNIQUE (kind, row_key)
);

CREATE TRIGGER deletions_append_only BEFORE UPDATE OR DELETE ON deletions
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER deletions_no_truncate BEFORE TRUNCATE ON deletions
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();
