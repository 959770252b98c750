-- The tables kept from interactions by triggers (`services.data_export.DERIVED_TABLES`) hold no
-- foreign keys: every row is written by the trigger of an interaction that already passed
-- interactions' own keys (person_id -> persons) in the same statement, so checking them again
-- proved nothing and cost a lookup of persons (and of interactions, for payments) per new
-- summary row: about a tenth of the ingest path's database time (decision 120). Deletion keeps
-- them whole (`store.persons.DERIVED_FROM_HISTORY`, held by a test to every person_id column);
-- a restore rebuilds them.
ALTER TABLE person_interaction_counts DROP CONSTRAINT person_interaction_counts_person_id_fkey;
ALTER TABLE person_room_totals DROP CONSTRAINT person_room_totals_person_id_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_interaction_id_fkey,
                     DROP CONSTRAINT payments_person_id_fkey;
ALTER TABLE person_payment_quarters DROP CONSTRAINT person_payment_quarters_person_id_fkey;
ALTER TABLE person_activity_quarters DROP CONSTRAINT person_activity_quarters_person_id_fkey;
ALTER TABLE person_rooms DROP CONSTRAINT person_rooms_person_id_fkey;
ALTER TABLE session_attendance DROP CONSTRAINT session_attendance_person_id_fkey;
