package qlog

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Session is one user session, or the half of it one file holds: a proxy
// session keyed by its ProxySessionId (Start session / Stop session rows),
// or an engine session summary (Session_Engine, which names the same proxy
// session). Start or Stop is zero when this file does not hold it.
type Session struct {
	Key         string
	User        string // DIR\user as logged
	Start, Stop time.Time
	Node        string
}

// Use is a license use that names the user's access type (a security-audit
// usage row): it says which type the user's activity that day counts under.
type Use struct {
	At   time.Time
	User string
	Type license.Type
}

// Denial is one access request the license turned away.
type Denial struct {
	// ID is the row's Id (the same in the active .txt and the rolled .log).
	ID   string
	At   time.Time
	User string
	// Type is the access type that had no free seat; "" when the message
	// does not say (then the denial is not counted as unmet demand).
	Type license.Type
	// SessionLimit marks the five-parallel-sessions denial of a user who
	// holds a seat.
	SessionLimit bool
	Message      string
	Node         string
}

// LicenseCommand is a license-related security-audit row that is neither a
// denial (Denial) nor a use naming the user's type (Use): allocation
// changes, maintenance, uses without a type, released usages.
type LicenseCommand struct {
	ID      string
	At      time.Time
	Command string
	Result  string
	User    string
	Message string
	Node    string
}

// TaskRun is a finished task execution from the scheduler's audit log.
type TaskRun struct {
	ID           string
	TaskID, Task string
	AppID, App   string
	Start        time.Time // zero when the trigger row is in another file
	End          time.Time
	Status       string // FinishedSuccess, FinishedFail, Aborted, …
	Result       string
	Message      string
	Node         string
}

// Batch is a slice of extracted events, handed over every BatchSize events
// so memory stays flat however large the file.
type Batch struct {
	Sessions []Session
	Uses     []Use
	Denials  []Denial
	Commands []LicenseCommand
	Tasks    []TaskRun
}

// Len is the number of events in the batch.
func (b *Batch) Len() int {
	return len(b.Sessions) + len(b.Uses) + len(b.Denials) + len(b.Commands) + len(b.Tasks)
}

func (b *Batch) reset() {
	b.Sessions, b.Uses, b.Denials, b.Commands, b.Tasks = b.Sessions[:0], b.Uses[:0], b.Denials[:0], b.Commands[:0], b.Tasks[:0]
}

// BatchSize is the number of events per Batch.
const BatchSize = 8192

// maxMessage caps stored message texts.
const maxMessage = 500

// Extract reads the service log r, whose file name says name, and hands its
// events to emit in batches (the batch is reused after emit returns). It
// returns the reader's statistics; the error is ErrNotServiceLog, a read
// error, or emit's error. Files of KindOther are read through (their rows
// are counted) without extracting anything.
func Extract(name FileName, r io.Reader, emit func(*Batch) error) (Stats, error) {
	x := extractor{rd: NewReader(r), name: name, emit: emit, starts: map[string]time.Time{}}
	err := x.run()
	st := x.rd.Stats()
	if x.badTime > 0 {
		w := Warning{Text: strconv.Itoa(x.badTime) + " rows with an unreadable Timestamp: skipped"}
		if len(st.Warnings) < maxWarnings {
			st.Warnings = append(st.Warnings, w)
		} else {
			st.DroppedWarnings++
		}
	}
	return st, err
}

type extractor struct {
	rd      *Reader
	name    FileName
	emit    func(*Batch) error
	b       Batch
	starts  map[string]time.Time // scheduler: task key → triggered at
	badTime int

	cTime, cHost, cID, cDesc, cCommand, cResult, cMessage    int
	cUserDir, cUserID, cProxySession, cObjectID, cObjectName int
	cActiveDir, cActiveID, cSessionStart, cSessionDuration   int
}

