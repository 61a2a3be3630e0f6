-- Schema 10: the key tables' bucket indexes of schema 9 go. Maintained at
-- random places, they cost a first collection of 100 000 users about a
-- sixth of its save's CPU time (300 000 users: about 3 s), for a read
-- that a following collection makes as one scan of the site's keys
-- instead (bucketKeys in ../digest.go).
DROP INDEX user_keys_bucket;
DROP INDEX allocation_keys_bucket;
