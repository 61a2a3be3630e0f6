package store

import (
	"hash/fnv"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/license"
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

// A batch comes out of mergeLogBatch ordered by key, rows of the same key
// folded into one (a PostgreSQL upsert may not touch a row twice) and no
// count lost.
func TestMergeLogBatch(t *testing.T) {
	b := &LogBatch{}
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	for _, k := range []string{"d", "a", "c", "b", "a", "e"} {
		b.Commands = append(b.Commands, LogCommand{ID: k, User: "u" + k})
		b.UserDays = append(b.UserDays, LogUserDay{Day: day(2), User: "u" + k, Sessions: 1, EngineSessions: 2,
			Type: license.Type("t" + k), TypeAt: day(2).Add(time.Duration(len(b.UserDays)) * time.Hour)})
		b.DenialDays = append(b.DenialDays, LogDenialDay{Day: day(1), User: "u" + k, Denials: 3})
	}
	mergeLogBatch(b)
	seen := map[string]int{}
	for i, s := range b.Commands {
		seen[s.ID]++
		if s.User != "u"+s.ID {
			t.Errorf("row %d: key %q moved without its user %q", i, s.ID, s.User)
		}
		if i > 0 && logKey(b.Commands[i-1].ID) > logKey(s.ID) {
			t.Errorf("commands not ordered by key at %d", i)
		}
	}
	if len(b.Commands) != 5 || seen["a"] != 1 || seen["e"] != 1 {
		t.Errorf("commands: the copy of a row is saved once: %v", seen)
	}
	if len(b.UserDays) != 5 || b.UserDays[0].User != "ua" || b.UserDays[0].Sessions != 2 || b.UserDays[0].EngineSessions != 4 ||
		!b.UserDays[0].TypeAt.Equal(day(2).Add(4*time.Hour)) {
		t.Errorf("user days: %+v", b.UserDays)
	}
	if len(b.DenialDays) != 5 || b.DenialDays[0].User != "ua" || b.DenialDays[0].Denials != 6 {
		t.Errorf("denial days: %+v", b.DenialDays)
	}
}

func TestDayText(t *testing.T) {
	for _, tm := range []time.Time{time.Date(2026, 1, 2, 23, 59, 0, 0, time.UTC), time.Date(999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 1, 0, 30, 0, 0, time.FixedZone("x", 3600)), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, want := dayText(tm), tm.UTC().Format(time.DateOnly); got != want {
			t.Errorf("dayText(%v) = %q, want %q", tm, got, want)
		}
	}
}