func (x *extractor) cols() {
	r := x.rd
	x.cTime, x.cHost, x.cID, x.cDesc = r.Col("timestamp"), r.Col("hostname"), r.Col("id"), r.Col("description")
	x.cCommand, x.cResult, x.cMessage = r.Col("command"), r.Col("result"), r.Col("message")
	x.cUserDir, x.cUserID, x.cProxySession = r.Col("userdirectory"), r.Col("userid"), r.Col("proxysessionid")
	x.cObjectID, x.cObjectName = r.Col("objectid"), r.Col("objectname")
	x.cActiveDir, x.cActiveID = r.Col("activeuserdirectory"), r.Col("activeuserid")
	if x.cActiveDir < 0 {
		x.cActiveDir, x.cActiveID = x.cUserDir, x.cUserID
	}
	x.cSessionStart, x.cSessionDuration = r.Col("session start"), r.Col("session duration")
}

func (x *extractor) run() error {
	first := true
	for {
		row, err := x.rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if first {
			x.cols()
			first = false
		}
		if x.name.Kind == KindOther || x.name.Kind == KindLicenseTrace || x.name.Kind == KindSchedulerSystem {
			continue
		}
		at, ok := ParseTime(string(row.Bytes(x.cTime)))
		if !ok {
			x.badTime++
			continue
		}
		switch x.name.Kind {
		case KindProxyActivity:
			x.proxy(row, at)
		case KindSecurity:
			x.security(row, at)
		case KindEngineSession:
			x.engine(row, at)
		case KindSchedulerActivity:
			x.scheduler(row, at)
		}
		if x.b.Len() >= BatchSize {
			if err := x.emit(&x.b); err != nil {
				return err
			}
			x.b.reset()
		}
	}
	if x.b.Len() > 0 {
		return x.emit(&x.b)
	}
	return nil
}

func (x *extractor) node(row *Row) string {
	if h := row.String(x.cHost); h != "" {
		return h
	}
	return x.name.Host
}

// command returns the row's command and result, from their own columns or
// from the Description.
func (x *extractor) command(row *Row) (cmd, result string) {
	cmd, result = row.String(x.cCommand), row.String(x.cResult)
	if cmd == "" || result == "" {
		c, r, _ := ParseDescription(row.String(x.cDesc))
		if cmd == "" {
			cmd = c
		}
		if result == "" {
			result = r
		}
	}
	return cmd, result
}

