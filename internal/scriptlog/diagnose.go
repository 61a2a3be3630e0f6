package scriptlog

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"time"
)

// Outcome is how a reload ended according to its script log.
type Outcome string

// Outcomes. A log without "Execution finished." or "Execution Failed" is
// truncated: the reload is still running or the file was cut.
const (
	OutcomeSuccess   Outcome = "success"
	OutcomeFailed    Outcome = "failed"
	OutcomeAborted   Outcome = "aborted"
	OutcomeTruncated Outcome = "truncated"
	// OutcomeUnknown means no line of the input looked like a script log.
	OutcomeUnknown Outcome = "unknown"
)

// DefaultContextLines is the number of lines shown before and after the
// failing lines.
const DefaultContextLines = 5

// ringSize bounds the lines kept for context (and so the context length).
const ringSize = 256

// Options tune Diagnose. The zero value is ready to use.
type Options struct {
	// ContextLines is the number of lines of context before and after the
	// failing lines: 0 means DefaultContextLines, negative means none, at
	// most 64. The whole context is bounded by the 256-line ring.
	ContextLines int
	// MaxLineLength caps the bytes retained per physical line (0 means
	// DefaultMaxLineLength).
	MaxLineLength int
}

// Statement is a script statement rebuilt from its echoed lines.
type Statement struct {
	// ScriptLine is the script line number of its first line.
	ScriptLine int
	// FirstLine is the physical log line of its first line.
	FirstLine int
	// Text is its lines joined with "\n" (capped at 256 lines / 64 KB).
	Text string
	// Truncated is true when Text was capped.
	Truncated bool
}

// Connection is the last LIB CONNECT TO before the failure.
type Connection struct {
	// Name is the data connection name, e.g. monitor_apps_REST_license_user.
	Name string
	// ScriptLine is the script line of the LIB CONNECT TO statement.
	ScriptLine int
	// Connected is true when the engine printed "Connected." after it. It
	// does not prove REST credentials work: the HTTP call happens at SELECT.
	Connected bool
}

// Header holds the key/value block printed at the start of every log.
type Header struct {
	// ServerVersion is "Qlik Sense Server Version".
	ServerVersion string
	// ExecutedBy is the raw "Reload Executed By" value.
	ExecutedBy string
	// UserDirectory and UserID are parsed from ExecutedBy when it has the
	// "UserDirectory=X; UserId=Y" form (INTERNAL\sa_scheduler for tasks).
	UserDirectory, UserID string
	// ProcessID is "Process ID".
	ProcessID string
	// Other holds the remaining keys (at most 64).
	Other map[string]string
}

// Counts are line statistics of the whole log. Lines is the number of
// physical lines; StatementLines+MessageLines+TraceLines+GarbageLines ==
// Lines. TruncatedLines were cut at the maximum line length; ErrorLines are
// the "Error:" messages (also those a script with ErrorMode=0 survived).
type Counts struct {
	Lines, StatementLines, MessageLines, TraceLines, GarbageLines, TruncatedLines, ErrorLines int
}

// Diagnosis is the result of reading one script log.
type Diagnosis struct {
	// Outcome is how the reload ended.
	Outcome Outcome
	// Code is the catalogue code ("ok" on success, "truncated", "not-a-log").
	Code string
	// Title is the catalogue title for Code.
	Title string
	// Severity is the catalogue severity for Code.
	Severity Severity
	// Hint says what to do, with the connection name and file path filled in.
	Hint string
	// Statement is the failing statement (for a truncated log: the statement
	// running when the log ends).
	Statement  Statement
	Connection Connection
	// Error is the full error text; multi-line connector errors are joined
	// with "\n", repeated lines are printed once.
	Error string
	// HTTPStatus is the HTTP status named in Error (0 when none).
	HTTPStatus int
	// File is the path named by a file error (native path when given).
	File string
	// Start and End are the first and last timestamps; HasZone is true when
	// they carry the log's UTC offset (new format).
	Start, End time.Time
	HasZone    bool
	// Duration is End - Start.
	Duration time.Duration
	// Header is the key/value block at the start of the log.
	Header Header
	// Counts are line statistics.
	Counts Counts
	// Context is the failing lines with context before and after.
	Context []Line
}

