package service

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// RotatingFile is an append-only log file that is renamed to .1 (and .1 to
// .2, up to Keep) when the next write would take it past MaxBytes, so the
// service's log never fills the disk.
type RotatingFile struct {
	Path     string
	MaxBytes int64
	Keep     int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Default rotation: 10 MiB per file, 5 old files.
const (
	DefaultLogMaxBytes = 10 << 20
	DefaultLogKeep     = 5
)

// Write appends p, rotating first when p would not fit.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	if r.MaxBytes > 0 && r.size > 0 && r.size+int64(len(p)) > r.MaxBytes {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// Close closes the current file.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

func (r *RotatingFile) open() error {
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o700); err != nil {
		return fmt.Errorf("log folder: %w", err)
	}
	f, err := os.OpenFile(r.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return err
	}
	r.f = nil
	keep := r.Keep
	if keep < 1 {
		keep = 1
	}
	// The oldest goes; Windows cannot rename onto an existing file.
	_ = os.Remove(fmt.Sprintf("%s.%d", r.Path, keep))
	for i := keep - 1; i >= 1; i-- {
		from := fmt.Sprintf("%s.%d", r.Path, i)
		if _, err := os.Stat(from); err == nil {
			if err := os.Rename(from, fmt.Sprintf("%s.%d", r.Path, i+1)); err != nil {
				return fmt.Errorf("rotate log: %w", err)
			}
		}
	}
	if err := os.Rename(r.Path, r.Path+".1"); err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	return r.open()
}

// EventWriter is an io.Writer for serve's text log (slog's TextHandler, one
// record per line) that forwards warnings and errors to the Event Log, so an
// admin sees in the Event Viewer what needs attention; info lines go only to
// the log file.
type EventWriter struct {
	Events EventLog

	mu  sync.Mutex
	buf []byte
}

// Write forwards every complete line of p at level WARN or ERROR.
func (w *EventWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		switch {
		case strings.Contains(line, " level=ERROR "):
			_ = w.Events.Error(EventError, line)
		case strings.Contains(line, " level=WARN "):
			_ = w.Events.Warning(EventWarning, line)
		}
	}
	// A line longer than 64 KiB without a newline is not a log record
	// worth buffering further.
	if len(w.buf) > 64<<10 {
		w.buf = w.buf[:0]
	}
	return len(p), nil
}
