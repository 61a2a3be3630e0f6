package qlog

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
)

// Session is the start of one user session: a proxy "Start session" row,
// or an engine session summary (Session_Engine, one row per engine session
// when it ends, with the time it started). A proxy session opens one or
// more engine sessions, so the two are counted apart (Engine) and a reader
// of both uses the engine's only where the proxy's are missing.
type Session struct {
	User   string    // DIR\user as logged
	At     time.Time // start
	Engine bool
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
	At   time.Time
	User string
	// Type is the access type that had no free seat; "" when the message
	// does not say (then the denial is not counted as unmet demand).
	Type license.Type
	// SessionLimit marks the five-parallel-sessions denial of a user who
	// holds a seat.
	SessionLimit bool
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
// so memory stays flat however large the file, and at the end of the file.
type Batch struct {
	Sessions []Session
	Uses     []Use
	Denials  []Denial
	Commands []LicenseCommand
	Tasks    []TaskRun
	// Rows is the number of rows read since the previous batch; End is the
	// Reader's Offset after them and Tail its Tail (valid until emit
	// returns): a later read of the file can Resume there.
	Rows int
	End  int64
	Tail []byte
}

// Len is the number of events in the batch.
func (b *Batch) Len() int {
	return len(b.Sessions) + len(b.Uses) + len(b.Denials) + len(b.Commands) + len(b.Tasks)
}

func (b *Batch) reset() {
	b.Sessions, b.Uses, b.Denials, b.Commands, b.Tasks = b.Sessions[:0], b.Uses[:0], b.Denials[:0], b.Commands[:0], b.Tasks[:0]
	b.Rows = 0
}

// BatchSize is the number of events per Batch.
const BatchSize = 8192

// maxMessage caps stored message texts.
const maxMessage = 500

// Options tune ExtractFrom.
type Options struct {
	// From and Tail resume a file read before (Reader.Resume): only the
	// rows after byte offset From are read.
	From int64
	Tail []byte
	// Names interns user names across the files a caller reads (nil = one
	// table for this file).
	Names *Names
}

// Extract reads the service log r, whose file name says name, and hands its
// events to emit in batches (the batch is reused after emit returns; the
// last one, possibly empty, ends the file). It returns the reader's
// statistics; the error is ErrNotServiceLog, ErrResumeMismatch, a read
// error, or emit's error. Files of KindOther are read through (their rows
// are counted) without extracting anything.
func Extract(name FileName, r io.Reader, emit func(*Batch) error) (Stats, error) {
	return ExtractFrom(name, r, Options{}, emit)
}

// ExtractFrom is Extract with options.
func ExtractFrom(name FileName, r io.Reader, opts Options, emit func(*Batch) error) (Stats, error) {
	if opts.Names == nil {
		opts.Names = NewNames()
	}
	x := extractor{rd: NewReader(r), name: name, emit: emit, starts: map[string]time.Time{}, names: opts.Names}
	x.rd.Resume(opts.From, opts.Tail)
	x.rd.countOnly = !name.Kind.extracted()
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

// extracted reports whether Extract takes events from files of kind k.
func (k Kind) extracted() bool {
	switch k {
	case KindProxyActivity, KindSecurity, KindEngineSession, KindSchedulerActivity:
		return true
	}
	return false
}

// Names interns user names: a site has thousands of users and millions of
// rows naming them, so each name is one string, not one per row. The table
// is bounded (cleared when full), so memory stays flat.
type Names struct {
	m   map[string]string
	buf []byte
}

// NewNames returns an empty table.
func NewNames() *Names { return &Names{m: map[string]string{}} }

const maxNames = 1 << 16

func (n *Names) intern(b []byte) string {
	if s, ok := n.m[string(b)]; ok {
		return s
	}
	if len(n.m) >= maxNames {
		clear(n.m)
	}
	s := string(b)
	n.m[s] = s
	return s
}

type extractor struct {
	rd      *Reader
	name    FileName
	emit    func(*Batch) error
	b       Batch
	starts  map[string]time.Time // scheduler: task key → triggered at
	badTime int
	names   *Names
	low     []byte // the lower-cased message of the current row

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
		x.b.Rows++
		if first {
			x.cols()
			first = false
		}
		if !x.name.Kind.extracted() {
			continue
		}
		at, ok := parseTime(row.Bytes(x.cTime))
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
			if err := x.flush(); err != nil {
				return err
			}
		}
	}
	return x.flush()
}

