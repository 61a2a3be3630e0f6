-- Schema 9: a digest of each site's current per-user state, by part and by
-- bucket of keys, so that a following collection loads and diffs only the
-- buckets whose digest differs from its snapshot's (see ../digest.go).

-- The bucket of each interned GUID (a hash of the GUID, computed by
-- licmon: SQL has no portable hash), so that a bucket's rows are read by an
-- index. Keys made before schema 9 have none until their site's next
-- collection sets it.
ALTER TABLE user_keys ADD COLUMN bucket INTEGER;
ALTER TABLE allocation_keys ADD COLUMN bucket INTEGER;
CREATE INDEX user_keys_bucket ON user_keys (site_id, bucket);
CREATE INDEX allocation_keys_bucket ON allocation_keys (site_id, bucket);

-- The digests of part ('allocations', 'users', 'authoring', 'capacity')
-- for the buckets page*256 to page*256+255: for each non-empty bucket, its
-- index in the page (2 hex digits) and its digest (16 hex digits). A
-- bucket without one is empty.
CREATE TABLE state_digests (
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    part     TEXT NOT NULL,
    page     INTEGER NOT NULL,
    digests  TEXT NOT NULL,
    PRIMARY KEY (site_id, part, page)
) WITHOUT ROWID;

-- The collection the site's digests are the state of: they are used only
-- while it is the site's latest collection.
CREATE TABLE state_digest_sites (
    site_id        INTEGER NOT NULL REFERENCES sites(id),
    collection_id  INTEGER NOT NULL,
    PRIMARY KEY (site_id)
) WITHOUT ROWID;
