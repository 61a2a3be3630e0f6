package qrs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/licmon/licmon/internal/jsonscan"
)

// Time is a QRS date-time. It embeds time.Time so callers use it like one, but decodes leniently:
// QRS sends "2017-01-20T01:46:27.831Z", Swagger-era servers "+00:00" offsets, and some fields
// (schema event expirationDate) carry no zone at all, which time.Time's own decoder rejects.
// A zone-less value is taken as UTC because QRS stores UTC. JSON null and "" decode to the zero time.
type Time struct {
	time.Time
}

// neverYear is the year of Qlik's "never/none" sentinel 1753-01-01T00:00:00.000Z (the SQL Server
// datetime minimum), used for startTime, stopTime, nextExecution and publishTime when unset.
const neverYear = 1753

// timeLayouts are the ISO-8601 forms QRS is known to emit, tried in order.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTime parses a QRS date-time string in any of the accepted ISO forms.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse QRS date %q: not an ISO-8601 date-time (QRS sends e.g. 2017-01-20T01:46:27.831Z; a value like 2020/03/03 19:40 is Qlik-CLI display output, not the wire format)", s)
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if n := len(data); n >= 2 && data[0] == '"' && data[n-1] == '"' && bytes.IndexByte(data, '\\') < 0 {
		s = string(data[1 : n-1]) // fast path: dates never contain escapes
	} else if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("decode QRS date %s: expected a string", truncate(string(data), 40))
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// UnmarshalJSONFrom decodes a Time from a token stream (streamed lists)
// as UnmarshalJSON does, without the copy and the generic parse: QRS's own
// form (UTC, milliseconds, "Z") is parsed from the bytes directly, every
// other form as ParseTime parses it.
func (t *Time) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case 'n':
		t.Time = time.Time{}
		return nil
	case '"':
	default:
		return fmt.Errorf("decode QRS date %s: expected a string", truncate(string(v), 40))
	}
	if len(v) == 2 {
		t.Time = time.Time{}
		return nil
	}
	if p, ok := parseQRSTime(v[1 : len(v)-1]); ok {
		t.Time = p
		return nil
	}
	return t.UnmarshalJSON(v)
}

// ScanFrom decodes a Time from a scanned list element (StreamFrom) as
// UnmarshalJSONFrom does.
func (t *Time) ScanFrom(s *jsonscan.Scanner) error {
	switch s.Peek() {
	case 'n':
		t.Time = time.Time{}
		return s.Null()
	case '"':
	default:
		v, err := s.Value()
		if err != nil {
			return err
		}
		return fmt.Errorf("decode QRS date %s: expected a string", truncate(string(v), 40))
	}
	b, err := s.String()
	if err != nil {
		return err
	}
	if len(b) == 0 {
		t.Time = time.Time{}
		return nil
	}
	if p, ok := parseQRSTime(b); ok {
		t.Time = p
		return nil
	}
	p, err := ParseTime(string(b))
	if err != nil {
		return err
	}
	t.Time = p
	return nil
}

// parseQRSTime parses QRS's own date form, 2017-01-20T01:46:27.831Z
// (always UTC, always milliseconds), which is nearly every date of a list.
func parseQRSTime(b []byte) (time.Time, bool) {
	if len(b) != len("2006-01-02T15:04:05.000Z") || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' ||
		b[16] != ':' || b[19] != '.' || b[23] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	s, ok6 := num(17, 2)
	ms, ok7 := num(20, 3)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	out := time.Date(y, time.Month(mo), d, h, mi, s, ms*int(time.Millisecond), time.UTC)
	if out.Day() != d { // 31 April and the like: let time.Parse say why it is wrong
		return time.Time{}, false
	}
	return out, true
}

// MarshalJSON writes the QRS form (UTC, milliseconds, "Z"); the zero time is written as the 1753
// sentinel because that is what QRS itself uses for "unset".
func (t Time) MarshalJSON() ([]byte, error) {
	if t.Time.IsZero() {
		return []byte(`"1753-01-01T00:00:00.000Z"`), nil
	}
	return []byte(`"` + t.UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// IsNever reports whether the value is unset: the zero time, Qlik's 1753-01-01 sentinel, or the
// 0001-01-01 value older servers use for never-set allocation dates.
func (t Time) IsNever() bool { return IsNever(t.Time) }

// IsNever reports whether t is one of Qlik's "never" values: the zero time (0001-01-01, also sent
// by Sense 2.x templates) or any instant in 1753 or earlier (the 1753-01-01 sentinel).
func IsNever(t time.Time) bool {
	return t.IsZero() || t.UTC().Year() <= neverYear
}
