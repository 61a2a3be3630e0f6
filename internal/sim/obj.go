package sim

import (
	"bufio"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/sim/filter"
)

// kv is one JSON member. Objects are ordered member lists so the wire order
// is stable (tests compare JSON byte for byte across runs).
type kv struct {
	K string
	V filter.Value
}

// obj is an ordered JSON object that is also a filter.Record.
type obj []kv

// Field implements filter.Record with QRS's case-insensitive names.
func (o obj) Field(name string) filter.Value {
	for i := range o {
		if strings.EqualFold(o[i].K, name) {
			return o[i].V
		}
	}
	return filter.Value{}
}

// sharedObj points at a reusable member list; boxing it in a Value does
// not allocate.
type sharedObj struct{ p *obj }

// Field implements filter.Record.
func (o sharedObj) Field(name string) filter.Value { return o.p.Field(name) }

// Never is the QRS "no date" sentinel 1753-01-01T00:00:00.000Z.
var Never = time.Date(1753, 1, 1, 0, 0, 0, 0, time.UTC)

// NullGUID is the all-zero GUID QRS uses for "none".
const NullGUID = "00000000-0000-0000-0000-000000000000"

// Value helpers for building objects tersely.
func vs(s string) filter.Value         { return filter.Str(s) }
func vi(n int) filter.Value            { return filter.I(int64(n)) }
func vb(b bool) filter.Value           { return filter.B(b) }
func vt(t time.Time) filter.Value      { return filter.T(ifZero(t)) }
func vo(o obj) filter.Value            { return filter.Obj(o) }
func va(v []filter.Value) filter.Value { return filter.Arr(v) }

var vnull = filter.Value{}

func ifZero(t time.Time) time.Time {
	if t.IsZero() {
		return Never
	}
	return t
}

// privileges a RootAdmin sees with ?privileges=true.
var rootPrivileges = []string{"create", "read", "update", "delete", "export", "publish", "change owner", "change role", "export data", "approve", "duplicate"}

// jsonWriter streams values; priv replaces every "privileges" member.
type jsonWriter struct {
	w    *bufio.Writer
	priv bool
	buf  []byte
}

func (j *jsonWriter) value(v filter.Value) {
	switch v.Kind {
	case filter.Null:
		j.w.WriteString("null")
	case filter.String:
		j.str(v.S)
	case filter.Int, filter.Enum:
		j.buf = strconv.AppendInt(j.buf[:0], v.N, 10)
		j.w.Write(j.buf)
	case filter.Float:
		j.buf = strconv.AppendFloat(j.buf[:0], v.Float(), 'f', -1, 64)
		if !strings.ContainsAny(string(j.buf), ".e") {
			j.buf = append(j.buf, ".0"...)
		}
		j.w.Write(j.buf)
	case filter.Bool:
		if v.N != 0 {
			j.w.WriteString("true")
		} else {
			j.w.WriteString("false")
		}
	case filter.Time:
		j.buf = append(j.buf[:0], '"')
		j.buf = v.Time().AppendFormat(j.buf, "2006-01-02T15:04:05.000Z")
		j.buf = append(j.buf, '"')
		j.w.Write(j.buf)
	case filter.Object:
		switch r := v.X.(type) {
		case obj:
			j.object(r)
		case sharedObj:
			j.object(*r.p)
		case jsonObject:
			j.object(r.obj())
		default:
			j.w.WriteString("null")
		}
	case filter.Array:
		j.w.WriteByte('[')
		for i, el := range v.Elems() {
			if i > 0 {
				j.w.WriteByte(',')
			}
			j.value(el)
		}
		j.w.WriteByte(']')
	}
}

// jsonObject is a record that renders itself as an obj (fast records used
// for filtering big collections).
type jsonObject interface {
	filter.Record
	obj() obj
}

func (j *jsonWriter) object(o obj) {
	j.w.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			j.w.WriteByte(',')
		}
		j.str(m.K)
		j.w.WriteByte(':')
		if m.K == "privileges" && j.priv {
			j.w.WriteByte('[')
			for k, p := range rootPrivileges {
				if k > 0 {
					j.w.WriteByte(',')
				}
				j.str(p)
			}
			j.w.WriteByte(']')
			continue
		}
		j.value(m.V)
	}
	j.w.WriteByte('}')
}

const hexDigits = "0123456789abcdef"

func (j *jsonWriter) str(s string) {
	b := append(j.buf[:0], '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	b = append(b, '"')
	j.buf = b
	j.w.Write(b)
}