type ringSlot struct {
	meta rawLine
	buf  []byte
}

type errRecord struct {
	stmtID int
	stmt   Statement
	conn   Connection
	firstN int
	lastN  int
	texts  []string
	size   int
	open   bool // following message lines continue the error
}

func (e *errRecord) addText(t string) {
	t = strings.TrimSpace(t)
	if t == "" || len(e.texts) >= 32 || e.size+len(t) > maxStmtBytes {
		return
	}
	for _, x := range e.texts {
		if x == t {
			return
		}
	}
	e.texts = append(e.texts, t)
	e.size += len(t)
}

type diagnoser struct {
	ctx      int
	ring     []ringSlot
	ringNext int
	ringLen  int

	stmt      stmtState
	lib       Connection
	awaitConn bool
	inHeader  bool
	d         Diagnosis

	sawLine, sawFinished, sawFailed, aborted bool

	runStart  int // physical line of the first message since the last statement line
	rec       *errRecord
	snapshot  bool
	afterLeft int
}

// Diagnose reads a script log from r to the end and diagnoses it. It returns
// an error only when reading fails; input that is not a script log gives
// OutcomeUnknown with code "not-a-log".
func Diagnose(r io.Reader, opts Options) (*Diagnosis, error) {
	g := &diagnoser{ctx: opts.ContextLines, ring: make([]ringSlot, ringSize), inHeader: true}
	if g.ctx == 0 {
		g.ctx = DefaultContextLines
	} else if g.ctx < 0 {
		g.ctx = 0
	}
	g.ctx = min(g.ctx, ringSize/4)
	rd := NewReaderSize(r, opts.MaxLineLength)
	for {
		l, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		g.feed(l)
	}
	g.finish()
	return &g.d, nil
}

func (g *diagnoser) push(l *rawLine) {
	s := &g.ring[g.ringNext]
	s.meta = *l
	s.buf = append(s.buf[:0], l.text...)
	s.meta.text = nil
	g.ringNext = (g.ringNext + 1) % len(g.ring)
	g.ringLen = min(g.ringLen+1, len(g.ring))
}

// window returns the ring lines with physical numbers in [from, to].
func (g *diagnoser) window(from, to int) []Line {
	var out []Line
	for i := g.ringLen; i > 0; i-- {
		s := &g.ring[(g.ringNext-i+len(g.ring))%len(g.ring)]
		if s.meta.n >= from && s.meta.n <= to {
			ln := s.meta.line()
			ln.Text = string(s.buf)
			out = append(out, ln)
		}
	}
	return out
}

var (
	pfxError    = []byte("Error:")
	pfxFailed   = []byte("Execution Failed")
	pfxFinished = []byte("Execution finished.")
	pfxConn     = []byte("Connected.")
	bort        = []byte("bort")
)

func (g *diagnoser) feed(l *rawLine) {
	c := &g.d.Counts
	c.Lines++
	if l.truncated {
		c.TruncatedLines++
	}
	if l.kind == KindGarbage {
		c.GarbageLines++
	} else {
		if !g.sawLine {
			g.sawLine = true
			g.d.Start, g.d.HasZone = l.time, l.hasZone
		}
		g.d.End = l.time
	}
	g.push(l)
	if g.afterLeft > 0 {
		g.afterLeft--
		g.d.Context = append(g.d.Context, g.window(l.n, l.n)...)
	}
	switch l.kind {
	case KindStatement:
		c.StatementLines++
		g.inHeader = false
		g.runStart = 0
		if g.rec != nil {
			g.rec.open = false
		}
		if g.stmt.add(l) && g.stmt.isLibConn {
			name := g.lib.Name
			if nb := connNameBytes(l.text); string(nb) != name {
				name = string(nb)
			}
			g.lib = Connection{Name: name, ScriptLine: l.scriptLine}
			g.awaitConn = true
		} else if g.stmt.firstN == l.n {
			g.awaitConn = false
		}
	case KindTrace:
		c.TraceLines++
		g.stmt.open = false
	case KindMessage:
		c.MessageLines++
		g.stmt.open = false
		if g.runStart == 0 {
			g.runStart = l.n
		}
		g.message(l)
	}
}