func user(dir, id string) string {
	if id == "" || strings.EqualFold(id, "Not available") {
		return ""
	}
	if dir == "" || strings.EqualFold(dir, "Not available") {
		return id
	}
	return dir + `\` + id
}

// internal reports service accounts (INTERNAL\sa_*), which use no license.
func internal(u string) bool {
	return len(u) > 9 && strings.EqualFold(u[:9], `INTERNAL\`)
}

func validSession(id string) bool { return len(id) > 1 }

func (x *extractor) proxy(row *Row, at time.Time) {
	cmd, _ := x.command(row)
	var start bool
	switch {
	case strings.EqualFold(cmd, "Start session"):
		start = true
	case strings.EqualFold(cmd, "Stop session"):
	default:
		return
	}
	key := row.String(x.cProxySession)
	u := user(row.String(x.cUserDir), row.String(x.cUserID))
	if !validSession(key) || u == "" || internal(u) {
		return
	}
	s := Session{Key: key, User: u, Node: x.node(row)}
	if start {
		s.Start = at
	} else {
		s.Stop = at
	}
	x.b.Sessions = append(x.b.Sessions, s)
}

func (x *extractor) engine(row *Row, at time.Time) {
	key := row.String(x.cProxySession)
	u := user(row.String(x.cActiveDir), row.String(x.cActiveID))
	if !validSession(key) || u == "" || internal(u) {
		return // reload and other internal engine sessions
	}
	s := Session{Key: key, User: u, Stop: at, Node: x.node(row)}
	if st, ok := ParseTime(row.String(x.cSessionStart)); ok {
		s.Start = st
		if d, ok := ParseDuration(row.String(x.cSessionDuration)); ok {
			s.Stop = st.Add(d)
		}
	}
	x.b.Sessions = append(x.b.Sessions, s)
}

func (x *extractor) rowID(row *Row, at time.Time) string {
	if id := row.String(x.cID); id != "" {
		return id
	}
	// No Id column: the node, time and message identify the row well enough
	// to drop the copy in the rolled file.
	return x.node(row) + "|" + at.Format(time.RFC3339Nano) + "|" + row.String(x.cMessage)
}

func clipText(s string) string {
	if len(s) > maxMessage {
		s = strings.ToValidUTF8(s[:maxMessage], "")
	}
	return s
}

func (x *extractor) security(row *Row, at time.Time) {
	cmd, result := x.command(row)
	msg := row.String(x.cMessage)
	lm, isLicense := ParseLicenseMessage(msg)
	lowCmd := strings.ToLower(cmd)
	licenseCmd := strings.Contains(lowCmd, "license") || strings.Contains(lowCmd, "access")
	if !isLicense && !licenseCmd {
		return
	}
	colUser := user(row.String(x.cUserDir), row.String(x.cUserID))
	u := lm.User
	if u == "" {
		u = colUser
	}
	id := x.rowID(row, at)
	node := x.node(row)
	denied := lm.Denied() || (result == "403" && strings.Contains(strings.ToLower(msg), "denied"))
	use := !denied && lm.Type != "" && u != "" && !internal(u) && !strings.EqualFold(lm.Operation, "Timedout")
	if !use && !denied {
		// A use that names the user's type is kept as a Use (per user and
		// day) and a denial as a Denial; storing them as commands too would
		// double the writes of the busiest log for nothing.
		x.b.Commands = append(x.b.Commands, LicenseCommand{ID: id, At: at, Command: cmd, Result: result, User: u,
			Message: clipText(msg), Node: node})
	}
	if denied {
		x.b.Denials = append(x.b.Denials, Denial{ID: id, At: at, User: u, Type: lm.Type, SessionLimit: lm.SessionLimit,
			Message: clipText(msg), Node: node})
		return
	}
	if !use {
		return
	}
	useAt := at
	if t, ok := ParseTime(lm.LastUsed); ok {
		useAt = t
	}
	x.b.Uses = append(x.b.Uses, Use{At: useAt, User: u, Type: lm.Type})
}

func (x *extractor) scheduler(row *Row, at time.Time) {
	msg := row.String(x.cMessage)
	cmd, result := x.command(row)
	taskID, appID, _ := strings.Cut(row.String(x.cObjectID), "|")
	task, app, _ := strings.Cut(row.String(x.cObjectName), "|")
	key := taskID
	if key == "" {
		key = task
	}
	if key == "" {
		return
	}
	if strings.Contains(msg, "Changing task state to Triggered") || strings.HasSuffix(msg, "from Triggered to Started") && x.starts[key].IsZero() {
		x.starts[key] = at
		return
	}
	finished := strings.HasPrefix(msg, "Task finished") || strings.EqualFold(cmd, "Finished task")
	if !finished {
		return
	}
	status := ""
	if i := strings.Index(msg, "with state "); i >= 0 {
		status = strings.TrimSpace(msg[i+len("with state "):])
	}
	if status == "" {
		switch {
		case result == "0":
			status = "FinishedSuccess"
		case strings.HasSuffix(msg, "Aborted"):
			status = "Aborted"
		default:
			status = "FinishedFail"
		}
	}
	tr := TaskRun{ID: x.rowID(row, at), TaskID: taskID, Task: task, AppID: strings.ToLower(appID), App: app,
		Start: x.starts[key], End: at, Status: status, Result: result, Message: clipText(msg), Node: x.node(row)}
	delete(x.starts, key)
	x.b.Tasks = append(x.b.Tasks, tr)
}

// ParseDuration reads a Session Duration: hh:mm:ss[.fff] (hours may exceed
// 24), d.hh:mm:ss (.NET), or a decimal fraction of a day (Qlik's
// interval number). The format is not published, hence the leniency.
func ParseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if !strings.Contains(s, ":") {
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil || f < 0 || f > 366 {
			return 0, false
		}
		return time.Duration(f * 24 * float64(time.Hour)).Round(time.Millisecond), true
	}
	days := 0
	if d, rest, ok := strings.Cut(s, "."); ok && strings.Count(rest, ":") == 2 && !strings.Contains(d, ":") {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, false
		}
		days, s = n, rest
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.ParseFloat(strings.ReplaceAll(parts[2], ",", "."), 64)
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || m < 0 || m > 59 || sec < 0 || sec >= 61 {
		return 0, false
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec*float64(time.Second))
	return d.Round(time.Millisecond), true
}
