package filter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim/filter"
)

type rec map[string]filter.Value

func (r rec) Field(n string) filter.Value {
	for k, v := range r {
		if strings.EqualFold(k, n) {
			return v
		}
	}
	return filter.Value{}
}

var status = []string{"NeverStarted", "Triggered", "Started", "Queued", "AbortInitiated", "Aborting", "Aborted", "FinishedSuccess", "FinishedFail"}

func sample() rec {
	return rec{
		"id":       filter.Str("0a48e5f2-1c1b-4a9e-9f57-0d1f2b3c4d5e"),
		"name":     filter.Str("Reload License Monitor"),
		"quote":    filter.Str("O'Brien"),
		"count":    filter.I(42),
		"ratio":    filter.F(0.5),
		"enabled":  filter.B(true),
		"lastUsed": filter.T(time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)),
		"status":   filter.E(8, status),
		"stream":   filter.Value{},
		"user":     filter.Obj(rec{"userDirectory": filter.Str("CORP"), "userId": filter.Str("anna"), "id": filter.Str("11111111-2222-3333-4444-555555555555")}),
		"tags":     filter.Arr([]filter.Value{filter.Obj(rec{"name": filter.Str("Keep")}), filter.Obj(rec{"name": filter.Str("Finance")})}),
		"customProperties": filter.Arr([]filter.Value{filter.Obj(rec{"value": filter.Str("keep"),
			"definition": filter.Obj(rec{"name": filter.Str("KeepUser")})})}),
	}
}

func TestMatch(t *testing.T) {
	r := sample()
	cases := []struct {
		expr string
		want bool
	}{
		{"name eq 'Reload License Monitor'", true},
		{"name eq 'reload license monitor'", true}, // case-insensitive strings
		{"Name EQ 'Reload License Monitor'", true}, // case-insensitive names and operators
		{"name ne 'Reload License Monitor'", false},
		{"name ne 'x'", true},
		{"name sw 'reload'", true},
		{"name sw 'Monitor'", false},
		{"name ew 'MONITOR'", true},
		{"name so 'license'", true},
		{"name so 'operations'", false},
		{"quote eq 'O''Brien'", true}, // '' escape
		{"count eq 42", true},
		{"count gt 41", true},
		{"count ge 42", true},
		{"count lt 42", false},
		{"count le 42", true},
		{"ratio lt 1", true},
		{"enabled eq true", true},
		{"enabled eq false", false},
		{"lastUsed le '2024-01-15T23:59:59.999Z'", true},
		{"lastUsed gt '2024-01-15T10:30:00.000Z'", false},
		{"lastUsed ge '2024-01-15 10:30:00'", true},
		{"lastUsed lt '2024-01-16'", true},
		{"id eq 0a48e5f2-1c1b-4a9e-9f57-0d1f2b3c4d5e", true}, // bare GUID
		{"id eq 0A48E5F2-1C1B-4A9E-9F57-0D1F2B3C4D5E", true},
		{"user.id eq 11111111-2222-3333-4444-555555555555", true},
		{"user.userDirectory eq 'corp'", true},
		{"user.userDirectory eq 'INTERNAL'", false},
		{"tags.name eq 'Finance'", true}, // any element of an array
		{"tags.name eq 'Other'", false},
		{"tags.name ne 'Keep'", false},
		{"@KeepUser eq 'keep'", true},
		{"@KeepUser ne 'keep'", false},
		{"@Missing eq 'keep'", false},
		{"status eq FinishedFail", true}, // enum by name
		{"status eq finishedfail", true},
		{"status eq 8", true},
		{"status gt FinishedSuccess", true},
		{"status eq FinishedSuccess", false},
		{"stream eq null", true},
		{"stream ne null", false},
		{"name eq 'x' or count eq 42", true},
		{"name eq 'x' and count eq 42", false},
		{"(name eq 'x' or count eq 42) and enabled eq true", true},
		{"name eq 'x' or (count eq 42 and enabled eq false)", false},
		{"not (count eq 42)", false},
		{"unknownField eq 'x'", false},
	}
	for _, c := range cases {
		e, err := filter.Parse(c.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.expr, err)
			continue
		}
		if got := e.Match(r); got != c.want {
			t.Errorf("%q: got %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, expr := range []string{
		"name eq 'unterminated",
		"name eq",
		"name 'x'",
		"name xx 'x'",
		"(name eq 'x'",
		"name eq 'x' and",
		"name eq 'x')",
		"eq 'x'",
		"name eq bad-value!",
	} {
		_, err := filter.Parse(expr)
		if err == nil {
			t.Errorf("Parse(%q): no error", expr)
			continue
		}
		if !strings.HasPrefix(err.Error(), "Cannot parse the expression:") {
			t.Errorf("Parse(%q) error %q lacks the QRS prefix", expr, err)
		}
	}
	if e, err := filter.Parse("  "); err != nil || !e.Match(sample()) {
		t.Errorf("blank filter must match everything, got %v %v", e, err)
	}
}

func TestOrderBy(t *testing.T) {
	rows := []rec{
		{"name": filter.Str("b"), "n": filter.I(1)},
		{"name": filter.Str("A"), "n": filter.I(2)},
		{"name": filter.Str("c"), "n": filter.I(2)},
		{"name": filter.Str("a"), "n": filter.I(3)},
	}
	keys, err := filter.ParseOrderBy("n desc, name asc")
	if err != nil {
		t.Fatal(err)
	}
	filter.Sort(rows, keys)
	var got []string
	for _, r := range rows {
		got = append(got, r["name"].S)
	}
	if strings.Join(got, ",") != "a,A,c,b" {
		t.Errorf("order = %v, want a,A,c,b", got)
	}
	keys, _ = filter.ParseOrderBy("name")
	filter.Sort(rows, keys)
	if rows[3]["name"].S != "c" {
		t.Errorf("name asc: last = %q, want c", rows[3]["name"].S)
	}
	if _, err := filter.ParseOrderBy("name sideways"); err == nil || !strings.HasPrefix(err.Error(), "Cannot parse the expression:") {
		t.Errorf("bad direction: err = %v", err)
	}
}

func BenchmarkMatch100k(b *testing.B) {
	rows := make([]rec, 100000)
	for i := range rows {
		rows[i] = sample()
	}
	e, _ := filter.Parse("lastUsed le '2024-01-20T00:00:00.000Z' and user.userDirectory eq 'CORP'")
	for b.Loop() {
		n := 0
		for _, r := range rows {
			if e.Match(r) {
				n++
			}
		}
	}
}