func (g *diagnoser) message(l *rawLine) {
	t := l.text
	isErr := bytes.HasPrefix(t, pfxError)
	switch {
	case isErr:
		g.d.Counts.ErrorLines++
		g.errorLine(l, string(bytes.TrimSpace(t[len(pfxError):])))
	case bytes.HasPrefix(t, pfxFailed):
		if !g.sawFailed {
			g.sawFailed = true
			g.snap(l.n)
		}
	case bytes.HasPrefix(t, pfxFinished):
		g.sawFinished = true
	case bytes.HasPrefix(t, pfxConn):
		if g.awaitConn {
			g.lib.Connected = true
		}
	case g.inHeader:
		g.headerLine(t)
		return
	}
	if bytes.Contains(t, bort) && anyMatch(ruleByCode("aborted").err, string(t)) {
		g.aborted = true
		if !isErr {
			g.errorLine(l, string(bytes.TrimSpace(t)))
		}
		if !g.snapshot {
			g.snap(l.n)
		}
		return
	}
	if !isErr && g.rec != nil && g.rec.open && !g.sawFailed && len(bytes.TrimSpace(t)) > 0 &&
		!bytes.HasPrefix(t, pfxFinished) && !bytes.HasPrefix(t, pfxFailed) {
		g.rec.addText(string(t))
		g.rec.lastN = l.n
	}
}

// errorLine records an "Error:" line. Errors of one statement are gathered
// in one record; the connector's raw multi-line print just before it (e.g.
// "HTTP protocol error 401 (Unauthorized):" / "" / "Requested resource …")
// is joined in front of it.
func (g *diagnoser) errorLine(l *rawLine, text string) {
	if g.rec == nil || g.rec.stmtID != g.stmt.id {
		g.rec = &errRecord{
			stmtID: g.stmt.id,
			stmt: Statement{ScriptLine: g.stmt.scriptLine, FirstLine: g.stmt.firstN,
				Text: string(g.stmt.buf), Truncated: g.stmt.truncated},
			conn:   g.lib,
			firstN: l.n,
		}
		if g.runStart > 0 && g.runStart < l.n {
			raw := g.window(g.runStart, l.n-1)
			start := -1
			for i, x := range raw {
				if x.Kind == KindMessage && strings.TrimSpace(x.Text) == text {
					start = i
					break
				}
			}
			if start >= 0 {
				for _, x := range raw[start:] {
					if x.Kind == KindMessage && !strings.HasPrefix(x.Text, "Error:") {
						g.rec.addText(x.Text)
					}
				}
			}
		}
	}
	g.rec.conn = g.lib
	g.rec.addText(text)
	g.rec.lastN = l.n
	g.rec.open = true
}

// snap captures the context around the failure at physical line n.
func (g *diagnoser) snap(n int) {
	g.snapshot = true
	from := n
	if g.rec != nil {
		from = g.rec.stmt.FirstLine
		if from == 0 {
			from = g.rec.firstN
		}
	} else if g.stmt.firstN > 0 {
		from = g.stmt.firstN
	}
	g.d.Context = g.window(from-g.ctx, n)
	g.afterLeft = g.ctx
}

func (g *diagnoser) headerLine(t []byte) {
	t = bytes.TrimRight(t, " \t")
	i := bytes.Index(t, []byte("  "))
	if i <= 0 {
		return // "Execution started." and other single texts
	}
	key := string(bytes.TrimSuffix(bytes.TrimSpace(t[:i]), []byte(":")))
	val := string(bytes.TrimSpace(t[i:]))
	h := &g.d.Header
	switch key {
	case "Qlik Sense Server Version":
		h.ServerVersion = val
	case "Reload Executed By":
		h.ExecutedBy = val
		for part := range strings.SplitSeq(val, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			switch {
			case !ok:
			case strings.EqualFold(k, "UserDirectory"):
				h.UserDirectory = v
			case strings.EqualFold(k, "UserId"):
				h.UserID = v
			}
		}
	case "Process ID":
		h.ProcessID = val
	default:
		if h.Other == nil {
			h.Other = make(map[string]string)
		}
		if len(h.Other) < 64 {
			h.Other[key] = val
		}
	}
}

// connName extracts the connection name from LIB CONNECT TO 'name' (also
// "name" and [name]).
func connName(text []byte) string { return string(connNameBytes(text)) }

