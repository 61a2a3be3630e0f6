package logimport

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/qlog"
	"github.com/licmon/licmon/internal/scriptlog"
	"github.com/licmon/licmon/internal/store"
)

// Options tune Import.
type Options struct {
	// Site is the site the logs belong to (required).
	Site string
	// Workers is the number of files read at once (0 = GOMAXPROCS).
	Workers int
	// Now is the clock for the import records (nil = time.Now).
	Now func() time.Time
	// MaxWarnings bounds Result.Warnings (0 = 200); the rest are counted.
	MaxWarnings int
	// BatchRows is the number of rows saved per transaction (0 =
	// 50000); memory is bounded by two such batches, whatever the input.
	BatchRows int
	// WriteLock, when set, is held around every write to the store, so a
	// daemon can keep its other writers (collections, check results) from
	// waiting past SQLite's busy timeout behind a long import.
	WriteLock sync.Locker
}

// Warning is an oddity met in one file.
type Warning struct {
	File string
	Text string
}

func (w Warning) String() string { return w.File + ": " + w.Text }

// Result says what an import did.
type Result struct {
	// Files is the number of log files found; Skipped were imported before
	// (same size and checksum); Read were imported now (read, or found to
	// be a shorter copy of a file read: an active .txt and its rolled .log
	// are read once); NotLogs had a log extension but no service-log or
	// script-log name, or no header.
	Files, Skipped, Read, NotLogs int
	// Bytes is the size of the files read.
	Bytes int64
	// Rows is the number of service-log rows read (each copy's rows once).
	Rows                                                 int64
	Sessions, Uses, Denials, Commands, TaskRuns, Reloads int64
	// From and To are the first and last UTC days the import touched.
	From, To        time.Time
	Warnings        []Warning
	DroppedWarnings int
	Duration        time.Duration
}

// flushRows is the number of rows saved per transaction: large enough to
// amortise the commit, small enough to keep memory flat.
const flushRows = 50000

