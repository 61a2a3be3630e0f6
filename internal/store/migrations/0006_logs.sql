-- Schema 6: what `licmon logs import` reads from the Qlik Sense logs.
-- Event rows are keyed by a 64-bit hash of their log identity (the row Id,
-- the proxy session id, the script-log file name), so the copies of a row in
-- the active .txt and the rolled .log, and a file imported twice, are stored
-- once: import is idempotent and can resume anywhere.

-- Files already imported, skipped when their size and checksum match.
CREATE TABLE log_files (
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    path        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    checksum    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    node        TEXT NOT NULL,
    rows_read   BIGINT NOT NULL,
    warnings    BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, path)
) WITHOUT ROWID;

-- User sessions (proxy sessions, joined with engine session summaries on
-- the proxy session id); day is the UTC day of the start (of the stop while
-- the start is not known).
CREATE TABLE log_sessions (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    key     BIGINT NOT NULL,
    user    TEXT NOT NULL,
    day     TEXT NOT NULL,
    start   BIGINT,
    stop    BIGINT,
    node    TEXT NOT NULL,
    PRIMARY KEY (site_id, key)
) WITHOUT ROWID;
CREATE INDEX log_sessions_day ON log_sessions (site_id, day);

-- License uses that name the user's access type, per user and UTC day.
CREATE TABLE log_uses (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    user    TEXT NOT NULL,
    day     TEXT NOT NULL,
    type    TEXT NOT NULL,
    PRIMARY KEY (site_id, user, day)
) WITHOUT ROWID;

-- Daily active users and sessions per type ('' = type not known from the
-- logs), recomputed for the days an import touched.
CREATE TABLE log_active_daily (
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    day      TEXT NOT NULL,
    type     TEXT NOT NULL,
    users    BIGINT NOT NULL,
    sessions BIGINT NOT NULL,
    PRIMARY KEY (site_id, day, type)
) WITHOUT ROWID;

-- Access denials; type '' when the message names none (the five-sessions
-- limit of a user who holds a seat is session_limit = 1).
CREATE TABLE log_denials (
    site_id       INTEGER NOT NULL REFERENCES sites(id),
    key           BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    day           TEXT NOT NULL,
    user          TEXT NOT NULL,
    type          TEXT NOT NULL,
    session_limit INTEGER NOT NULL,
    message       TEXT NOT NULL,
    node          TEXT NOT NULL,
    PRIMARY KEY (site_id, key)
) WITHOUT ROWID;
CREATE INDEX log_denials_day ON log_denials (site_id, day);

-- License commands of the repository security audit log.
CREATE TABLE log_license_commands (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    key     BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    command TEXT NOT NULL,
    result  TEXT NOT NULL,
    user    TEXT NOT NULL,
    message TEXT NOT NULL,
    node    TEXT NOT NULL,
    PRIMARY KEY (site_id, key)
) WITHOUT ROWID;

-- Finished task executions of the scheduler audit log.
CREATE TABLE log_task_runs (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    key     BIGINT NOT NULL,
    task_id TEXT NOT NULL,
    task    TEXT NOT NULL,
    app_id  TEXT NOT NULL,
    app     TEXT NOT NULL,
    start   BIGINT,
    stop    BIGINT NOT NULL,
    status  TEXT NOT NULL,
    result  TEXT NOT NULL,
    message TEXT NOT NULL,
    node    TEXT NOT NULL,
    PRIMARY KEY (site_id, key)
) WITHOUT ROWID;

-- Reload script logs, diagnosed.
CREATE TABLE log_reloads (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    file    TEXT NOT NULL,
    app_id  TEXT NOT NULL,
    start   BIGINT,
    stop    BIGINT,
    outcome TEXT NOT NULL,
    code    TEXT NOT NULL,
    title   TEXT NOT NULL,
    hint    TEXT NOT NULL,
    error   TEXT NOT NULL,
    PRIMARY KEY (site_id, file)
) WITHOUT ROWID;
