package logimport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
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
	// (same size and checksum); Read were read now; NotLogs had a log
	// extension but no service-log or script-log name, or no header.
	Files, Skipped, Read, NotLogs int
	// Bytes is the size of the files read.
	Bytes int64
	// Rows is the number of service-log rows read.
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
	// Large files first, so one big file does not run alone at the end.
	sort.SliceStable(items, func(i, j int) bool { return items[i].size > items[j].size })

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan item)
	out := make(chan *store.LogBatch, workers*2)
	var wg sync.WaitGroup
	var stats sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One buffer per worker for all its files: qlog and scriptlog
			// read through a *bufio.Reader this large instead of making
			// their own for each file.
			br := bufio.NewReaderSize(nil, qlog.ReadBufferSize)
			for it := range jobs {
				w := &worker{ctx: ctx, out: out, warn: warn, now: opts.Now, br: br}
				r := w.read(it, done)
				stats.Lock()
				res.Skipped += r.skipped
				res.Read += r.read
				res.NotLogs += r.notLog
				res.Bytes += r.bytes
				res.Rows += r.rows
				stats.Unlock()
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, it := range items {
			select {
			case jobs <- it:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	wr := writer{st: st, site: opts.Site, res: res, lock: opts.WriteLock, rows: opts.BatchRows}
	var werr error
	for b := range out {
		if werr != nil {
			continue // drain so the workers end
		}
		if werr = wr.add(ctx, b); werr != nil {
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
	if !wr.from.IsZero() {
		// A month at a time, so the aggregation's memory does not grow
		// with years of logs.
		for d := wr.from; !d.After(wr.to); d = d.AddDate(0, 0, 31) {
			end := d.AddDate(0, 0, 30)
			if end.After(wr.to) {
				end = wr.to
			}
			wr.lockStore()
			err := st.RefreshLogDays(ctx, opts.Site, d, end)
			wr.unlockStore()
			if err != nil {
				return res, fmt.Errorf("logs import: %w (run the import again to compute the daily figures)", err)
			}
		}
		res.From, res.To = wr.from, wr.to
	}
	// The files are recorded as imported only now that their days are
	// refreshed: a store error or a kill before this point leaves them
	// unrecorded, so the next import reads them again (their events are
	// saved once) and refreshes their days, instead of skipping files
	// whose daily figures were never computed.
	if len(wr.files) > 0 {
		wr.lockStore()
		err := st.SaveLogBatch(ctx, opts.Site, &store.LogBatch{Files: wr.files})
		wr.unlockStore()
		if err != nil {
			return res, fmt.Errorf("logs import: %w (run the import again: the files are read again and nothing is counted twice)", err)
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// writer is the single goroutine that saves: SQLite has one writer anyway,
// and batching many files' events into one transaction is what makes the
// import fast.
type writer struct {
	st       store.LogStore
	site     string
	rows     int // rows per saved batch
	res      *Result
	pending  store.LogBatch
	from, to time.Time
	// Rows for the same session or user-day are merged before they are
	// saved: a session has a start, a stop and an engine summary, a user
	// many uses a day, and each saved row costs far more than a map entry.
	sessionAt map[string]int
	useAt     map[useKey]int
	lock      sync.Locker
	// files are the records of the files read, saved after the refresh
	// of their days (see Import).
	files []store.LogFile
	// saving reports the end of the save running in the background;
	// spareBack is its batch, handed back as spare (capacity kept) by wait.
	saving           chan error
	spare, spareBack store.LogBatch
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

type useKey struct {
	user string
	day  time.Time
}

func (w *writer) touch(t time.Time) {
	if t.IsZero() {
		return
	}
	d := license.Day(t)
	if w.from.IsZero() || d.Before(w.from) {
		w.from = d
	}
	if d.After(w.to) {
		w.to = d
	}
}

func (w *writer) add(ctx context.Context, b *store.LogBatch) error {
	p := &w.pending
	for _, s := range b.Sessions {
		if !s.Start.IsZero() {
			w.touch(s.Start)
		} else {
			w.touch(s.Stop)
		}
	}
	for _, u := range b.Uses {
		w.touch(u.At)
	}
	for _, d := range b.Denials {
		w.touch(d.At)
	}
	w.res.Sessions += int64(len(b.Sessions))
	w.res.Uses += int64(len(b.Uses))
	w.res.Denials += int64(len(b.Denials))
	w.res.Commands += int64(len(b.Commands))
	w.res.TaskRuns += int64(len(b.Tasks))
	w.res.Reloads += int64(len(b.Reloads))
	if w.sessionAt == nil {
		w.sessionAt, w.useAt = map[string]int{}, map[useKey]int{}
	}
	for _, s := range b.Sessions {
		i, ok := w.sessionAt[s.Key]
		if !ok {
			w.sessionAt[s.Key] = len(p.Sessions)
			p.Sessions = append(p.Sessions, s)
			continue
		}
		m := &p.Sessions[i]
		if !s.Start.IsZero() && (m.Start.IsZero() || s.Start.Before(m.Start)) {
			m.Start = s.Start
		}
		if s.Stop.After(m.Stop) {
			m.Stop = s.Stop
		}
	}
	for _, u := range b.Uses {
		k := useKey{u.User, license.Day(u.At)}
		if i, ok := w.useAt[k]; ok {
			if !u.At.Before(p.Uses[i].At) {
				p.Uses[i] = u // the day's latest use names the type
			}
			continue
		}
		w.useAt[k] = len(p.Uses)
		p.Uses = append(p.Uses, u)
	}
	p.Denials = append(p.Denials, b.Denials...)
	p.Commands = append(p.Commands, b.Commands...)
	p.Tasks = append(p.Tasks, b.Tasks...)
	p.Reloads = append(p.Reloads, b.Reloads...)
	w.files = append(w.files, b.Files...)
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
	clear(w.sessionAt)
	clear(w.useAt)
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
	ctx  context.Context
	out  chan<- *store.LogBatch
	warn func(file, text string)
	now  func() time.Time
	br   *bufio.Reader
}

type readResult struct {
	skipped, read, notLog int
	bytes, rows           int64
}

func (w *worker) send(b *store.LogBatch) error {
	select {
	case w.out <- b:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

// read imports one file, sending its events and then its file record.
func (w *worker) read(it item, done map[string]store.LogFile) readResult {
	var r readResult
	name, isService := qlog.ParseFileName(it.base)
	script, isScript := qlog.ParseScriptLogName(it.base)
	if !isService && !isScript {
		r.notLog++
		return r
	}
	sum, err := it.sum()
	if err != nil {
		w.warn(it.key, "cannot read: "+err.Error())
		return r
	}
	rec := store.LogFile{Path: it.key, Size: it.size, Checksum: sum, ImportedAt: w.now().UTC()}
	if prev, ok := done[rec.Key()]; ok && prev.Size == it.size && prev.Checksum == sum {
		r.skipped++
		return r
	}
	f, err := it.open()
	if err != nil {
		w.warn(it.key, "cannot open: "+err.Error())
		return r
	}
	defer f.Close()
	cr := &countingReader{r: f}
	w.br.Reset(cr)
	defer w.br.Reset(nil) // let go of the file
	if isScript {
		rec.Kind, rec.Node = "script log", ""
		d, err := scriptlog.Diagnose(w.br, scriptlog.Options{ContextLines: -1})
		if err != nil {
			w.warn(it.key, "cannot read the script log: "+err.Error())
			return r
		}
		if d.Outcome == scriptlog.OutcomeUnknown {
			w.warn(it.key, "named like a script log but no line reads as one: skipped")
			r.notLog++
		} else {
			rl := store.LogReload{File: it.base, AppID: script.AppID, Start: d.Start, End: d.End, Outcome: string(d.Outcome),
				Code: d.Code, Title: d.Title, Hint: d.Hint, Err: d.Error}
			if !d.HasZone {
				// Lines in local time without offset: the name's time is UTC.
				rl.Start, rl.End = script.Started, script.Started.Add(d.Duration)
			}
			if err := w.send(&store.LogBatch{Reloads: []store.LogReload{rl}}); err != nil {
				return r
			}
		}
		r.read++
		r.bytes += cr.n
		_ = w.send(&store.LogBatch{Files: []store.LogFile{rec}})
		return r
	}
	rec.Kind, rec.Node = name.Kind.String(), name.Host
	st, err := qlog.Extract(name, w.br, func(b *qlog.Batch) error { return w.send(convert(b)) })
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
		r.read++
	case w.ctx.Err() != nil:
		return r
	default:
		w.warn(it.key, "read error after "+fmt.Sprint(st.Lines)+" lines: "+err.Error()+" (the rows before it are kept; the file is read again next time)")
		return r
	}
	if st.IncompleteLastLine {
		// Not recorded as done: the row will be complete when the file grows.
		return r
	}
	_ = w.send(&store.LogBatch{Files: []store.LogFile{rec}})
	return r
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

// convert copies a qlog batch (reused by the reader) into a store batch.
func convert(b *qlog.Batch) *store.LogBatch {
	out := &store.LogBatch{
		Sessions: make([]store.LogSession, len(b.Sessions)),
		Uses:     make([]store.LogUse, len(b.Uses)),
		Denials:  make([]store.LogDenial, len(b.Denials)),
		Commands: make([]store.LogCommand, len(b.Commands)),
		Tasks:    make([]store.LogTaskRun, len(b.Tasks)),
	}
	for i, s := range b.Sessions {
		out.Sessions[i] = store.LogSession{Key: s.Key, User: s.User, Node: s.Node, Start: s.Start, Stop: s.Stop}
	}
	for i, u := range b.Uses {
		out.Uses[i] = store.LogUse{User: u.User, At: u.At, Type: u.Type}
	}
	for i, d := range b.Denials {
		out.Denials[i] = store.LogDenial{ID: d.ID, At: d.At, User: d.User, Type: d.Type, SessionLimit: d.SessionLimit, Message: d.Message, Node: d.Node}
	}
	for i, c := range b.Commands {
		out.Commands[i] = store.LogCommand{ID: c.ID, At: c.At, Command: c.Command, Result: c.Result, User: c.User, Message: c.Message, Node: c.Node}
	}
	for i, t := range b.Tasks {
		out.Tasks[i] = store.LogTaskRun{ID: t.ID, TaskID: t.TaskID, Task: t.Task, AppID: t.AppID, App: t.App, Start: t.Start, End: t.End,
			Status: t.Status, Result: t.Result, Message: t.Message, Node: t.Node}
	}
	return out
}
