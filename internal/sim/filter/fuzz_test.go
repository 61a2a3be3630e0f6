package filter_test

import (
	"errors"
	"testing"

	"github.com/licmon/licmon/internal/sim/filter"
)

// FuzzParse feeds arbitrary filter and orderby strings to the simulator's
// QRS grammar: it must answer every one with an expression or a *ParseError
// (which the simulator turns into QRS's 400), never panic, and an
// expression must evaluate on any record.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"name eq 'Reload License Monitor'",
		"taskID eq 6f1c3e2a-0000-4000-8000-000000000001 and startTime ge '2026-03-01T00:00:00.000Z'",
		"modifiedDate ge '2026-03-01T00:00:00.000Z' or (userDirectory ne 'INTERNAL' and not inactive eq true)",
		"name sw 'monitor_apps_REST_'", "name ew '.qvf'", "name so 'ic'", "tags.name eq 'keep'",
		"customProperties.definition.name eq 'Dept' and customProperties.value eq 'Sales'",
		"user.id eq null", "((((a eq 1))))", "name eq 'it''s'", "a eq", "'", "(", "name eq #x",
	} {
		f.Add(s, "startTime desc")
	}
	rec := rec{"name": filter.Str("Reload License Monitor"), "startTime": filter.Str("2026-03-01T00:00:00.000Z"),
		"inactive": filter.B(false), "count": filter.I(3), "user": filter.Obj(rec{"id": filter.Str("u1")})}
	f.Fuzz(func(t *testing.T, src, orderBy string) {
		e, err := filter.Parse(src)
		if err != nil {
			var pe *filter.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T %v, want *ParseError", src, err, err)
			}
		} else {
			e.Match(rec)
		}
		if _, err := filter.ParseOrderBy(orderBy); err != nil && err.Error() == "" {
			t.Fatalf("ParseOrderBy(%q): empty error", orderBy)
		}
		filter.ParseTime(src)
	})
}
