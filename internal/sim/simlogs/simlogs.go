// Package simlogs writes the Qlik Sense log tree of a simulated site
// (internal/sim): the proxy's session audit, the repository's security
// audit with license uses and denials, the engine's session summaries and
// performance counters, the scheduler's task audit and the reload script
// logs, in the formats of shared/reference/qlik-logs.md,
// rolled at 12 hours or the size limit and archived per node, with the
// ground truth the logs were written from. It is for tests and the demo.
//
// The simulator records denials (sim.Denial) but not individual sessions,
// so the generator runs the site forward hour by hour and reads each
// hour's sessions from the state the QRS serves: a user whose allocation's
// lastUsed advanced had a session at that time. The logs therefore agree
// with the QRS (the last session in the logs is the lastUsed the QRS
// reports); a second session of a user within the same hour is not
// visible that way and is not written. Task executions and their script
// logs are read from the site's QRS API once the history is complete.
package simlogs

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/sim"
)

// Options configure Generate.
type Options struct {
	// Out is the folder to write (created; must be empty or absent).
	Out string
	// Users, Days and Seed size and fix the simulated site.
	Users, Days int
	Seed        int64
	// Scenario is a sim preset or YAML file ("" = healthy).
	Scenario string
	// End is the simulated time the logs end (default 2026-01-01 UTC, so
	// the same options give the same tree).
	End time.Time
	// RollSize and RollAge roll the active files (defaults 8 MB and 12 h,
	// Qlik's documented triggers).
	RollSize int64
	RollAge  time.Duration
}

// ActiveDay is the ground truth of one UTC day and type.
type ActiveDay struct {
	Day      time.Time    `json:"day"`
	Type     license.Type `json:"type"`
	Users    int          `json:"users"`
	Sessions int          `json:"sessions"`
}

// DenialDay is the ground truth of one UTC day's denials of one type.
type DenialDay struct {
	Day     time.Time    `json:"day"`
	Type    license.Type `json:"type"`
	Denials int          `json:"denials"`
	Users   int          `json:"users"`
}

// Truth is what the generated logs hold.
type Truth struct {
	Site     string      `json:"site"`
	Node     string      `json:"node"`
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Users    int         `json:"users"`
	Sessions int         `json:"sessions"`
	Active   []ActiveDay `json:"daily_active"`
	Denials  []DenialDay `json:"denials"`
	// TaskRuns are the finished reloads written to the scheduler's audit
	// log (FailedTaskRuns of them not successful); ScriptLogs the script
	// logs written next to them.
	TaskRuns       int   `json:"task_runs"`
	FailedTaskRuns int   `json:"failed_task_runs"`
	ScriptLogs     int   `json:"script_logs"`
	Files          int   `json:"files"`
	Bytes          int64 `json:"bytes"`
}

type generator struct {
	opts    Options
	site    *sim.Site
	host    string // short machine name: file prefix and Hostname column
	nodeDir string // node host name: the archive folder
	zone    *time.Location
	files   int
	bytes   int64

	proxy, security, engine, perf, sched *stream
	pending                              []pendingRow
}

type pendingRow struct {
	at   time.Time
	s    *stream
	id   string
	vals map[string]string
}

