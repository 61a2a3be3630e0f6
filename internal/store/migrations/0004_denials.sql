-- Schema 4: access denials per site, type, day and source (logs, import,
-- qrs-estimate): the unmet demand a full license type turned away. Sources
-- are kept apart because they differ in confidence; users is NULL when the
-- source does not name users (an imported daily count).
CREATE TABLE denials_daily (
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    type     TEXT NOT NULL,
    day      TEXT NOT NULL,
    source   TEXT NOT NULL,
    denials  BIGINT NOT NULL,
    users    BIGINT,
    PRIMARY KEY (site_id, type, day, source)
) WITHOUT ROWID;