func (x *extractor) flush() error {
	x.b.End, x.b.Tail = x.rd.Offset(), x.rd.Tail()
	err := x.emit(&x.b)
	x.b.reset()
	return err
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

// raw returns the value of column col as bytes without copying when it
// needs no decoding (ASCII, so no escape and no Latin-1), else the decoded
// String (a copy).
func raw(row *Row, col int) []byte {
	b := row.Bytes(col)
	for _, c := range b {
		if c >= 0x80 {
			return []byte(row.String(col))
		}
	}
	return b
}

// commandBytes is command without copies: the Command and Result columns,
// or the Description's "Command=…;Result=…".
func commandBytes(row *Row, cCommand, cResult, cDesc int) (cmd, result []byte) {
	cmd, result = raw(row, cCommand), raw(row, cResult)
	if len(cmd) == 0 || len(result) == 0 {
		desc := raw(row, cDesc)
		for range 2 {
			part, rest, _ := bytes.Cut(desc, []byte{';'})
			k, v, _ := bytes.Cut(part, []byte{'='})
			k = bytes.TrimSpace(k)
			switch {
			case len(cmd) == 0 && bytes.EqualFold(k, []byte("command")):
				cmd = v
			case len(result) == 0 && bytes.EqualFold(k, []byte("result")):
				result = v
			}
			desc = rest
		}
	}
	return cmd, result
}

var notAvailable = []byte("Not available")

// user interns DIR\user ("" when the id is missing).
func (x *extractor) user(dir, id []byte) string {
	if len(id) == 0 || bytes.EqualFold(id, notAvailable) {
		return ""
	}
	if len(dir) == 0 || bytes.EqualFold(dir, notAvailable) {
		return x.names.intern(id)
	}
	n := x.names
	n.buf = append(append(append(n.buf[:0], dir...), '\\'), id...)
	return n.intern(n.buf)
}

// internal reports service accounts (INTERNAL\sa_*), which use no license.
func internal(u string) bool {
	return len(u) > 9 && strings.EqualFold(u[:9], `INTERNAL\`)
}

func validSession(id []byte) bool { return len(id) > 1 }

func (x *extractor) proxy(row *Row, at time.Time) {
	cmd, _ := commandBytes(row, x.cCommand, x.cResult, x.cDesc)
	// Stop session rows add nothing: the session was counted at its start.
	if !bytes.EqualFold(cmd, []byte("Start session")) || !validSession(row.Bytes(x.cProxySession)) {
		return
	}
	u := x.user(raw(row, x.cUserDir), raw(row, x.cUserID))
	if u == "" || internal(u) {
		return
	}
	x.b.Sessions = append(x.b.Sessions, Session{User: u, At: at})
}

func (x *extractor) engine(row *Row, at time.Time) {
	if !validSession(row.Bytes(x.cProxySession)) {
		return // reload and other internal engine sessions
	}
	u := x.user(raw(row, x.cActiveDir), raw(row, x.cActiveID))
	if u == "" || internal(u) {
		return
	}
	s := Session{User: u, At: at, Engine: true}
	if st, ok := parseTime(row.Bytes(x.cSessionStart)); ok {
		s.At = st
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

var (
	bLicense = []byte("license")
	bAccess  = []byte("access")
	bDenied  = []byte("denied")
	b403     = []byte("403")
)

func (x *extractor) security(row *Row, at time.Time) {
	cmd, result := commandBytes(row, x.cCommand, x.cResult, x.cDesc)
	msg := raw(row, x.cMessage)
	x.low = asciiLower(x.low[:0], msg)
	lm, isLicense := parseLicenseMessage(msg, x.low)
	if !isLicense {
		lowCmd := asciiLower(nil, cmd)
		if !bytes.Contains(lowCmd, bLicense) && !bytes.Contains(lowCmd, bAccess) {
			return
		}
	}
	u := ""
	if len(lm.user) > 0 {
		u = x.names.intern(lm.user)
	} else {
		u = x.user(raw(row, x.cUserDir), raw(row, x.cUserID))
	}
	denied := lm.denied() || (bytes.Equal(result, b403) && bytes.Contains(x.low, bDenied))
	if denied {
		x.b.Denials = append(x.b.Denials, Denial{At: at, User: u, Type: lm.typ, SessionLimit: lm.sessionLimit})
		return
	}
	if lm.typ != "" && u != "" && !internal(u) && !bytes.EqualFold(lm.operation, []byte("Timedout")) {
		useAt := at
		if t, ok := parseTime(lm.lastUsed); ok {
			useAt = t
		}
		x.b.Uses = append(x.b.Uses, Use{At: useAt, User: u, Type: lm.typ})
		return
	}
	// Neither a denial nor a use naming the user's type: an allocation
	// change, maintenance, a use without a type, a released usage.
	c, r := x.command(row)
	msgText := row.String(x.cMessage)
	x.b.Commands = append(x.b.Commands, LicenseCommand{ID: x.rowID(row, at), At: at, Command: c, Result: r, User: u,
		Message: clipText(msgText), Node: x.node(row)})
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
