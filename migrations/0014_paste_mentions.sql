-- A paste is recorded once (one PROFILE_PASTE interaction, on the first person it names) and
-- linked to every person the owner chose from it: each of them finds it on their page.
-- Append-only like the interactions it links.
CREATE TABLE paste_mentions (
    interaction_id  bigint      NOT NULL REFERENCES interactions (id),
    person_id       bigint      NOT NULL REFERENCES persons (id),
    line            integer     CHECK (line IS NULL OR line >= 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (interaction_id, person_id)
);
CREATE INDEX paste_mentions_person ON paste_mentions (person_id, interaction_id DESC);
CREATE TRIGGER paste_mentions_append_only BEFORE UPDATE OR DELETE ON paste_mentions
    FOR EACH ROW EXECUTE FUNCTION mhc_reject_change();
CREATE TRIGGER paste_mentions_no_truncate BEFORE TRUNCATE ON paste_mentions
    FOR EACH STATEMENT EXECUTE FUNCTION mhc_reject_change();
