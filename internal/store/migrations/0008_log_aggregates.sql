-- Schema 8: the logs are kept as per-user-day aggregates instead of one row
-- per session and per denial (what the report, dashboard, /metrics and the
-- logs summary read), and an import is made idempotent by file identity
-- instead of by row: every service log is a stream named by its first two
-- lines (the active .txt and the rolled .log it becomes share them), and
-- log_streams records how far each stream was read. A batch adds its
-- aggregates in the transaction that moves its streams' offsets, and only
-- if those offsets are still where the import found them, so no row is
-- counted twice, whatever copies of a file an import reads, however often,
-- and wherever it was stopped.

-- Sessions per user and UTC day of their start: proxy "Start session" rows,
-- and engine session summaries apart (a proxy session opens one or more
-- engine sessions; the engine's count is used where the proxy's is 0); and
-- the access type of the user's latest license use of the day that names
-- one ('' = none that day; type_at: when, Unix seconds). Keyed by user
-- first: a user's type on a day is looked up from their earlier days.
CREATE TABLE log_user_days (
    site_id         INTEGER NOT NULL REFERENCES sites(id),
    user_name       TEXT NOT NULL,
    day             TEXT NOT NULL,
    sessions        BIGINT NOT NULL,
    engine_sessions BIGINT NOT NULL,
    type            TEXT NOT NULL,
    type_at         BIGINT NOT NULL,
    PRIMARY KEY (site_id, user_name, day)
) WITHOUT ROWID;

-- Access denials per UTC day, type ('' = the message names none), user and
-- kind (session_limit = 1: the five-sessions limit of a user with a seat).
CREATE TABLE log_denial_days (
    site_id       INTEGER NOT NULL REFERENCES sites(id),
    day           TEXT NOT NULL,
    type          TEXT NOT NULL,
    user_name     TEXT NOT NULL,
    session_limit INTEGER NOT NULL,
    denials       BIGINT NOT NULL,
    PRIMARY KEY (site_id, day, type, user_name, session_limit)
) WITHOUT ROWID;

-- How far each service-log stream was read: the byte offset after the last
-- row counted, the last bytes before it (to check that a copy continues the
-- same bytes) and the rows counted.
CREATE TABLE log_streams (
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    ident    TEXT NOT NULL,
    consumed BIGINT NOT NULL,
    tail     TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    PRIMARY KEY (site_id, ident)
) WITHOUT ROWID;

-- Days whose daily figures (log_active_daily, the "logs" denials) a saved
-- batch changed and no refresh has recomputed since.
CREATE TABLE log_pending_days (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    day     TEXT NOT NULL,
    PRIMARY KEY (site_id, day)
) WITHOUT ROWID;

-- The stream a file record belongs to ('' for script logs and the records
-- of schema 6, whose files were deduplicated by row).
ALTER TABLE log_files ADD COLUMN ident TEXT NOT NULL DEFAULT '';

-- The rows of schema 6, aggregated. Their files keep their records, so they
-- are not read again while they do not change; an active .txt of them that
-- grows, or the .log it is rolled to, is read from its recorded size
-- (internal/logimport).
INSERT INTO log_user_days (site_id, user_name, day, sessions, engine_sessions, type, type_at)
    SELECT site_id, user, day, COUNT(*), 0, '', 0 FROM log_sessions GROUP BY site_id, user, day;

INSERT INTO log_user_days (site_id, user_name, day, sessions, engine_sessions, type, type_at)
    SELECT site_id, user, day, 0, 0, type, 0 FROM log_uses WHERE true
    ON CONFLICT (site_id, user_name, day) DO UPDATE SET type = excluded.type;

INSERT INTO log_denial_days (site_id, day, type, user_name, session_limit, denials)
    SELECT site_id, day, type, user, session_limit, COUNT(*) FROM log_denials
    GROUP BY site_id, day, type, user, session_limit;

DROP TABLE log_sessions;

DROP TABLE log_uses;

DROP TABLE log_denials;
