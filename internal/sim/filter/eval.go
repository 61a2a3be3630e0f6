package filter

import (
	"strconv"
	"strings"
)

// Match reports whether r satisfies the filter. A nil Expr matches everything.
func (e *Expr) Match(r Record) bool {
	if e == nil {
		return true
	}
	switch {
	case e.and:
		for _, c := range e.children {
			if !c.Match(r) {
				return false
			}
		}
		return true
	case e.or:
		for _, c := range e.children {
			if c.Match(r) {
				return true
			}
		}
		return false
	case e.not:
		return !e.children[0].Match(r)
	}
	if e.op == Ne {
		return !e.any(r, Eq)
	}
	return e.any(r, e.op)
}

// any resolves the path (fanning out over arrays) and reports whether any
// reached value satisfies op.
func (e *Expr) any(r Record, op Op) bool {
	if strings.HasPrefix(e.path[0], "@") {
		return e.customProperty(r, op)
	}
	return walk(Obj(r), e.path, func(v Value) bool { return compare(v, op, &e.lit) })
}

// customProperty handles "@Name op value": the record's customProperties
// array holds {value, definition{name}} items.
func (e *Expr) customProperty(r Record, op Op) bool {
	name := e.path[0][1:]
	cps := r.Field("customProperties")
	for _, cp := range cps.Elems() {
		rec := cp.Record()
		if rec == nil {
			continue
		}
		def := rec.Field("definition").Record()
		if def == nil || !strings.EqualFold(def.Field("name").S, name) {
			continue
		}
		if compare(rec.Field("value"), op, &e.lit) {
			return true
		}
	}
	return false
}

func walk(v Value, path []string, f func(Value) bool) bool {
	if v.Kind == Array {
		for _, el := range v.Elems() {
			if walk(el, path, f) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return f(v)
	}
	if v.Kind != Object {
		return len(path) == 0 && f(v)
	}
	return walk(v.Record().Field(path[0]), path[1:], f)
}

func cmpOrder(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return false
}

func cmpNum(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(v Value, op Op, lit *literal) bool {
	if lit.kind == litNull {
		isNull := v.Kind == Null
		switch op {
		case Eq:
			return isNull
		case Ne:
			return !isNull
		}
		return false
	}
	switch v.Kind {
	case Null, Object, Array:
		return false
	case String:
		return compareString(v.S, op, lit)
	case Time:
		if op >= Sw {
			return compareString(v.Time().Format("2006-01-02T15:04:05.000Z"), op, lit)
		}
		if !lit.isT {
			return false
		}
		return cmpOrder(op, cmpNum(float64(v.N), float64(lit.t.UnixMilli())))
	case Bool:
		if lit.kind != litBool || op >= Sw {
			return false
		}
		return cmpOrder(op, int(v.N)-btoi(lit.b))
	case Enum:
		switch lit.kind {
		case litNumber:
			return op < Sw && cmpOrder(op, cmpNum(float64(v.N), lit.num))
		case litIdent, litString:
			t, _ := v.X.([]string)
			if i, ok := enumIndex(t, lit.s); ok && op < Sw {
				return cmpOrder(op, cmpNum(float64(v.N), float64(i)))
			}
			return compareString(v.EnumName(), op, lit)
		}
		return false
	case Int, Float:
		if op >= Sw {
			return compareString(strconv.FormatFloat(v.Float(), 'f', -1, 64), op, lit)
		}
		n := lit.num
		if lit.kind != litNumber {
			f, err := strconv.ParseFloat(lit.s, 64)
			if err != nil {
				return false
			}
			n = f
		}
		return cmpOrder(op, cmpNum(v.Float(), n))
	}
	return false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compareString(s string, op Op, lit *literal) bool {
	switch op {
	case Eq:
		return strings.EqualFold(s, lit.s)
	case Ne:
		return !strings.EqualFold(s, lit.s)
	case Sw:
		return len(s) >= len(lit.s) && strings.EqualFold(s[:len(lit.s)], lit.s)
	case Ew:
		return len(s) >= len(lit.s) && strings.EqualFold(s[len(s)-len(lit.s):], lit.s)
	case So:
		return strings.Contains(strings.ToLower(s), lit.lower)
	}
	return cmpOrder(op, strings.Compare(strings.ToLower(s), lit.lower))
}
