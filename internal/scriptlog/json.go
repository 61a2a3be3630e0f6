package scriptlog

import (
	"encoding/json"
	"time"
)

// jsonDiagnosis fixes the field names and order of the JSON schema
// documented in the package comment.
type jsonDiagnosis struct {
	Outcome    Outcome    `json:"outcome"`
	Code       string     `json:"code"`
	Title      string     `json:"title"`
	Severity   Severity   `json:"severity"`
	Connection string     `json:"connection"`
	Connected  bool       `json:"connected"`
	Line       int        `json:"line"`
	Statement  string     `json:"statement"`
	Error      string     `json:"error"`
	HTTPStatus int        `json:"httpStatus"`
	File       string     `json:"file"`
	Hint       string     `json:"hint"`
	Start      *string    `json:"start"`
	End        *string    `json:"end"`
	DurationMs int64      `json:"durationMs"`
	Header     jsonHeader `json:"header"`
	Counts     jsonCounts `json:"counts"`
	Context    []jsonLine `json:"context"`
}

type jsonHeader struct {
	ServerVersion string            `json:"serverVersion"`
	ExecutedBy    string            `json:"executedBy"`
	UserDirectory string            `json:"userDirectory"`
	UserID        string            `json:"userId"`
	ProcessID     string            `json:"processId"`
	Other         map[string]string `json:"other"`
}

type jsonCounts struct {
	Lines          int `json:"lines"`
	StatementLines int `json:"statementLines"`
	MessageLines   int `json:"messageLines"`
	TraceLines     int `json:"traceLines"`
	GarbageLines   int `json:"garbageLines"`
	TruncatedLines int `json:"truncatedLines"`
	ErrorLines     int `json:"errorLines"`
}

type jsonLine struct {
	N          int     `json:"n"`
	Time       *string `json:"time"`
	ScriptLine int     `json:"scriptLine"`
	Kind       string  `json:"kind"`
	Text       string  `json:"text"`
}

// FormatTime renders a log timestamp the way the JSON output does: RFC 3339
// with milliseconds and offset when the log had a zone, else the local wall
// clock "2006-01-02T15:04:05". It returns "" for the zero time.
func FormatTime(t time.Time, hasZone bool) string {
	switch {
	case t.IsZero():
		return ""
	case hasZone:
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	default:
		return t.Format("2006-01-02T15:04:05")
	}
}

func timePtr(t time.Time, hasZone bool) *string {
	s := FormatTime(t, hasZone)
	if s == "" {
		return nil
	}
	return &s
}

// MarshalJSON writes the stable schema documented in the package comment.
func (d *Diagnosis) MarshalJSON() ([]byte, error) {
	j := jsonDiagnosis{
		Outcome: d.Outcome, Code: d.Code, Title: d.Title, Severity: d.Severity,
		Connection: d.Connection.Name, Connected: d.Connection.Connected,
		Line: d.Statement.ScriptLine, Statement: d.Statement.Text, Error: d.Error,
		HTTPStatus: d.HTTPStatus, File: d.File, Hint: d.Hint,
		Start: timePtr(d.Start, d.HasZone), End: timePtr(d.End, d.HasZone),
		DurationMs: d.Duration.Milliseconds(),
		Header: jsonHeader{ServerVersion: d.Header.ServerVersion, ExecutedBy: d.Header.ExecutedBy,
			UserDirectory: d.Header.UserDirectory, UserID: d.Header.UserID, ProcessID: d.Header.ProcessID,
			Other: d.Header.Other},
		Counts:  jsonCounts(d.Counts),
		Context: make([]jsonLine, 0, len(d.Context)),
	}
	if j.Header.Other == nil {
		j.Header.Other = map[string]string{}
	}
	for _, l := range d.Context {
		j.Context = append(j.Context, jsonLine{N: l.N, Time: timePtr(l.Time, l.HasZone), ScriptLine: l.ScriptLine,
			Kind: l.Kind.String(), Text: l.Text})
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the schema MarshalJSON writes, so a check stored as
// JSON (serve's store) reads back with its diagnosis.
func (d *Diagnosis) UnmarshalJSON(b []byte) error {
	var j jsonDiagnosis
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	start, startZone := parseTime(j.Start)
	end, _ := parseTime(j.End)
	*d = Diagnosis{Outcome: j.Outcome, Code: j.Code, Title: j.Title, Severity: j.Severity, Hint: j.Hint,
		Statement:  Statement{ScriptLine: j.Line, Text: j.Statement},
		Connection: Connection{Name: j.Connection, Connected: j.Connected},
		Error:      j.Error, HTTPStatus: j.HTTPStatus, File: j.File,
		Start: start, End: end, HasZone: startZone, Duration: time.Duration(j.DurationMs) * time.Millisecond,
		Header: Header{ServerVersion: j.Header.ServerVersion, ExecutedBy: j.Header.ExecutedBy,
			UserDirectory: j.Header.UserDirectory, UserID: j.Header.UserID, ProcessID: j.Header.ProcessID, Other: j.Header.Other},
		Counts: Counts(j.Counts)}
	for _, l := range j.Context {
		t, zone := parseTime(l.Time)
		d.Context = append(d.Context, Line{N: l.N, Time: t, HasZone: zone, ScriptLine: l.ScriptLine, Kind: kindOf(l.Kind), Text: l.Text})
	}
	return nil
}

// parseTime reads FormatTime's two forms; a wall clock without zone is
// kept in UTC, as the reader stores it.
func parseTime(s *string) (t time.Time, hasZone bool) {
	if s == nil || *s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse("2006-01-02T15:04:05.000Z07:00", *s); err == nil {
		return t, true
	}
	t, _ = time.Parse("2006-01-02T15:04:05", *s)
	return t, false
}

func kindOf(s string) Kind {
	for _, k := range []Kind{KindStatement, KindMessage, KindTrace} {
		if k.String() == s {
			return k
		}
	}
	return KindGarbage
}
