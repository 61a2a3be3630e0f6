package store

import (
	"hash/fnv"
	"testing"
)

// Stores written by earlier versions keyed events with hash/fnv's FNV-1a:
// the key must not change, or importing the same logs again would store
// every event twice.
func TestLogKeyIsFNV1a(t *testing.T) {
	for _, s := range []string{"", "a", "3f2c9a4e-1b7d-4c1e-9f0a-2b3c4d5e6f70", "node|2026-01-01T00:00:00Z|msg"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := logKey(s), int64(h.Sum64()); got != want {
			t.Errorf("logKey(%q) = %d, want %d", s, got, want)
		}
	}
}

// A batch comes out of sortLogBatch ordered by key, every row kept.
func TestSortLogBatchByKey(t *testing.T) {
	b := &LogBatch{}
	for _, k := range []string{"d", "a", "c", "b", "a", "e"} {
		b.Sessions = append(b.Sessions, LogSession{Key: k, User: "u" + k})
		b.Denials = append(b.Denials, LogDenial{ID: k})
	}
	sortLogBatch(b)
	seen := map[string]int{}
	for i, s := range b.Sessions {
		seen[s.Key]++
		if s.User != "u"+s.Key {
			t.Errorf("row %d: key %q moved without its user %q", i, s.Key, s.User)
		}
		if i > 0 && logKey(b.Sessions[i-1].Key) > logKey(s.Key) {
			t.Errorf("sessions not ordered by key at %d", i)
		}
		if i > 0 && logKey(b.Denials[i-1].ID) > logKey(b.Denials[i].ID) {
			t.Errorf("denials not ordered by key at %d", i)
		}
	}
	if len(b.Sessions) != 6 || seen["a"] != 2 || seen["e"] != 1 {
		t.Errorf("rows lost or duplicated: %v", seen)
	}
}