// Generate writes the log tree and truth.json into opts.Out and returns the truth.
func Generate(opts Options) (*Truth, error) {
	if opts.Out == "" {
		return nil, errors.New("sim logs: no output folder (pass --out DIR)")
	}
	if opts.Users <= 0 || opts.Days <= 0 {
		return nil, errors.New("sim logs: --users and --days must be positive")
	}
	if opts.End.IsZero() {
		opts.End = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	opts.End = opts.End.UTC().Truncate(time.Hour)
	start := opts.End.AddDate(0, 0, -opts.Days)
	site, err := sim.New(sim.Options{Seed: opts.Seed, Users: opts.Users, HistoryDays: 30, Scenario: opts.Scenario,
		Now: func() time.Time { return start }})
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(site, opts, start)
	if err != nil {
		return nil, err
	}
	if err := w.Advance(opts.End.Sub(start)); err != nil {
		return nil, err
	}
	return w.Close()
}

type dayKey struct {
	day time.Time
	typ license.Type
}

// Writer writes the log tree of a site its caller moves forward: Advance
// runs the site hour by hour and writes what each hour did, so the caller
// can read the site (collect from its QRS) between steps, as the demo does;
// Close adds the scheduler's audit and the script logs and writes
// truth.json. Generate is NewWriter, Advance and Close on a new site.
type Writer struct {
	g      *generator
	truth  *Truth
	active map[dayKey]map[string]int
	users  map[string]bool
	last   map[string]time.Time // allocation id → lastUsed seen
	at     time.Time            // the site's time
	read   time.Time            // sessions and denials are written up to here
}

// NewWriter starts the log tree of site in opts.Out (must be new or empty;
// only Out, RollSize and RollAge of opts are used: the site is given). The
// tree starts at since: when since is before the site's present time, what
// the site still knows of that past is written first, the access denials
// it recorded and the last use of each allocation, which is the only
// session of that time the QRS still shows (so the days before the site's
// present have every denial but not every session).
func NewWriter(site *sim.Site, opts Options, since time.Time) (*Writer, error) {
	if opts.Out == "" {
		return nil, errors.New("sim logs: no output folder (pass --out DIR)")
	}
	if entries, err := os.ReadDir(opts.Out); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("sim logs: %s is not empty; give a new folder so no log is mixed with another site's", opts.Out)
	}
	if opts.RollSize <= 0 {
		opts.RollSize = 8 << 20
	}
	if opts.RollAge <= 0 {
		opts.RollAge = 12 * time.Hour
	}
	now := site.Now()
	since = since.UTC()
	if since.After(now) {
		return nil, fmt.Errorf("sim logs: the logs cannot start at %s, after the site's time %s", since.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	node := site.Hostname()
	host := strings.ToUpper(strings.SplitN(node, ".", 2)[0])
	g := &generator{opts: opts, site: site, host: host, nodeDir: node, zone: time.FixedZone("CET", 3600)}
	g.proxy = &stream{g: g, service: "Proxy", area: "Audit", logType: "AuditActivity", header: activityHeader}
	g.security = &stream{g: g, service: "Repository", area: "Audit", logType: "AuditSecurity", header: securityHeader}
	g.engine = &stream{g: g, service: "Engine", area: "Trace", logType: "Session", header: sessionHeader}
	g.perf = &stream{g: g, service: "Engine", area: "Trace", logType: "Performance", header: perfHeader}
	g.sched = &stream{g: g, service: "Scheduler", area: "Audit", logType: "AuditActivity", header: activityHeader}
	// The site simulates each hour when its clock passes the hour's end, so
	// the events of the hour under way are read with the first step.
	read := now.Truncate(time.Hour)
	if since.After(read) {
		read = since
	}
	w := &Writer{g: g, truth: &Truth{Site: "sim", Node: node, From: since}, active: map[dayKey]map[string]int{},
		users: map[string]bool{}, last: map[string]time.Time{}, at: now, read: read}
	for _, u := range site.GroundTruth().Users {
		if u.AllocationID == "" || !u.LastUsed.Before(read) && u.LastUsed.Before(now) {
			continue // a use in the hour under way is written by the first step
		}
		w.last[u.AllocationID] = u.LastUsed
		if !u.LastUsed.Before(since) && u.LastUsed.Before(read) {
			w.session(u)
		}
	}
	if since.Before(read) {
		for _, d := range site.Denials(since, read) {
			g.denial(d)
		}
		if err := g.flush(read); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// session writes u's session at its lastUsed and counts it in the truth.
func (w *Writer) session(u sim.UserState) {
	typ := typeOf(u.Type)
	user := u.UserDirectory + `\` + u.UserID
	w.g.session(u, user, typ, u.LastUsed)
	k := dayKey{license.Day(u.LastUsed), typ}
	if w.active[k] == nil {
		w.active[k] = map[string]int{}
	}
	w.active[k][user]++
	w.users[user] = true
	w.truth.Sessions++
}

// Advance moves the site forward by d, one hour at a time (the first and
// last steps end on the hour and at the end), and writes the sessions,
// denials and engine counters of each step.
func (w *Writer) Advance(d time.Duration) error {
	g, site := w.g, w.g.site
	to := w.at.Add(d)
	for t := w.at; t.Before(to); {
		next := t.Truncate(time.Hour).Add(time.Hour)
		if next.After(to) {
			next = to
		}
		site.AdvanceTo(next)
		lo := w.read
		if next.Equal(next.Truncate(time.Hour)) {
			w.read = next
		}
		for _, u := range site.GroundTruth().Users {
			if u.AllocationID == "" || u.LastUsed.IsZero() || u.LastUsed.Year() < 2000 {
				continue
			}
			prev, seen := w.last[u.AllocationID]
			w.last[u.AllocationID] = u.LastUsed
			if seen && !u.LastUsed.After(prev) || u.LastUsed.Before(lo) || !u.LastUsed.Before(w.read) {
				continue
			}
			w.session(u)
		}
		for _, d := range site.Denials(lo, w.read) {
			g.denial(d)
		}
		for at := t.Add(-time.Nanosecond).Truncate(5 * time.Minute).Add(5 * time.Minute); at.Before(next); at = at.Add(5 * time.Minute) {
			g.add(at, g.perf, id("perf", at.String()), map[string]string{"Level": "INFO", "Logger": "Performance.Engine",
				"ActiveUsers": "0", "CPULoad": "3", "Message": "Performance counters"})
		}
		if err := g.flush(w.read); err != nil {
			return err
		}
		t = next
	}
	w.at = to
	return nil
}

// Close writes the rows still pending, the scheduler's audit and the script
// logs of the reloads the site ran since the tree started, closes the
// active files (they stay in Log\ as the live .txt) and writes truth.json.
func (w *Writer) Close() (*Truth, error) {
	g, truth := w.g, w.truth
	truth.To = w.at
	if err := g.flush(w.at.Add(24 * time.Hour)); err != nil {
		return nil, err
	}
	// The scheduler's log is its own stream, so its rows can be written
	// once the site's execution history is complete.
	if err := g.tasks(truth.From, w.at, truth); err != nil {
		return nil, fmt.Errorf("sim logs: %w", err)
	}
	if err := g.flush(w.at.Add(24 * time.Hour)); err != nil {
		return nil, err
	}
	for _, s := range []*stream{g.proxy, g.security, g.engine, g.perf, g.sched} {
		if err := s.close(); err != nil {
			return nil, err
		}
	}
	for k, users := range w.active {
		n := 0
		for _, c := range users {
			n += c
		}
		truth.Active = append(truth.Active, ActiveDay{Day: k.day, Type: k.typ, Users: len(users), Sessions: n})
	}
	sort.Slice(truth.Active, func(i, j int) bool {
		a, b := truth.Active[i], truth.Active[j]
		if !a.Day.Equal(b.Day) {
			return a.Day.Before(b.Day)
		}
		return a.Type < b.Type
	})
	truth.Users = len(w.users)
	truth.Denials = denialTruth(g.site.Denials(truth.From, w.read))
	truth.Files, truth.Bytes = g.files, g.bytes
	b, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(g.opts.Out, "truth.json"), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return truth, nil
}

func typeOf(s string) license.Type {
	switch s {
	case "professional":
		return license.Professional
	case "analyzer":
		return license.Analyzer
	case "user":
		return license.UserAccess
	}
	return ""
}

// denialType maps the simulator's denial types to licmon's.
func denialType(s string) license.Type {
	switch s {
	case sim.DeniedProfessional:
		return license.Professional
	case sim.DeniedAnalyzer:
		return license.Analyzer
	case sim.DeniedAnalyzerTime:
		return license.AnalyzerCapacity
	case sim.DeniedUserAccess:
		return license.UserAccess
	}
	return ""
}

func denialTruth(ds []sim.Denial) []DenialDay {
	type key struct {
		day time.Time
		typ license.Type
	}
	count := map[key]int{}
	users := map[key]map[string]bool{}
	for _, d := range ds {
		k := key{license.Day(d.At), denialType(d.Type)}
		count[k]++
		if users[k] == nil {
			users[k] = map[string]bool{}
		}
		users[k][strings.ToLower(d.UserDirectory+`\`+d.UserID)] = true
	}
	var out []DenialDay
	for k, n := range count {
		out = append(out, DenialDay{Day: k.day, Type: k.typ, Denials: n, Users: len(users[k])})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Day.Equal(out[j].Day) {
			return out[i].Day.Before(out[j].Day)
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// id returns a deterministic GUID for a row.
func id(parts ...string) string {
	h := fnv.New128a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	x := fmt.Sprintf("%x", h.Sum(nil))
	return x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-a" + x[17:20] + "-" + x[20:32]
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

var accessTypeIDField = map[license.Type]string{license.Professional: "LicenseProfessionalAccessTypeId",
	license.Analyzer: "LicenseAnalyzerAccessTypeId", license.UserAccess: "LicenseUserAccessTypeId"}

var accessCommand = map[license.Type]string{license.Professional: "License professional access",
	license.Analyzer: "License analyzer access", license.UserAccess: "License user access"}

// session writes one user session: the proxy's Start session, the
// repository's license use (the real "User access … Last used …" message),
// the proxy's Stop session and the engine's session summary when it ends.
func (g *generator) session(u sim.UserState, user string, typ license.Type, at time.Time) {
	h := hash(user + at.String())
	sid := "c0de" + id("session", user, at.String())[4:]
	ip := fmt.Sprintf("10.%d.%d.%d", 16+h%16, (h>>8)%256, 1+(h>>16)%254)
	dur := time.Duration(5+h%85)*time.Minute + time.Duration(h>>20%60)*time.Second
	base := map[string]string{"ProxySessionId": sid, "ProxyPackageId": id("pkg", sid), "RequestSequenceId": "0",
		"UserDirectory": u.UserDirectory, "UserId": u.UserID, "Service": "Proxy", "Origin": "https://" + g.nodeDir, "Result": "0"}
	start := clone(base)
	start["Command"], start["Context"] = "Start session", "/hub/"
	start["Description"] = "Command=Start session;Result=0;ResultText=Success"
	start["Message"] = fmt.Sprintf("Start session for user '%s'. UserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)'", user)
	g.add(at, g.proxy, id("start", sid), start)
	stop := clone(base)
	stop["Command"], stop["Description"] = "Stop session", "Command=Stop session;Result=0;ResultText=Success"
	stop["Message"] = fmt.Sprintf("Stop session for user '%s'", user)
	g.add(at.Add(dur), g.proxy, id("stop", sid), stop)
	cmd := accessCommand[typ]
	use := map[string]string{"ProxySessionId": sid, "ProxyPackageId": base["ProxyPackageId"], "RequestSequenceId": "1",
		"UserDirectory": u.UserDirectory, "UserId": u.UserID, "ObjectId": u.AllocationID, "ObjectName": "Not available",
		"SecurityClass": "License", "ClientHostAddress": ip, "Service": "Repository", "Command": cmd, "Result": "0",
		"Description": "Command=" + cmd + ";Result=0;ResultText=Success", "Checksum": fmt.Sprintf("%016x%016x", h, hash(sid)),
		"Message": fmt.Sprintf("User access, User: '%s', Last used: '%s', %s: '%s', Updated by: '%s', OperationType: 'Update'",
			user, at.UTC().Format("20060102T150405.000+00:00"), accessTypeIDField[typ], u.AllocationID, user)}
	g.add(at.Add(150*time.Millisecond), g.security, id("use", sid), use)
	g.add(at.Add(dur+30*time.Minute), g.engine, id("engine", sid), map[string]string{"Level": "INFO", "Logger": "Session.Engine",
		"ServiceUser": `CORP\qservice`, "ProxySessionId": sid, "ActiveUserDirectory": u.UserDirectory, "ActiveUserId": u.UserID,
		"AppId": id("app", fmt.Sprint(h%40)), "App Title": fmt.Sprintf("Sales %d", h%40), "SessionId": id("engine-session", sid),
		"Session Start": qlogTime(at), "Session Duration": fmtDuration(dur), "CPU Spent (s)": fmt.Sprintf("%.3f", float64(h%9000)/1000),
		"Bytes Received": fmt.Sprint(h % 100000), "Bytes Sent": fmt.Sprint(h % 1000000), "Calls": fmt.Sprint(h % 300),
		"Selections": fmt.Sprint(h % 40), "Authenticated User": user})
}

func qlogTime(t time.Time) string { return t.UTC().Format("20060102T150405.000-0700") }

func fmtDuration(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+4)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// denial writes one denial exactly as the simulator recorded it.
func (g *generator) denial(d sim.Denial) {
	g.add(d.At, g.security, id("denial", d.UserGUID, d.At.String(), d.Type), map[string]string{
		"Description":    fmt.Sprintf("Command=%s;Result=%d;ResultText=%s", d.Command, d.Result, d.ResultText),
		"ProxySessionId": d.SessionID, "ProxyPackageId": id("pkg", d.SessionID), "RequestSequenceId": "0",
		"UserDirectory": d.UserDirectory, "UserId": d.UserID, "ObjectId": "Not available", "ObjectName": "Not available",
		"SecurityClass": "License", "ClientHostAddress": d.ClientHost, "Service": "Repository", "Command": d.Command,
		"Result": fmt.Sprint(d.Result), "Message": d.Message, "Checksum": fmt.Sprintf("%016x", hash(d.SessionID+d.At.String()))})
}

func (g *generator) add(at time.Time, s *stream, rowID string, vals map[string]string) {
	g.pending = append(g.pending, pendingRow{at: at.Truncate(time.Millisecond), s: s, id: rowID, vals: vals})
}

// flush writes the pending rows before `until` in time order.
func (g *generator) flush(until time.Time) error {
	sort.SliceStable(g.pending, func(i, j int) bool { return g.pending[i].at.Before(g.pending[j].at) })
	n := 0
	for _, p := range g.pending {
		if !p.at.Before(until) {
			break
		}
		if err := p.s.write(p.at, p.id, p.vals); err != nil {
			return fmt.Errorf("sim logs: %w", err)
		}
		n++
	}
	g.pending = append(g.pending[:0], g.pending[n:]...)
	return nil
}

// Now is the site's time, up to which Advance has moved it.
func (w *Writer) Now() time.Time { return w.at }
