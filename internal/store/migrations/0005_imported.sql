-- Schema 5: daily counts brought in by licmon history import (from a
-- spreadsheet, the License Monitor's exports or another tool), in the
-- report's terms: licensed and allocated seats, minutes or tokens (see
-- license.HistoryDay). used and quarantined are NULL when the file did not
-- give them. A day with a measured collection keeps the measured values, so
-- the series prefers collections, then these rows, then reconstructed ones.
CREATE TABLE imported_daily (
    site_id      INTEGER NOT NULL REFERENCES sites(id),
    type         TEXT NOT NULL,
    day          TEXT NOT NULL,
    licensed     BIGINT NOT NULL,
    allocated    BIGINT NOT NULL,
    used         BIGINT,
    quarantined  BIGINT,
    imported_at  BIGINT NOT NULL,
    PRIMARY KEY (site_id, type, day)
) WITHOUT ROWID;
