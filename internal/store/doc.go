// Package store is licmon's embedded license history: every collection of
// every site, kept compactly enough for 100 000 users over three years in one
// SQLite file (modernc.org/sqlite, no cgo).
//
// # Design
//
// Site-wide counters are small and are stored for every collection. The
// per-user state (allocations, users, authoring, the site license) is large
// and changes slowly, so it is stored as validity intervals: a row is one
// state of one entity, valid for the collections valid_from <= c < valid_to,
// valid_to NULL meaning "still current". A collection that changes 5% of
// the allocations writes 5% new rows and closes 5% old ones; an unchanged
// collection writes only its collections and counters rows.
//
// Intervals were chosen over an event log (allocated, released,
// last_used, ...) because every report question is "state as of time T" or
// "what is current": with intervals, AllocationsAt(T) is one indexed range
// query, and the current state (the rows with valid_to NULL) is the diff
// base of the next collection, so no history is replayed and no separate
// cache table can drift from the history. One (site_id, valid_to) index per
// table serves both: the current state is the valid_to IS NULL range, and
// the state as of an older collection c is that range plus the rows closed
// after c, so neither query scans the whole history. An event
// log would need a replay from the first collection, or periodic
// checkpoints, for the same answers.
//
// The diff base is not read whole at every collection: a digest per part
// and bucket of GUIDs of the current state (state_digests, digest.go) tells
// a following collection which buckets of its snapshot may differ, and only
// their current rows are read and diffed.
//
// QRS GUIDs are interned into user_keys and allocation_keys so history rows
// carry small integers instead of two 36-byte strings. Times are unix
// seconds (UTC), days and months are "2006-01-02"/"2006-01" text, booleans
// 0/1 integers, tags/roles/custom properties canonical JSON text.
//
// Queries use only portable SQL with ? placeholders, INSERT ... RETURNING
// and ON CONFLICT upserts, so one implementation serves SQLite and
// PostgreSQL (a postgres:// DSN): the PostgreSQL connection rebinds ? to $n
// and quotes the column name user, the migrations' DDL is translated
// (dialect.go), write transactions take an advisory lock as SQLite's
// IMMEDIATE transactions take the write lock, and bulk inserts use COPY
// (pgconn.go). The same conformance tests run on both.
//
// # Crash safety
//
// SaveSnapshot runs in one IMMEDIATE transaction on a WAL database (one
// transaction on PostgreSQL): a process killed at any point leaves the store
// exactly as of the previous collection.
package store
