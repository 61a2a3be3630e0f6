package store

import (
	"database/sql"
	"reflect"
	"testing"
)

// TestRowDigestsCoverEveryField: a change in any field the diff compares
// changes the row's digest, so that a bucket with that change is loaded
// and diffed. A field added to a row type without its digest fails here.
func TestRowDigestsCoverEveryField(t *testing.T) {
	var h rowHasher
	check := func(name string, base any, hash func(v reflect.Value) digest) {
		t.Helper()
		b := reflect.ValueOf(base)
		want := hash(b)
		for i := range b.NumField() {
			v := reflect.New(b.Type()).Elem()
			v.Set(b)
			f := v.Field(i)
			switch f.Kind() {
			case reflect.String:
				f.SetString(f.String() + "x")
			case reflect.Int64:
				f.SetInt(f.Int() + 1)
			case reflect.Bool:
				f.SetBool(!f.Bool())
			case reflect.Struct: // sql.NullInt64, sql.NullString
				valid := f.FieldByName("Valid")
				valid.SetBool(!valid.Bool())
			default:
				t.Fatalf("%s.%s: field of kind %s not covered by this test", name, b.Type().Field(i).Name, f.Kind())
			}
			if hash(v) == want {
				t.Errorf("%s.%s changed and the digest did not", name, b.Type().Field(i).Name)
			}
		}
	}
	n := sql.NullInt64{Int64: 5, Valid: true}
	s := sql.NullString{String: `["a"]`, Valid: true}
	users := map[int64]string{1: "u-1", 2: "u-2"}
	check("allocRow", allocRow{Type: "analyzer", UserKey: 1, Directory: "D", UserID: "u", Created: n, LastUsed: n, QuarantineEnd: n},
		func(v reflect.Value) digest {
			a := v.Interface().(allocRow)
			return h.alloc("a-1", users[a.UserKey], a)
		})
	check("userRow", userRow{Directory: "D", UserID: "u", Name: "N", Created: n, Tags: s, CustomProperties: s, Roles: s},
		func(v reflect.Value) digest { return h.user("u-1", v.Interface().(userRow)) })
	check("authRow", authRow{1, 2, 3, 4, 5, n}, func(v reflect.Value) digest { return h.auth("u-1", v.Interface().(authRow)) })
	if x := h.capacity("u-1", "2026-11", 6); x == h.capacity("u-2", "2026-11", 6) || x == h.capacity("u-1", "2026-10", 6) ||
		x == h.capacity("u-1", "2026-11", 7) {
		t.Error("a capacity row's digest does not cover its user, month and minutes")
	}
	// The same values in another field, or under another GUID, differ too.
	if h.user("u-1", userRow{Tags: s}) == h.user("u-1", userRow{Roles: s}) {
		t.Error("tags and roles of the same value have the same digest")
	}
	if h.auth("u-1", authRow{AppsOwned: 1}) == h.auth("u-2", authRow{AppsOwned: 1}) {
		t.Error("two users' equal authoring rows have the same digest")
	}
}

// TestDigestEncodingIsFixed: digests are stored and compared across
// licmon versions, platforms and engines, so the encoding of a row and
// the bucket of a GUID must never change.
func TestDigestEncodingIsFixed(t *testing.T) {
	var h rowHasher
	a := h.alloc("0f8f1e2a-0000-4000-8000-000000000001", "0f8f1e2a-0000-4000-8000-000000000002",
		allocRow{Type: "professional", Directory: "CORP", UserID: "jdoe", Created: sql.NullInt64{Int64: 1767225600, Valid: true}})
	if got, want := a.String(), "9c93851123114bda"; got != want {
		t.Errorf("allocation digest %s, was %s", got, want)
	}
	if got, want := bucketOf("0f8f1e2a-0000-4000-8000-000000000001"), 1193; got != want {
		t.Errorf("bucket %d, was %d", got, want)
	}
	var d digest
	d.add(a)
	d.add(a)
	d.sub(a)
	if d != a {
		t.Errorf("a + a - a = %s, want %s", d, a)
	}
	// A page of buckets reads back as written: empty buckets left out.
	in := partDigests{3*digestPage + 0: a, 3*digestPage + 255: 1, 3*digestPage + 7: 0, 4 * digestPage: 9}
	text := encodePage(in, 3)
	if want := "00" + a.String() + "ff0000000000000001"; text != want {
		t.Errorf("page 3 stored as %q, want %q", text, want)
	}
	out := partDigests{}
	if err := decodePage(out, 3, text); err != nil || len(out) != 2 || out[3*digestPage] != a || out[3*digestPage+255] != 1 {
		t.Errorf("page 3 read back as %v, %v", out, err)
	}
	for _, bad := range []string{"00", "zz0000000000000001", "0000000000000000010"} {
		if err := decodePage(partDigests{}, 3, bad); err == nil {
			t.Errorf("page %q read without an error", bad)
		}
	}
}