func connNameBytes(text []byte) []byte {
	t := bytes.TrimSpace(text)
	i := indexFold(t, " to")
	if i < 0 {
		return nil
	}
	t = bytes.TrimSpace(t[i+3:])
	t = bytes.TrimRight(t, "; ")
	if len(t) >= 2 {
		switch t[0] {
		case '\'', '"', '[':
			closeCh := t[0]
			if closeCh == '[' {
				closeCh = ']'
			}
			if j := bytes.IndexByte(t[1:], closeCh); j >= 0 {
				return t[1 : j+1]
			}
		}
	}
	return t
}

// indexFold is bytes.Index ignoring ASCII case for a lower-case needle,
// without allocating.
func indexFold(b []byte, w string) int {
	for i := 0; i+len(w) <= len(b); i++ {
		j := 0
		for j < len(w) && b[i+j]|0x20 == w[j]|0x20 {
			j++
		}
		if j == len(w) {
			return i
		}
	}
	return -1
}

func (g *diagnoser) finish() {
	d := &g.d
	if g.sawLine {
		d.Duration = d.End.Sub(d.Start)
	}
	switch {
	case !g.sawLine:
		d.Outcome = OutcomeUnknown
	case g.aborted:
		d.Outcome = OutcomeAborted
	case g.sawFailed:
		d.Outcome = OutcomeFailed
	case g.sawFinished:
		d.Outcome = OutcomeSuccess
	default:
		d.Outcome = OutcomeTruncated
	}
	var rule *compiledRule
	switch d.Outcome {
	case OutcomeUnknown:
		rule = ruleByCode("not-a-log")
	case OutcomeSuccess:
		rule = ruleByCode("ok")
	default:
		if g.rec == nil {
			g.scanTail()
		}
		if g.rec != nil {
			d.Statement, d.Connection = g.rec.stmt, g.rec.conn
			d.Error = strings.Join(g.rec.texts, "\n")
		} else if g.stmt.firstN > 0 {
			d.Statement = Statement{ScriptLine: g.stmt.scriptLine, FirstLine: g.stmt.firstN,
				Text: string(g.stmt.buf), Truncated: g.stmt.truncated}
			d.Connection = g.lib
		}
		switch {
		case d.Error != "":
			rule = classify(d.Error, d.Statement.Text)
		case d.Outcome == OutcomeAborted:
			rule = ruleByCode("aborted")
		case d.Outcome == OutcomeTruncated:
			rule = ruleByCode("truncated")
		default:
			rule = classify("", d.Statement.Text)
		}
		if d.Outcome == OutcomeAborted {
			rule = ruleByCode("aborted")
		}
		if !g.snapshot {
			switch {
			case g.rec != nil:
				g.d.Context = g.window(max(g.rec.stmt.FirstLine, 1)-g.ctx, g.rec.lastN+g.ctx)
			default:
				last := g.d.Counts.Lines
				g.d.Context = g.window(last-2*g.ctx, last)
			}
		}
	}
	d.HTTPStatus = httpStatus(d.Error)
	d.File = fileOf(d.Error)
	d.Code, d.Title, d.Severity = rule.Code, rule.Title, rule.Severity
	d.Hint = fillHint(rule.Hint, d)
}

// scanTail looks for a failure text that the engine printed without an
// "Error:" prefix (out of memory, abort) among the messages of the last
// statement still in the ring.
func (g *diagnoser) scanTail() {
	from := max(g.stmt.firstN, 1)
	var texts []string
	lastN := 0
	for _, x := range g.window(from, g.d.Counts.Lines) {
		if x.Kind != KindMessage || strings.HasPrefix(x.Text, "Execution ") {
			continue
		}
		if r := classify(x.Text, ""); r.Code != "unknown" && r.Code != "connection-missing" {
			texts = append(texts, strings.TrimSpace(x.Text))
			lastN = x.N
		}
	}
	if len(texts) == 0 {
		return
	}
	g.rec = &errRecord{stmt: Statement{ScriptLine: g.stmt.scriptLine, FirstLine: g.stmt.firstN,
		Text: string(g.stmt.buf), Truncated: g.stmt.truncated}, conn: g.lib, firstN: lastN, lastN: lastN}
	for _, t := range texts {
		g.rec.addText(t)
	}
}