// Import reads the logs under paths into st. It fails only when the store
// fails, the context ends or a path does not exist; bad files give warnings.
func Import(ctx context.Context, st store.LogStore, paths []string, opts Options) (*Result, error) {
	if opts.Site == "" {
		return nil, errors.New("logs import: no site (pass --site NAME or configure one site)")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = flushRows
	}
	if opts.MaxWarnings <= 0 {
		opts.MaxWarnings = 200
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	res := &Result{}
	var mu sync.Mutex
	warn := func(file, text string) {
		mu.Lock()
		defer mu.Unlock()
		if len(res.Warnings) >= opts.MaxWarnings {
			res.DroppedWarnings++
			return
		}
		res.Warnings = append(res.Warnings, Warning{File: file, Text: text})
	}

	var items []item
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for _, p := range paths {
		if err := collect(p, warn, func(it item) { items = append(items, it) }, func(c io.Closer) { closers = append(closers, c) }); err != nil {
			return nil, err
		}
	}
	res.Files = len(items)
	known, err := st.LogFiles(ctx, opts.Site)
	if err != nil {
		return nil, err
	}
	done := make(map[string]store.LogFile, len(known))
	for _, f := range known {
		done[f.Key()] = f
	}
	streams, err := st.LogStreams(ctx, opts.Site)
	if err != nil {
		return nil, err
	}
	at := make(map[string]store.LogStream, len(streams))
	for _, s := range streams {
		at[s.Ident] = s
	}
	now := opts.Now().UTC()
	jobs, settled := plan(ctx, items, done, at, workers, warn, now, res)
	if ctx.Err() != nil {
		return res, fmt.Errorf("logs import: %w", ctx.Err())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobc := make(chan job)
	out := make(chan *part, workers*2)
	var wg sync.WaitGroup
	var stats sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One buffer and one table of user names per worker for all its
			// files.
			w := &worker{now: now, ctx: ctx, out: out, warn: warn, br: bufio.NewReaderSize(nil, qlog.ReadBufferSize), names: qlog.NewNames()}
			for j := range jobc {
				r := w.read(j)
				stats.Lock()
				res.Read += r.read
				res.NotLogs += r.notLog
				res.Bytes += r.bytes
				res.Rows += r.rows
				stats.Unlock()
			}
		}()
	}
	go func() {
		defer close(jobc)
		if len(settled) > 0 {
			// Files already in the store under a copy read before: recorded
			// with the first batch.
			select {
			case out <- &part{files: settled}:
			case <-ctx.Done():
				return
			}
		}
		for _, j := range jobs {
			select {
			case jobc <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	wr := writer{st: st, site: opts.Site, res: res, lock: opts.WriteLock, rows: opts.BatchRows}
	var werr error
	for p := range out {
		if werr != nil {
			continue // drain so the workers end
		}
		if werr = wr.add(ctx, p); werr != nil {
			cancel()
		}
	}
	if werr == nil {
		werr = wr.flush(ctx)
	}
	if err := wr.wait(); werr == nil {
		werr = err
	}
	if werr == nil && ctx.Err() != nil {
		werr = ctx.Err()
	}
	if werr != nil {
		return res, fmt.Errorf("logs import: %w (what was saved stays; run the import again to resume)", werr)
	}
	// The daily figures of every day a batch changed, this import's and
	// those an import stopped before its refresh left pending.
	from, to, err := st.LogPendingDays(ctx, opts.Site)
	if err != nil && !errors.Is(err, store.ErrUnknownSite) {
		return res, fmt.Errorf("logs import: %w (run the import again to compute the daily figures)", err)
	}
	if !from.IsZero() {
		// One pass: the figures of a day are a few rows per type, so the
		// refresh's memory does not grow with the range.
		wr.lockStore()
		err := st.RefreshLogDays(ctx, opts.Site, from, to)
		wr.unlockStore()
		if err != nil {
			return res, fmt.Errorf("logs import: %w (run the import again to compute the daily figures)", err)
		}
	}
	if wr.touched {
		res.From, res.To = dayTime(wr.first), dayTime(wr.last)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// job is one file to read: a script log, a service log without rows yet,
// or the longest copy of a stream, read from where the stream stood, with
// the records of its shorter copies (saved when it is read).
type job struct {
	it      planned
	from    int64
	tail    []byte
	covered []store.LogFile
}

// planned is what the plan found out about one file.
type planned struct {
	item
	sum     string
	name    qlog.FileName
	service bool
	script  *qlog.ScriptLogName
	ident   string
}

func (p planned) record(now time.Time) store.LogFile {
	rec := store.LogFile{Path: p.key, Size: p.size, Checksum: p.sum, ImportedAt: now, Ident: p.ident}
	if p.service {
		rec.Kind, rec.Node = p.name.Kind.String(), p.name.Host
	} else {
		rec.Kind = "script log"
	}
	return rec
}

// plan sorts the files: those recorded with the same size and checksum are
// skipped; service logs are grouped by identity (qlog.Identity), and only
// the longest copy of each stream is read, from where the stream stood;
// copies no longer than that are settled (recorded without reading).
// Checksums and identities are read by workers goroutines.
func plan(ctx context.Context, items []item, done map[string]store.LogFile, at map[string]store.LogStream, workers int,
	warn func(file, text string), now time.Time, res *Result) (jobs []job, settled []store.LogFile) {
	ps := make([]*planned, len(items))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= len(items) {
					return
				}
				p, skipped, notLog := planOne(items[k], done, warn)
				mu.Lock()
				if skipped {
					res.Skipped++
				}
				if notLog {
					res.NotLogs++
				}
				mu.Unlock()
				ps[k] = p
			}
		}()
	}
	wg.Wait()
	legacy := legacyActive(done)
	groups := map[string][]*planned{}
	var order []string
	for _, p := range ps {
		switch {
		case p == nil:
		case p.ident == "":
			jobs = append(jobs, job{it: *p})
		default:
			if groups[p.ident] == nil {
				order = append(order, p.ident)
			}
			groups[p.ident] = append(groups[p.ident], p)
		}
	}
	for _, id := range order {
		g := groups[id]
		// The longest copy holds every row of the others; of two as long,
		// the rolled .log (it no longer changes).
		sort.SliceStable(g, func(i, j int) bool {
			if g[i].size != g[j].size {
				return g[i].size > g[j].size
			}
			return g[i].name.Rolled && !g[j].name.Rolled
		})
		s, seen := at[id]
		if !seen {
			s.Consumed = legacyOffset(g[0], done, legacy)
		}
		if g[0].size <= s.Consumed && seen {
			for _, p := range g {
				settled = append(settled, p.record(now))
			}
			res.Read += len(g)
			continue
		}
		j := job{it: *g[0], from: s.Consumed}
		if seen {
			j.tail, _ = hex.DecodeString(s.Tail)
		}
		for _, p := range g[1:] {
			j.covered = append(j.covered, p.record(now))
		}
		jobs = append(jobs, j)
	}
	// Rolled files in the order they were closed, so the files of the same
	// days (the proxy's, the security audit's, the engine's) are read
	// together and their rows merge into one row per user and day before
	// they are saved; the active files and those without a time last,
	// largest first.
	sort.SliceStable(jobs, func(i, j int) bool {
		a, b := jobs[i].it.name.Closed, jobs[j].it.name.Closed
		if a.IsZero() != b.IsZero() {
			return !a.IsZero()
		}
		if !a.Equal(b) {
			return a.Before(b)
		}
		return jobs[i].it.size > jobs[j].it.size
	})
	return jobs, settled
}

// legacyActive indexes the records of active .txt files imported before
// streams existed (schema 6, whose rows were deduplicated by their Id) by
// host, log type and service.
func legacyActive(done map[string]store.LogFile) map[string][]store.LogFile {
	out := map[string][]store.LogFile{}
	for _, f := range done {
		if f.Ident != "" || f.Rows == 0 || f.Kind == "not a log" || f.Kind == "script log" {
			continue
		}
		if n, ok := qlog.ParseFileName(path.Base(f.Path)); ok && !n.Rolled {
			k := strings.ToLower(n.Host + "_" + n.LogType + "_" + n.Service)
			out[k] = append(out[k], f)
		}
	}
	return out
}

// legacyOffset is where a stream no import has recorded starts to hold
// rows not counted yet: 0, or the size of an active .txt imported before
// streams existed (schema 6) that p continues, the same file grown or the
// .log it was rolled to (the checksum p had at that size is the one
// recorded then). Its rows up to there were counted by that import.
func legacyOffset(p *planned, done map[string]store.LogFile, legacy map[string][]store.LogFile) int64 {
	// Rows > 0: a file recorded with no row yet (its first row
	// incomplete) has no stream either, and is read from the start.
	if prev, ok := done[p.key]; ok && prev.Ident == "" && prev.Rows > 0 && prev.Size < p.size && prev.Kind != "not a log" {
		return prev.Size // the same path, grown
	}
	if p.sumAt == nil {
		return 0
	}
	var best int64
	for _, f := range legacy[strings.ToLower(p.name.Host+"_"+p.name.LogType+"_"+p.name.Service)] {
		if f.Size <= best || f.Size > p.size || f.Path == p.key {
			continue
		}
		if sum, err := p.sumAt(f.Size); err == nil && sum == f.Checksum {
			best = f.Size
		}
	}
	return best
}

// planOne reads what plan needs of one file: its name, its checksum when
// it was recorded before, its identity when it is a service log to read.
func planOne(it item, done map[string]store.LogFile, warn func(file, text string)) (p *planned, skipped, notLog bool) {
	name, isService := qlog.ParseFileName(it.base)
	script, isScript := qlog.ParseScriptLogName(it.base)
	if !isService && !isScript {
		return nil, false, true
	}
	sum, err := it.sum()
	if err != nil {
		warn(it.key, "cannot read: "+err.Error())
		return nil, false, false
	}
	if prev, ok := done[it.key]; ok && prev.Size == it.size && prev.Checksum == sum {
		return nil, true, false
	}
	p = &planned{item: it, sum: sum, name: name, service: isService}
	if !isService {
		p.script = &script
		return p, false, false
	}
	f, err := it.open()
	if err != nil {
		warn(it.key, "cannot open: "+err.Error())
		return nil, false, false
	}
	defer f.Close()
	id, ok, err := qlog.Identity(f)
	if err != nil {
		warn(it.key, "cannot read: "+err.Error())
		return nil, false, false
	}
	if ok {
		p.ident = strings.ToLower(name.Host+"_"+name.LogType+"_"+name.Service) + ":" + id
	}
	return p, false, false
}

// part is what a worker hands the writer: the events of a stretch of one
// stream (from, end: offsets; rows read), the diagnosis of a script log,
// the records of files done.
type part struct {
	ident     string
	from, end int64
	tail      string
	rows      int64
	sessions  []qlog.Session
	uses      []qlog.Use
	denials   []qlog.Denial
	commands  []qlog.LicenseCommand
	tasks     []qlog.TaskRun
	reloads   []store.LogReload
	files     []store.LogFile
}

// writer is the single goroutine that saves: SQLite has one writer anyway,
// and batching many files' events into one transaction is what makes the
// import fast. It merges the events into per-user-day aggregates before
// they are saved.
type writer struct {
	st      store.LogStore
	site    string
	rows    int // rows per saved batch
	res     *Result
	pending store.LogBatch
	// first and last are the days the import touched (Unix days; valid
	// when touched).
	first, last int64
	touched     bool
	userDay     map[userDayKey]int
	denial      map[denialKey]int
	stream      map[string]int
	lock        sync.Locker
	// saving reports the end of the save running in the background;
	// spareBack is its batch, handed back as spare (capacity kept) by wait.
	saving           chan error
	spare, spareBack store.LogBatch
}

type userDayKey struct {
	day  int64
	user string
}

type denialKey struct {
	day          int64
	typ          license.Type
	user         string
	sessionLimit bool
}

func (w *writer) lockStore() {
	if w.lock != nil {
		w.lock.Lock()
	}
}

func (w *writer) unlockStore() {
	if w.lock != nil {
		w.lock.Unlock()
	}
}

// day returns the UTC day of t as Unix days, noting it in the range the
// import touched.
func (w *writer) day(t time.Time) int64 {
	d := t.Unix()
	if d < 0 {
		d -= 86399
	}
	d /= 86400
	if !w.touched {
		w.first, w.last, w.touched = d, d, true
	}
	w.first, w.last = min(w.first, d), max(w.last, d)
	return d
}

func dayTime(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

func (w *writer) add(ctx context.Context, b *part) error {
	p := &w.pending
	if w.userDay == nil {
		w.userDay, w.denial, w.stream = map[userDayKey]int{}, map[denialKey]int{}, map[string]int{}
	}
	w.res.Sessions += int64(len(b.sessions))
	w.res.Uses += int64(len(b.uses))
	w.res.Denials += int64(len(b.denials))
	w.res.Commands += int64(len(b.commands))
	w.res.TaskRuns += int64(len(b.tasks))
	w.res.Reloads += int64(len(b.reloads))
	for _, s := range b.sessions {
		k := userDayKey{w.day(s.At), s.User}
		i, ok := w.userDay[k]
		if !ok {
			i = len(p.UserDays)
			w.userDay[k] = i
			p.UserDays = append(p.UserDays, store.LogUserDay{Day: dayTime(k.day), User: s.User})
		}
		if s.Engine {
			p.UserDays[i].EngineSessions++
		} else {
			p.UserDays[i].Sessions++
		}
	}
	for _, u := range b.uses {
		k := userDayKey{w.day(u.At), u.User}
		i, ok := w.userDay[k]
		if !ok {
			i = len(p.UserDays)
			w.userDay[k] = i
			p.UserDays = append(p.UserDays, store.LogUserDay{Day: dayTime(k.day), User: u.User})
		}
		if x := &p.UserDays[i]; x.Type == "" || !u.At.Before(x.TypeAt) {
			x.Type, x.TypeAt = u.Type, u.At // the day's latest use names the type
		}
	}
	for _, d := range b.denials {
		k := denialKey{w.day(d.At), d.Type, d.User, d.SessionLimit}
		i, ok := w.denial[k]
		if !ok {
			i = len(p.DenialDays)
			w.denial[k] = i
			p.DenialDays = append(p.DenialDays, store.LogDenialDay{Day: dayTime(k.day), Type: d.Type, User: d.User, SessionLimit: d.SessionLimit})
		}
		p.DenialDays[i].Denials++
	}
	for _, c := range b.commands {
		p.Commands = append(p.Commands, store.LogCommand{ID: c.ID, At: c.At, Command: c.Command, Result: c.Result, User: c.User, Message: c.Message, Node: c.Node})
	}
	for _, t := range b.tasks {
		w.day(t.End)
		p.Tasks = append(p.Tasks, store.LogTaskRun{ID: t.ID, TaskID: t.TaskID, Task: t.Task, AppID: t.AppID, App: t.App, Start: t.Start, End: t.End,
			Status: t.Status, Result: t.Result, Message: t.Message, Node: t.Node})
	}
	p.Reloads = append(p.Reloads, b.reloads...)
	if b.ident != "" && b.end > b.from {
		if i, ok := w.stream[b.ident]; ok {
			// The next stretch of a stream this batch holds: its parts come
			// in order from the one worker reading it.
			s := &p.Streams[i]
			s.Consumed, s.Tail, s.Rows = b.end, b.tail, s.Rows+b.rows
		} else {
			w.stream[b.ident] = len(p.Streams)
			p.Streams = append(p.Streams, store.LogStream{Ident: b.ident, From: b.from, Consumed: b.end, Tail: b.tail, Rows: b.rows})
		}
	}
	p.Files = append(p.Files, b.files...)
	if p.Len() >= w.rows {
		return w.flush(ctx)
	}
	return nil
}

// flush hands the pending batch to the store in the background and starts
// a new one, so merging the readers' next events overlaps SQLite's work on
// the other core. At most one save runs at a time, so memory stays at two
// batches; flush first waits for the previous save and returns its error.
func (w *writer) flush(ctx context.Context) error {
	if err := w.wait(); err != nil {
		return err
	}
	if w.pending.Len() == 0 {
		return nil
	}
	b := w.pending
	w.pending, w.spare = w.spare, store.LogBatch{}
	w.pending.Reset()
	clear(w.userDay)
	clear(w.denial)
	clear(w.stream)
	done := make(chan error, 1)
	w.saving = done
	go func() {
		w.lockStore()
		err := w.st.SaveLogBatch(ctx, w.site, &b)
		w.unlockStore()
		b.Reset()
		w.spareBack = b
		done <- err
	}()
	return nil
}

// wait waits for the background save, if one runs, and takes its batch
// back for reuse.
func (w *writer) wait() error {
	if w.saving == nil {
		return nil
	}
	err := <-w.saving
	w.saving = nil
	w.spare, w.spareBack = w.spareBack, store.LogBatch{}
	return err
}

type worker struct {
	now   time.Time // of the import records
	ctx   context.Context
	out   chan<- *part
	warn  func(file, text string)
	br    *bufio.Reader
	names *qlog.Names
}

type readResult struct {
	read, notLog int
	bytes, rows  int64
}

func (w *worker) send(b *part) error {
	select {
	case w.out <- b:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

// read imports one file, sending its events and then its file record (and
// those of the copies it covers).
func (w *worker) read(j job) readResult {
	var r readResult
	it := j.it
	rec := it.record(w.now)
	f, err := it.open()
	if err != nil {
		w.warn(it.key, "cannot open: "+err.Error())
		return r
	}
	defer f.Close()
	cr := &countingReader{r: f}
	w.br.Reset(cr)
	defer w.br.Reset(nil) // let go of the file
	if it.script != nil {
		d, err := scriptlog.Diagnose(w.br, scriptlog.Options{ContextLines: -1})
		if err != nil {
			w.warn(it.key, "cannot read the script log: "+err.Error())
			return r
		}
		p := &part{files: []store.LogFile{rec}}
		if d.Outcome == scriptlog.OutcomeUnknown {
			w.warn(it.key, "named like a script log but no line reads as one: skipped")
			r.notLog++
		} else {
			rl := store.LogReload{File: it.base, AppID: it.script.AppID, Start: d.Start, End: d.End, Outcome: string(d.Outcome),
				Code: d.Code, Title: d.Title, Hint: d.Hint, Err: d.Error}
			if !d.HasZone {
				// Lines in local time without offset: the name's time is UTC.
				rl.Start, rl.End = it.script.Started, it.script.Started.Add(d.Duration)
			}
			p.reloads = []store.LogReload{rl}
			r.read++
		}
		r.bytes += cr.n
		_ = w.send(p)
		return r
	}
	ident, from := it.ident, j.from
	st, err := w.extract(it, ident, from, j.tail, &rec)
	if errors.Is(err, qlog.ErrResumeMismatch) {
		// The same first rows as a stream read before, other bytes where
		// it stopped: not a copy of it. Read it whole as its own stream.
		w.warn(it.key, "starts like a log read before but does not continue it: read in full as a log of its own")
		if f2, err2 := it.open(); err2 == nil {
			defer f2.Close()
			cr.r, cr.n = f2, 0
			w.br.Reset(cr)
			ident = ident + "@" + it.key
			rec.Ident = ident
			j.covered = nil
			st, err = w.extract(it, ident, 0, nil, &rec)
		} else {
			err = err2
		}
	}
	r.bytes += cr.n
	r.rows += int64(st.Rows)
	rec.Rows = int64(st.Rows)
	rec.Warnings = int64(len(st.Warnings) + st.DroppedWarnings)
	for _, wn := range st.Warnings {
		w.warn(it.key, wn.String())
	}
	if st.DroppedWarnings > 0 {
		w.warn(it.key, fmt.Sprintf("%d more warnings", st.DroppedWarnings))
	}
	switch {
	case errors.Is(err, qlog.ErrNotServiceLog):
		w.warn(it.key, err.Error()+": skipped")
		r.notLog++
		rec.Kind = "not a log"
	case errors.Is(err, io.EOF) || err == nil:
		r.read += 1 + len(j.covered)
	case w.ctx.Err() != nil:
		return r
	default:
		w.warn(it.key, "read error after "+fmt.Sprint(st.Lines)+" lines: "+err.Error()+" (the rows before it are kept; the file is read again next time from there)")
		return r
	}
	_ = w.send(&part{files: append([]store.LogFile{rec}, j.covered...)})
	return r
}

// extract reads a service log from offset from of its stream ident ("" for
// a file with no row yet), sending its events as parts.
func (w *worker) extract(it planned, ident string, from int64, tail []byte, rec *store.LogFile) (qlog.Stats, error) {
	pos := from
	return qlog.ExtractFrom(it.name, w.br, qlog.Options{From: from, Tail: tail, Names: w.names}, func(b *qlog.Batch) error {
		p := &part{ident: ident, from: pos, end: b.End, tail: hex.EncodeToString(b.Tail), rows: int64(b.Rows),
			sessions: slices.Clone(b.Sessions), uses: slices.Clone(b.Uses), denials: slices.Clone(b.Denials),
			commands: slices.Clone(b.Commands), tasks: slices.Clone(b.Tasks)}
		if ident == "" {
			// No identity, no idempotence: such a file has no complete row,
			// so there is nothing to save but its record.
			p = &part{}
		}
		pos = b.End
		return w.send(p)
	})
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
