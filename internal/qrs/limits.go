package qrs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Limits bound what one QRS answer may hold, so that a server, proxy or
// misconfigured filter that sends far more than was asked for (a 2.2 GB
// answer to a name-filtered task query drove a check to 5.6 GB of memory)
// ends in a clear error instead of exhausting the machine. Zero fields take
// the defaults below.
type Limits struct {
	// Object bounds a single-object answer (about, license, access-type
	// overview, count, one entity, a ticket): default 4 MiB.
	Object int64
	// List bounds a list that is collected in memory and expected to be
	// short: tasks, executions, triggers, data connections, service status
	// and a filtered app list. Default 32 MiB.
	List int64
	// StreamItems bounds the number of elements of a streamed list
	// (allocations, users, apps, app objects, usage): default 10,000,000.
	StreamItems int
	// StreamItem bounds one element of a streamed list: default 4 MiB.
	StreamItem int64
	// ScriptLog bounds a script-log download: default 512 MiB.
	ScriptLog int64
}

// Default limits.
const (
	DefaultObjectLimit      = 4 << 20
	DefaultListLimit        = 32 << 20
	DefaultStreamItemsLimit = 10_000_000
	DefaultStreamItemLimit  = 4 << 20
	DefaultScriptLogLimit   = 512 << 20
)

func (l *Limits) defaults() {
	if l.Object <= 0 {
		l.Object = DefaultObjectLimit
	}
	if l.List <= 0 {
		l.List = DefaultListLimit
	}
	if l.StreamItems <= 0 {
		l.StreamItems = DefaultStreamItemsLimit
	}
	if l.StreamItem <= 0 {
		l.StreamItem = DefaultStreamItemLimit
	}
	if l.ScriptLog <= 0 {
		l.ScriptLog = DefaultScriptLogLimit
	}
}

// ErrTooLarge is wrapped by the *Error (KindTooLarge) of an answer that
// exceeded one of the Limits.
var ErrTooLarge = errors.New("answer exceeds licmon's limit")

// limitKind says which limit an answer exceeded, for the message and hint.
type limitKind int

const (
	limitObject limitKind = iota
	limitList
	limitStreamItems
	limitStreamItem
	limitScriptLog
)

// tooLarge is the *Error of an answer over a limit: it names the call, the
// limit and what to do.
func (c *Client) tooLarge(r request, status int, k limitKind) *Error {
	var what, hint string
	switch k {
	case limitObject:
		what = "a single object larger than " + size(c.cfg.Limits.Object)
		hint = "no QRS object is that large: check that --server is the QRS (port 4242, or https://host/prefix through a virtual proxy) and not a file server or a proxy error page"
	case limitList:
		what = "a list larger than " + size(c.cfg.Limits.List)
		hint = "this list is normally a few kB: a reverse proxy or load balancer that drops the query string makes the QRS ignore the filter and send every row; check that it passes the query string to the QRS unchanged"
	case limitStreamItems:
		what = fmt.Sprintf("more than %d elements", c.cfg.Limits.StreamItems)
		hint = "no site has that many; check that --server is the QRS and that a proxy does not repeat the answer"
	case limitStreamItem:
		what = "a list element larger than " + size(c.cfg.Limits.StreamItem)
		hint = "QRS list elements are a few kB: check that --server is the QRS and not a proxy page"
	case limitScriptLog:
		what = "a script log larger than " + size(c.cfg.Limits.ScriptLog)
		hint = "the download was stopped; read the log on the Qlik server (ArchivedLogs folder) or raise the limit with max_script_log_mb in the site's configuration"
	}
	return &Error{Method: r.method, Path: c.displayPath(r), Status: status, Identity: c.identity, Kind: KindTooLarge,
		Err: fmt.Errorf("%w: %s", ErrTooLarge, what), Hint: hint}
}

func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readLimited reads a whole body of at most max bytes; more is a
// KindTooLarge error, never a silently truncated body.
func (c *Client) readLimited(ctx context.Context, r request, resp *http.Response, max int64, k limitKind) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, c.errorFor(ctx, r, fmt.Errorf("read response body: %w", err))
	}
	if int64(len(data)) > max {
		return nil, c.tooLarge(r, resp.StatusCode, k)
	}
	return data, nil
}

// boundedReader counts the bytes of a streamed body and fails the read that
// passes a limit: the whole body (max), or one element (maxItem, counted
// from the last mark plus the decoder's read-ahead).
type boundedReader struct {
	r            io.Reader
	n, mark      int64
	max, maxItem int64
	overTotal    bool
	overItem     bool
}

// readAhead is what a json.Decoder over a 64 KiB bufio.Reader may read
// beyond the element it is decoding.
const readAhead = 256 << 10

var errOverLimit = errors.New("over limit")

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.overTotal || b.overItem {
		return 0, errOverLimit
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case b.max > 0 && b.n > b.max:
		b.overTotal = true
		return n, errOverLimit
	case b.maxItem > 0 && b.n-b.mark > b.maxItem+readAhead:
		b.overItem = true
		return n, errOverLimit
	}
	return n, err
}

// DeadlineError is the cause of a context made by WithDeadline: the total
// time a command allows itself has passed.
type DeadlineError struct {
	// What is the command or job, e.g. "licmon check".
	What string
	// Limit is the total time it had.
	Limit time.Duration
	// Why explains where the limit comes from, e.g. "4 × --timeout 10s".
	Why string
}

func (e *DeadlineError) Error() string {
	s := fmt.Sprintf("%s stopped at its total deadline of %s", e.What, e.Limit)
	if e.Why != "" {
		s += " (" + e.Why + ")"
	}
	return s
}

// WithDeadline returns a context that ends after d with a *DeadlineError
// as its cause. A QRS call it stops fails with KindDeadline, whose message
// says which deadline ended it instead of "context deadline exceeded"; the
// idle timeout per read (Config.Timeout) cannot end a server that sends a
// byte every few seconds, this can.
func WithDeadline(ctx context.Context, d time.Duration, what, why string) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &DeadlineError{What: what, Limit: d, Why: why})
}

// deadlineCause returns the *DeadlineError that ended ctx, if any.
func deadlineCause(ctx context.Context) (*DeadlineError, bool) {
	if ctx.Err() == nil {
		return nil, false
	}
	var de *DeadlineError
	ok := errors.As(context.Cause(ctx), &de)
	return de, ok
}
