package filter

import (
	"fmt"
	"slices"
	"strings"
)

// OrderKey is one "path [asc|desc]" term of an orderby parameter.
type OrderKey struct {
	Path []string
	Desc bool
}

// ParseOrderBy parses "name asc, startTime desc". An empty string gives nil.
func ParseOrderBy(src string) ([]OrderKey, error) {
	var keys []OrderKey
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	for term := range strings.SplitSeq(src, ",") {
		f := strings.Fields(term)
		if len(f) == 0 || len(f) > 2 {
			return nil, &ParseError{Expr: src, Reason: fmt.Sprintf("invalid orderby term %q", strings.TrimSpace(term))}
		}
		p, err := splitPath(f[0])
		if err != nil {
			return nil, &ParseError{Expr: src, Reason: err.Error()}
		}
		k := OrderKey{Path: p}
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				k.Desc = true
			default:
				return nil, &ParseError{Expr: src, Reason: fmt.Sprintf("invalid sort direction %q (use asc or desc)", f[1])}
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// Lookup resolves a dotted path on a record (first array element when the
// path crosses an array), for sorting.
func Lookup(r Record, path []string) Value {
	v := Obj(r)
	for _, p := range path {
		if v.Kind == Array {
			el := v.Elems()
			if len(el) == 0 {
				return Value{}
			}
			v = el[0]
		}
		rec := v.Record()
		if rec == nil {
			return Value{}
		}
		v = rec.Field(p)
	}
	return v
}

// CompareValues orders two values: nulls first, numbers and times
// numerically, strings case-insensitively.
func CompareValues(a, b Value) int {
	if a.Kind == Null || b.Kind == Null {
		return btoi(a.Kind != Null) - btoi(b.Kind != Null)
	}
	switch a.Kind {
	case String:
		return strings.Compare(strings.ToLower(a.S), strings.ToLower(b.S))
	case Int, Float, Enum, Bool, Time:
		return cmpNum(a.Float(), b.Float())
	}
	return 0
}

// Sort sorts records stably by the keys.
func Sort[R Record](rows []R, keys []OrderKey) {
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(x, y R) int {
		for _, k := range keys {
			c := CompareValues(Lookup(x, k.Path), Lookup(y, k.Path))
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}
