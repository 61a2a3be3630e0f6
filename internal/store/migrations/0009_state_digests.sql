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

-- The digest (hex) of the open versions of part ('allocations', 'users',
-- 'authoring') whose key falls in bucket; a bucket without a row has none.
CREATE TABLE state_digests (
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    part     TEXT NOT NULL,
    bucket   INTEGER NOT NULL,
    digest   TEXT NOT NULL,
    PRIMARY KEY (site_id, part, bucket)
) WITHOUT ROWID;

-- The collection the site's digests are the state of: they are used only
-- while it is the site's latest collection.
CREATE TABLE state_digest_sites (
    site_id        INTEGER NOT NULL REFERENCES sites(id),
    collection_id  INTEGER NOT NULL,
    PRIMARY KEY (site_id)
) WITHOUT ROWID;
