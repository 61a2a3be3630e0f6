-- Schema 2: lastUsed index for activity reports, and licmon check results.

-- ActiveUsers and the Active column of daily series read every distinct
-- (user, lastUsed) ever observed for a type in a time range.
CREATE INDEX allocation_versions_last_used ON allocation_versions (site_id, type, last_used);

CREATE TABLE check_results (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    at         BIGINT NOT NULL,
    status     TEXT NOT NULL,
    exit_code  INTEGER NOT NULL,
    json       TEXT NOT NULL
);
CREATE INDEX check_results_site_at ON check_results (site_id, at);
