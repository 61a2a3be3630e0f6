-- Schema 3: ActiveUsers (and the Active column of daily series) reads every
-- distinct (user, lastUsed) of a type in a time range; with user_key in the
-- index the query never visits the table rows, which over years of history
-- of a large site is most of its cost.
CREATE INDEX allocation_versions_activity ON allocation_versions (site_id, type, last_used, user_key);
DROP INDEX allocation_versions_last_used;
