package inspect

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/scriptlog"
	"github.com/licmon/licmon/internal/termtext"
)

// scriptLogFindings downloads and diagnoses the script log of a failed last
// run (the last that ended, while one is going), or explains a failure that
// happened before the engine ran.
func scriptLogFindings(ctx context.Context, c Client, opts Options, r *check.Report, f *taskFacts) *check.ScriptLog {
	last := lastEnded(f)
	if last == nil || !(last.Status.IsFailure() || last.Status.IsAbort()) {
		return nil
	}
	app := f.appName
	sl := &check.ScriptLog{}
	rc, source, err := c.FetchScriptLog(ctx, f.task.ID, last, opts.ScriptLog)
	if err != nil {
		if qrs.IsNoScriptLog(err) {
			sl.Error = "no script log: the run failed in the scheduler before the engine ran"
			r.Add(check.SchedulerFailure(app, execution(last)))
			return sl
		}
		sl.Error = err.Error()
		r.Add(check.Finding{Code: "script-log-unavailable", Severity: check.Unknown, App: app,
			Title:    "Could not download the script log of the failed run",
			Evidence: []string{err.Error()},
			Hint:     "Download it in the QMC (Tasks > the task > Download script log) and run licmon diagnose on it; the identity needs read access to the task."})
		return sl
	}
	defer rc.Close()
	sl.Source = source
	var src io.Reader = rc
	var lc *lineCapture
	if opts.LogHeadLines > 0 || opts.LogTailLines > 0 {
		lc = newLineCapture(opts.LogHeadLines, opts.LogTailLines)
		src = io.TeeReader(rc, lc)
		defer func() { sl.Head, sl.Tail = lc.Lines() }()
	}
	d, n, saved, err := diagnoseAndSave(src, opts.SaveLogs, opts.Site, f.task.Name, opts.SaveLogsPerSite)
	sl.Bytes, sl.SavedTo = n, saved
	if err != nil {
		sl.Error = err.Error()
		r.Add(check.Finding{Code: "script-log-unreadable", Severity: check.Unknown, App: app, Title: "Could not read the script log", Evidence: []string{err.Error()}})
		return sl
	}
	check.AbortedRun(d, execution(last))
	sl.Diagnosis = d
	r.Add(check.DiagnosisFinding(app, d, sl))
	return sl
}

// diagnoseAndSave streams the log through the diagnosis and, when dir is
// set, into a file named as the QMC's "Download script log" names it
// (<Task name>.log). A different log under the same name is kept as
// "<Task name> (2).log" the way a browser does, an identical one is not
// written twice.
func diagnoseAndSave(r io.Reader, dir, site, taskName string, perSite bool) (*scriptlog.Diagnosis, int64, string, error) {
	counter := &countingReader{r: r}
	if dir == "" {
		d, err := scriptlog.Diagnose(counter, scriptlog.Options{})
		return d, counter.n, "", err
	}
	if perSite && site != "" {
		dir = filepath.Join(dir, termtext.FileName(site))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil { // logs hold connection strings and user names
		return nil, 0, "", fmt.Errorf("create --save-logs folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".licmon-scriptlog-*")
	if err != nil {
		return nil, 0, "", fmt.Errorf("save script log: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	d, err := scriptlog.Diagnose(io.TeeReader(counter, io.MultiWriter(tmp, h)), scriptlog.Options{})
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("save script log: %w", cerr)
	}
	if err != nil {
		return nil, counter.n, "", err
	}
	sum := h.Sum(nil)
	base := termtext.FileName(taskName)
	for i := 1; ; i++ {
		name := base + ".log"
		if i > 1 {
			name = fmt.Sprintf("%s (%d).log", base, i)
		}
		path := filepath.Join(dir, name)
		existing, err := fileSum(path)
		if errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(tmp.Name(), path); err != nil {
				return d, counter.n, "", fmt.Errorf("save script log: %w", err)
			}
			return d, counter.n, path, nil
		}
		if err == nil && string(existing) == string(sum) {
			return d, counter.n, path, nil
		}
		if i > 999 {
			return d, counter.n, "", fmt.Errorf("save script log: too many files named %s in %s", base, dir)
		}
	}
}

func fileSum(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
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

// lastEnded is the task's last run, or while a run is going the newest one
// of the history that ended: the one that says whether the reload works,
// chosen as check's judging chooses it (Outcome.Judged).
func lastEnded(f *taskFacts) *qrs.ExecutionResultCondensed {
	last := f.task.LastExecution()
	if last == nil || outcome(last.Status) != check.Running {
		return last
	}
	var done *qrs.ExecutionResultCondensed
	var doneAt time.Time
	for i := range f.history {
		x := &f.history[i].ExecutionResultCondensed
		if at := startOf(&f.history[i]); x.ID != last.ID && outcome(x.Status).Judged() && (done == nil || at.After(doneAt)) {
			done, doneAt = x, at
		}
	}
	if done == nil {
		return last
	}
	return done
}
