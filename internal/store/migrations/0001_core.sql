-- licmon history store, schema 1: sites, collections, counters, and the
-- per-user state kept as validity intervals (see ../doc.go for why).
-- Times are unix seconds (UTC); NULL means "not set" (never used, etc.).
-- Booleans are 0/1 integers. DDL is SQLite's; queries stay portable.

CREATE TABLE sites (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE collections (
    id           INTEGER PRIMARY KEY,
    site_id      INTEGER NOT NULL REFERENCES sites(id),
    at           BIGINT NOT NULL,
    day          TEXT NOT NULL,
    users        INTEGER NOT NULL,
    allocations  INTEGER NOT NULL,
    changes      INTEGER NOT NULL,
    UNIQUE (site_id, at)
);

CREATE TABLE counters (
    collection_id  INTEGER NOT NULL REFERENCES collections(id),
    type           TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    total          BIGINT NOT NULL,
    allocated      BIGINT NOT NULL,
    used           BIGINT NOT NULL,
    quarantined    BIGINT NOT NULL,
    excess         BIGINT NOT NULL,
    available      BIGINT NOT NULL,
    unavailable    BIGINT NOT NULL,
    token_cost     REAL NOT NULL,
    PRIMARY KEY (collection_id, type)
) WITHOUT ROWID;

CREATE TABLE reconstructed_daily (
    site_id      INTEGER NOT NULL REFERENCES sites(id),
    type         TEXT NOT NULL,
    day          TEXT NOT NULL,
    allocated    BIGINT NOT NULL,
    used         BIGINT NOT NULL,
    total        BIGINT NOT NULL,
    quarantined  BIGINT NOT NULL,
    excess       BIGINT NOT NULL,
    available    BIGINT NOT NULL,
    active       BIGINT NOT NULL,
    PRIMARY KEY (site_id, type, day)
) WITHOUT ROWID;

-- Interned QRS GUIDs: history rows carry small integer keys instead of two
-- 36-byte GUIDs each.
CREATE TABLE user_keys (
    id       INTEGER PRIMARY KEY,
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    guid     TEXT NOT NULL,
    UNIQUE (site_id, guid)
);

CREATE TABLE allocation_keys (
    id       INTEGER PRIMARY KEY,
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    guid     TEXT NOT NULL,
    UNIQUE (site_id, guid)
);

-- One row per state of an allocation, valid for collections
-- valid_from <= c < valid_to (valid_to NULL = current state).
-- The (site_id, valid_to) index serves both the current state
-- (valid_to IS NULL: the diff base of every collection) and the state as of
-- collection c (valid_to IS NULL or valid_to > c: only rows closed after c
-- besides the current ones), so its cost does not grow with history length.
CREATE TABLE allocation_versions (
    alloc_key       INTEGER NOT NULL REFERENCES allocation_keys(id),
    valid_from      INTEGER NOT NULL,
    valid_to        INTEGER,
    site_id         INTEGER NOT NULL,
    type            TEXT NOT NULL,
    user_key        INTEGER NOT NULL,
    directory       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    created         BIGINT,
    last_used       BIGINT,
    quarantined     INTEGER NOT NULL,
    quarantine_end  BIGINT,
    excess          INTEGER NOT NULL,
    deleted_user    INTEGER NOT NULL,
    PRIMARY KEY (alloc_key, valid_from)
) WITHOUT ROWID;
CREATE INDEX allocation_versions_site_to ON allocation_versions (site_id, valid_to);

CREATE TABLE user_versions (
    user_key            INTEGER NOT NULL REFERENCES user_keys(id),
    valid_from          INTEGER NOT NULL,
    valid_to            INTEGER,
    site_id             INTEGER NOT NULL,
    directory           TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    name                TEXT NOT NULL,
    created             BIGINT,
    inactive            INTEGER NOT NULL,
    blocked             INTEGER NOT NULL,
    removed_externally  INTEGER NOT NULL,
    tags                TEXT,
    custom_properties   TEXT,
    roles               TEXT,
    PRIMARY KEY (user_key, valid_from)
) WITHOUT ROWID;
CREATE INDEX user_versions_site_to ON user_versions (site_id, valid_to);

CREATE TABLE authoring_versions (
    user_key                INTEGER NOT NULL REFERENCES user_keys(id),
    valid_from              INTEGER NOT NULL,
    valid_to                INTEGER,
    site_id                 INTEGER NOT NULL,
    apps_owned              INTEGER NOT NULL,
    apps_published          INTEGER NOT NULL,
    objects_owned           INTEGER NOT NULL,
    objects_published       INTEGER NOT NULL,
    data_connections_owned  INTEGER NOT NULL,
    last_authored           BIGINT,
    PRIMARY KEY (user_key, valid_from)
) WITHOUT ROWID;
CREATE INDEX authoring_versions_site_to ON authoring_versions (site_id, valid_to);

-- A site has one license row per change (rarely more than a few).
CREATE TABLE license_versions (
    site_id           INTEGER NOT NULL REFERENCES sites(id),
    valid_from        INTEGER NOT NULL,
    valid_to          INTEGER,
    model             TEXT NOT NULL,
    product           INTEGER NOT NULL,
    name              TEXT NOT NULL,
    organization      TEXT NOT NULL,
    serial_tail       TEXT NOT NULL,
    license_valid_to  BIGINT,
    expired           INTEGER NOT NULL,
    invalid           INTEGER NOT NULL,
    blacklisted       INTEGER NOT NULL,
    total_tokens      BIGINT NOT NULL,
    available_tokens  BIGINT NOT NULL,
    PRIMARY KEY (site_id, valid_from)
) WITHOUT ROWID;

CREATE TABLE capacity_use (
    site_id   INTEGER NOT NULL REFERENCES sites(id),
    month     TEXT NOT NULL,
    user_key  INTEGER NOT NULL REFERENCES user_keys(id),
    minutes   BIGINT NOT NULL,
    PRIMARY KEY (site_id, month, user_key)
) WITHOUT ROWID;
