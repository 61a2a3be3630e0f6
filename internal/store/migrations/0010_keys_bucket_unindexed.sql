-- Schema 10: the key tables' bucket indexes of schema 9 go. Maintained at
-- random places (the bucket is a hash of the GUID), they were a tenth of
-- the CPU time of a first collection's save, for a read that a following
-- collection now makes as one scan of the site's keys per key table
-- (bucketKeys in ../digest.go). The bucket column stays: that scan reads
-- it.
DROP INDEX user_keys_bucket;
DROP INDEX allocation_keys_bucket;
