package qrs

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/backoff"
	"github.com/licmon/licmon/internal/termtext"
)

// ListOptions narrows a list call. Both are passed to QRS verbatim (URL-encoded by the client).
type ListOptions struct {
	// Filter is a QRS filter, e.g. "name eq 'Reload License Monitor'" or "taskID eq <guid>".
	Filter string
	// OrderBy is e.g. "startTime desc".
	OrderBy string
}

func (o ListOptions) params() [][2]string {
	var p [][2]string
	if o.Filter != "" {
		p = append(p, [2]string{"filter", o.Filter})
	}
	if o.OrderBy != "" {
		p = append(p, [2]string{"orderby", o.OrderBy})
	}
	return p
}

const xrfAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NewXrfKey returns a random 16-character [0-9a-zA-Z] key, as QRS requires.
func NewXrfKey() string {
	var b [16]byte
	max := big.NewInt(int64(len(xrfAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			// crypto/rand never fails on supported platforms; fall back rather than panic.
			b[i] = xrfAlphabet[mrand.IntN(len(xrfAlphabet))]
			continue
		}
		b[i] = xrfAlphabet[n.Int64()]
	}
	return string(b[:])
}

// escapeQuery percent-encodes a query value. Spaces become %20 rather than '+', which every
// server parses the same way; '#', '&', '\” and '+' are escaped so a filter never cuts the query.
func escapeQuery(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// request describes one QRS call; path is relative to /qrs/ and already escaped per segment.
type request struct {
	method string
	path   string
	params [][2]string
	body   []byte
	// accept overrides the Accept header (downloads are not JSON).
	accept string
}

// displayPath is the path+query for messages: never the xrfkey.
func (c *Client) displayPath(r request) string {
	s := c.base.Path + "/qrs/" + r.path
	if len(r.params) > 0 {
		parts := make([]string, 0, len(r.params))
		for _, p := range r.params {
			parts = append(parts, p[0]+"="+p[1])
		}
		s += "?" + strings.Join(parts, "&")
	}
	return s
}

func (c *Client) buildURL(r request, xrf string) string {
	params := append([][2]string(nil), r.params...)
	params = append(params, [2]string{"xrfkey", xrf})
	sort.SliceStable(params, func(i, j int) bool { return params[i][0] < params[j][0] })
	var q strings.Builder
	for i, p := range params {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString(escapeQuery(p[0]))
		q.WriteByte('=')
		q.WriteString(escapeQuery(p[1]))
	}
	return c.base.String() + "/qrs/" + r.path + "?" + q.String()
}

// send performs r with retries (GET only) and returns a 2xx response whose body must be closed.
// Any other outcome is an *Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	attempts := 1
	if r.method == http.MethodGet {
		attempts += c.cfg.Retries
	}
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := sleepCtx(ctx, c.backoff(attempt)); err != nil {
				// Stopped while waiting to retry: the failure that made it
				// retry is the reason worth reading.
				e := c.wrapTransport(ctx, nil, r, err)
				e.Err = fmt.Errorf("%w; %d attempts failed before, the last with: %s", e.Err, attempt, termtext.FirstLine(lastErr.Error()))
				return nil, e
			}
		}
		resp, retry, err := c.sendOnce(ctx, r, attempt)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if !retry {
			break
		}
		c.log.Debug("qrs request failed, retrying", "method", r.method, "path", c.displayPath(r), "attempt", attempt+1, "err", err)
	}
	return nil, lastErr
}

// maxRetryWait caps one wait between retries of a GET, jitter included.
const maxRetryWait = 10 * time.Second

func (c *Client) backoff(attempt int) time.Duration {
	return backoff.Delay(c.cfg.RetryBackoff, maxRetryWait, attempt)
}

func sleepCtx(ctx context.Context, d time.Duration) error { return backoff.Sleep(ctx, d) }

// sendOnce performs one attempt. retry says whether a GET may be retried after this error.
func (c *Client) sendOnce(ctx context.Context, r request, attempt int) (*http.Response, bool, error) {
	attemptCtx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(c.cfg.Timeout, func() { cancel(errRequestTimeout) })
	stop := func() { timer.Stop(); cancel(nil) }

	xrf := NewXrfKey()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(attemptCtx, r.method, c.buildURL(r, xrf), body)
	if err != nil {
		stop()
		return nil, false, &Error{Method: r.method, Path: c.displayPath(r), Identity: c.identity, Kind: KindNetwork, Err: err}
	}
	req.Header.Set("X-Qlik-Xrfkey", xrf)
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch c.cfg.Auth {
	case AuthCertificate:
		req.Header.Set("X-Qlik-User", c.qlikUser)
	case AuthJWT:
		req.Header.Set("Authorization", "Bearer "+c.cfg.JWT)
	case AuthHeader:
		req.Header.Set(c.cfg.HeaderName, c.cfg.HeaderValue)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		stop()
		e := c.wrapTransport(ctx, attemptCtx, r, err)
		retry := e.Kind == KindTimeout || e.Kind == KindNetwork || e.Kind == KindConnRefused
		return nil, retry, e
	}
	c.log.Debug("qrs request", "method", r.method, "path", c.displayPath(r), "status", resp.StatusCode,
		"attempt", attempt+1, "elapsed", time.Since(start).Round(time.Millisecond))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		timer.Reset(c.cfg.Timeout)
		resp.Body = &idleBody{rc: resp.Body, timer: timer, timeout: c.cfg.Timeout, ctx: attemptCtx, stop: stop}
		return resp, false, nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	stop()
	kind, hint := c.statusHint(resp.StatusCode, string(data), c.displayPath(r))
	e := &Error{Method: r.method, Path: c.displayPath(r), Status: resp.StatusCode, Body: strings.TrimSpace(string(data)),
		Identity: c.identity, Hint: hint, Kind: kind}
	retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
	return nil, retry, e
}

func (c *Client) wrapTransport(ctx, attemptCtx context.Context, r request, err error) *Error {
	kind, hint := c.classifyTransport(ctx, attemptCtx, err)
	// url.Error repeats the full URL, xrfkey included; Path already says where.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if kind == KindTimeout && attemptCtx != nil && context.Cause(attemptCtx) == errRequestTimeout {
		err = errRequestTimeout
	}
	if kind == KindCanceled && ctx.Err() != nil {
		err = ctx.Err()
	}
	if de, ok := deadlineCause(ctx); ok && kind == KindDeadline {
		err = de
	}
	return &Error{Method: r.method, Path: c.displayPath(r), Identity: c.identity, Hint: hint, Kind: kind, Err: err}
}

// idleBody resets the request's idle timer on every read, so Config.Timeout limits silence, not
// the total transfer time of a large list.
type idleBody struct {
	rc      io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
	ctx     context.Context
	stop    func()
	once    sync.Once
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	// A stalled server may end the response cleanly once we give up, so even EOF after the
	// idle timer fired is a timeout, not the end of the list.
	if err != nil && context.Cause(b.ctx) == errRequestTimeout {
		return n, errRequestTimeout
	}
	b.timer.Reset(b.timeout)
	return n, err
}

func (b *idleBody) Close() error {
	err := b.rc.Close()
	b.once.Do(b.stop)
	return err
}

// errorFor turns an error met while reading or decoding a body into an *Error.
func (c *Client) errorFor(ctx context.Context, r request, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if ctx.Err() != nil || errors.Is(err, errRequestTimeout) {
		return c.wrapTransport(ctx, nil, r, err)
	}
	return err
}
