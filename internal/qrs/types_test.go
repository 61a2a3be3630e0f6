package qrs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func TestTimeDecoding(t *testing.T) {
	cases := map[string]time.Time{
		`"2017-01-20T01:46:27.831Z"`:      time.Date(2017, 1, 20, 1, 46, 27, 831e6, time.UTC),
		`"2000-01-23T04:56:07.000+00:00"`: time.Date(2000, 1, 23, 4, 56, 7, 0, time.UTC),
		`"9999-01-01T00:00:00.000"`:       time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
		`"2024-02-25T09:17:16.366+0100"`:  time.Date(2024, 2, 25, 8, 17, 16, 366e6, time.UTC),
		`null`:                            {},
		`""`:                              {},
	}
	for in, want := range cases {
		var v Time
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !v.Equal(want) {
			t.Errorf("%s = %v, want %v", in, v.Time, want)
		}
	}
	// Streamed lists decode dates from tokens (UnmarshalJSONFrom): the
	// same values, the same refusals.
	cases[`"2024-02-29T23:59:59.999Z"`] = time.Date(2024, 2, 29, 23, 59, 59, 999e6, time.UTC)
	cases[`"2017-01-20T01:46:27.831\u005a"`] = time.Date(2017, 1, 20, 1, 46, 27, 831e6, time.UTC)
	for in, want := range cases {
		var v Time
		if err := jsonv2.UnmarshalDecode(jsontext.NewDecoder(strings.NewReader(in)), &v); err != nil {
			t.Errorf("streamed %s: %v", in, err)
			continue
		}
		if !v.Equal(want) {
			t.Errorf("streamed %s = %v, want %v", in, v.Time, want)
		}
	}
	for _, bad := range []string{`"2020/03/03 19:40"`, `12`, `"yesterday"`, `"2023-02-29T00:00:00.000Z"`, `"2023-13-01T00:00:00.000Z"`, `true`} {
		var v Time
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s decoded", bad)
		}
		if err := jsonv2.UnmarshalDecode(jsontext.NewDecoder(strings.NewReader(bad)), &v); err == nil {
			t.Errorf("streamed %s decoded", bad)
		}
	}
	var never Time
	_ = json.Unmarshal([]byte(`"1753-01-01T00:00:00.000Z"`), &never)
	var zero Time
	_ = json.Unmarshal([]byte(`"0001-01-01T00:00:00.000Z"`), &zero)
	if !never.IsNever() || !zero.IsNever() || !IsNever(time.Time{}) || IsNever(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("IsNever wrong")
	}
	b, _ := json.Marshal(Time{})
	if string(b) != `"1753-01-01T00:00:00.000Z"` {
		t.Errorf("zero marshals as %s", b)
	}
	b, _ = json.Marshal(Time{time.Date(2017, 1, 20, 1, 46, 27, 831e6, time.UTC)})
	if string(b) != `"2017-01-20T01:46:27.831Z"` {
		t.Errorf("marshal = %s", b)
	}
}

func TestTaskExecutionStatus(t *testing.T) {
	names := []string{"NeverStarted", "Triggered", "Started", "Queued", "AbortInitiated", "Aborting", "Aborted",
		"FinishedSuccess", "FinishedFail", "Skipped", "Retry", "Error", "Reset", "DistributionQueue", "DistributionRunning"}
	for i, n := range names {
		s := TaskExecutionStatus(i)
		if s.String() != n {
			t.Errorf("%d.String() = %s, want %s", i, s, n)
		}
		var byName, byNum TaskExecutionStatus
		if err := json.Unmarshal([]byte(`"`+n+`"`), &byName); err != nil || byName != s {
			t.Errorf("decode %q = %v, %v", n, byName, err)
		}
		if err := json.Unmarshal([]byte(itoa(i)), &byNum); err != nil || byNum != s {
			t.Errorf("decode %d = %v, %v", i, byNum, err)
		}
	}
	if TaskExecutionStatus(15).String() != "TaskExecutionStatus(15)" {
		t.Error("unknown status name")
	}
	var bad TaskExecutionStatus
	if err := json.Unmarshal([]byte(`"Exploded"`), &bad); err == nil {
		t.Error("unknown name accepted")
	}
	type want struct{ finished, success, failure, abort bool }
	checks := map[TaskExecutionStatus]want{
		StatusStarted:         {},
		StatusTriggered:       {},
		StatusQueued:          {},
		StatusAbortInitiated:  {abort: true},
		StatusAborted:         {finished: true, abort: true},
		StatusFinishedSuccess: {finished: true, success: true},
		StatusFinishedFail:    {finished: true, failure: true},
		StatusError:           {finished: true, failure: true},
		StatusSkipped:         {finished: true},
		StatusRetry:           {},
	}
	for s, w := range checks {
		got := want{s.IsFinished(), s.IsSuccess(), s.IsFailure(), s.IsAbort()}
		if got != w {
			t.Errorf("%s: got %+v want %+v", s, got, w)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestNewXrfKey(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := NewXrfKey()
		if !xrfRe.MatchString(k) || seen[k] {
			t.Fatalf("bad or repeated key %q", k)
		}
		seen[k] = true
	}
}

// FuzzQRSTime: the fast parse of QRS's own date form agrees with
// time.Parse wherever it accepts a value.
func FuzzQRSTime(f *testing.F) {
	for _, s := range []string{"2017-01-20T01:46:27.831Z", "1753-01-01T00:00:00.000Z", "2023-02-29T00:00:00.000Z", "0000-00-00T00:00:00.000Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseQRSTime([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		if ok && (err != nil || !got.Equal(want)) {
			t.Fatalf("parseQRSTime(%q) = %v, time.Parse = %v, %v", s, got, want, err)
		}
		if !ok && err == nil && len(s) == len("2006-01-02T15:04:05.000Z") && s[19] == '.' && s[23] == 'Z' {
			t.Fatalf("parseQRSTime(%q) refused what time.Parse reads as %v", s, want)
		}
	})
}
