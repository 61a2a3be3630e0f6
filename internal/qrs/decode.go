package qrs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/licmon/licmon/internal/jsonscan"
)

// get fetches path and decodes the JSON body into out.
func (c *Client) get(ctx context.Context, path string, params [][2]string, out any) error {
	r := request{method: http.MethodGet, path: path, params: params}
	return c.doJSON(ctx, r, out)
}

// doJSON performs r and decodes a JSON body into out (out nil: body discarded).
func (c *Client) doJSON(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := c.readLimited(ctx, r, resp, c.cfg.Limits.Object, limitObject)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return c.decodeError(r, resp, data, err)
	}
	return nil
}

// decodeError reports a body that is not the JSON expected, naming the path, the content type
// and the first bytes so an HTML login page or proxy error is recognisable.
func (c *Client) decodeError(r request, resp *http.Response, head []byte, err error) error {
	ct := resp.Header.Get("Content-Type")
	first := strings.TrimSpace(string(head))
	if len(first) > 120 {
		first = first[:120] + "…"
	}
	hint := fmt.Sprintf("expected JSON from %s, got Content-Type %q starting with `%s`", c.displayPath(r), ct, first)
	lower := strings.ToLower(first)
	if strings.HasPrefix(lower, "<") || strings.Contains(ct, "html") {
		hint += ": an HTML page usually means a login form or an error page from a proxy; check --server and the authentication mode"
	}
	return &Error{Method: r.method, Path: c.displayPath(r), Status: resp.StatusCode, Body: truncate(string(head), maxErrorBody),
		Identity: c.identity, Hint: hint, Kind: KindDecode, Err: fmt.Errorf("decode response: %w", err)}
}

// Stream GETs a JSON array from path (relative to /qrs/, e.g. "license/professionalaccesstype/full")
// and calls fn for each element as it is decoded, so memory stays flat however long the list is.
// fn returning an error stops the stream and returns that error. The request is retried on
// transient failures before the response arrives, never once elements have been handed to fn.
// A list with more elements than Limits.StreamItems, or an element larger than
// Limits.StreamItem, fails with KindTooLarge.
func Stream[T any](ctx context.Context, c *Client, path string, opts ListOptions, fn func(T) error) error {
	return stream(ctx, c, path, opts, false, fn)
}

// ElementDecoder decodes one element of a streamed list: exactly one JSON
// value, the element, read from s.
type ElementDecoder interface {
	ScanFrom(s *jsonscan.Scanner) error
}

// StreamFrom is Stream for a caller that decodes the elements itself: elem
// decodes each element from the scanner in turn, and fn is called after
// each one. The same elem is used for every element, so it may keep what it
// reuses (buffers, interned strings) from one element to the next, and no
// per-element value is allocated or reflected upon; the values it does not
// read (Skip) are checked but not decoded. Limits, retries and errors are
// Stream's.
func StreamFrom(ctx context.Context, c *Client, path string, opts ListOptions, elem ElementDecoder, fn func() error) error {
	r := request{method: http.MethodGet, path: path, params: opts.params()}
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	lim := &boundedReader{r: resp.Body, maxItem: c.cfg.Limits.StreamItem}
	sc := jsonscan.New(lim)
	head := append([]byte(nil), sc.Lookahead(256)...)
	fail := func(err error) error {
		if e := c.streamFailure(ctx, r, resp, lim, err); e != nil {
			return e
		}
		return c.decodeError(r, resp, head, err)
	}
	switch sc.Peek() {
	case '[':
	case 'n':
		if err := sc.Null(); err != nil {
			return fail(err)
		}
		return nil // "null": an empty list from some proxies
	case 0:
		return fail(sc.Skip())
	default:
		v, err := sc.Value()
		if err != nil {
			return fail(err)
		}
		return c.decodeError(r, resp, head, fmt.Errorf("expected a JSON array, got %s", truncate(string(v), 40)))
	}
	n := 0
	var stop, elemErr error // stop: fn's error or the limit's, returned as they are
	err = sc.Array(func() error {
		if n >= c.cfg.Limits.StreamItems {
			stop = c.tooLarge(r, resp.StatusCode, limitStreamItems)
			return stop
		}
		lim.mark = lim.n
		start := sc.Offset()
		err := elem.ScanFrom(sc)
		if err == nil && sc.Offset() == start {
			// A decoder that read nothing would have the rest of the
			// list read out of step.
			err = errors.New("the decoder read no value")
		}
		if err != nil {
			elemErr = fmt.Errorf("element %d: %w", n, err)
			return elemErr
		}
		if err := fn(); err != nil {
			stop = err
			return err
		}
		n++
		return nil
	})
	switch {
	case err == nil:
		return nil
	case err == stop:
		return err
	case err != elemErr:
		err = fmt.Errorf("after element %d: %w", n, err)
	}
	return fail(err)
}

// stream is Stream; small lists are bounded by Limits.List bytes in total
// instead of by element.
func stream[T any](ctx context.Context, c *Client, path string, opts ListOptions, small bool, fn func(T) error) error {
	var v T
	decode := func(dec *jsontext.Decoder) error {
		var zero T
		v = zero
		return jsonv2.UnmarshalDecode(dec, &v)
	}
	return streamWith(ctx, c, path, opts, small, decode, func() error { return fn(v) })
}

// streamWith streams the list at path, calling decode to decode each
// element from the token stream and then fn.
func streamWith(ctx context.Context, c *Client, path string, opts ListOptions, small bool, decode func(*jsontext.Decoder) error, fn func() error) error {
	r := request{method: http.MethodGet, path: path, params: opts.params()}
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	lim := &boundedReader{r: resp.Body}
	if small {
		lim.max = c.cfg.Limits.List
	} else {
		lim.maxItem = c.cfg.Limits.StreamItem
	}
	br := bufio.NewReaderSize(lim, 64<<10)
	head, _ := br.Peek(256)
	head = append([]byte(nil), head...)
	fail := func(err error) error { return c.streamFailure(ctx, r, resp, lim, err) }
	// One pass over the bytes: jsontext tokenizes the stream once and the
	// element is decoded from those tokens, where encoding/json's Decoder
	// first scans each element to its end and then scans it again to decode
	// it. Element types with an UnmarshalJSONFrom method (the collector's
	// slim records, Time) decode themselves from the tokens without
	// reflection; the others decode with encoding/json's semantics
	// (streamOptions).
	dec := jsontext.NewDecoder(br, streamOptions)
	switch dec.PeekKind() {
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return c.decodeError(r, resp, head, err)
		}
	case 'n':
		if _, err := dec.ReadToken(); err != nil {
			return c.decodeError(r, resp, head, err)
		}
		return nil // "null": an empty list from some proxies
	case 0:
		_, err := dec.ReadToken()
		if e := fail(err); e != nil {
			return e
		}
		return c.decodeError(r, resp, head, err)
	default:
		v, err := dec.ReadValue()
		if err != nil {
			if e := fail(err); e != nil {
				return e
			}
			return c.decodeError(r, resp, head, err)
		}
		return c.decodeError(r, resp, head, fmt.Errorf("expected a JSON array, got %s", truncate(string(v), 40)))
	}
	n := 0
	for k := dec.PeekKind(); k != ']'; k = dec.PeekKind() {
		if k == 0 {
			break // PeekKind hides the error: the read below says what it is
		}
		if !small && n >= c.cfg.Limits.StreamItems {
			return c.tooLarge(r, resp.StatusCode, limitStreamItems)
		}
		lim.mark = lim.n
		depth := dec.StackDepth()
		err := decode(dec)
		if err == nil && dec.StackDepth() != depth {
			// A decoder that stopped inside its element would have the
			// rest of the list read as if it were the next elements.
			err = fmt.Errorf("decoded a partial value, ending at %s", dec.StackPointer())
		}
		if err != nil {
			if e := fail(err); e != nil {
				return e
			}
			return c.decodeError(r, resp, head, fmt.Errorf("element %d: %w", n, err))
		}
		if err := fn(); err != nil {
			return err
		}
		n++
	}
	if _, err := dec.ReadToken(); err != nil {
		if e := fail(err); e != nil {
			return e
		}
		return c.decodeError(r, resp, head, fmt.Errorf("after element %d: %w", n, err))
	}
	return nil
}

// streamFailure is the error of a streamed list that failed with err for
// another reason than its JSON: a limit, a QRS error, the transport or the
// context; nil when err is the JSON's.
func (c *Client) streamFailure(ctx context.Context, r request, resp *http.Response, lim *boundedReader, err error) error {
	switch {
	case lim.overTotal:
		return c.tooLarge(r, resp.StatusCode, limitList)
	case lim.overItem:
		return c.tooLarge(r, resp.StatusCode, limitStreamItem)
	}
	if _, ok := asError(err); ok {
		return err
	}
	if e := c.errorFor(ctx, r, err); e != err {
		return e
	}
	return nil
}

// streamOptions decode the elements of a streamed list, and tokenize it,
// the way encoding/json does (names matched without regard to case,
// duplicate names and invalid UTF-8 accepted, Unmarshaler methods called),
// so an entity type decodes the same from a list as from a single answer.
var streamOptions = jsonv1.DefaultOptionsV1()

// list collects a streamed list (bounded by element count and size) into a slice.
func list[T any](ctx context.Context, c *Client, path string, opts ListOptions) ([]T, error) {
	return collectList[T](ctx, c, path, opts, false)
}

// smallList collects a list that is expected to be short (tasks,
// executions, a filtered lookup) into a slice, bounded by Limits.List bytes.
func smallList[T any](ctx context.Context, c *Client, path string, opts ListOptions) ([]T, error) {
	return collectList[T](ctx, c, path, opts, true)
}

func collectList[T any](ctx context.Context, c *Client, path string, opts ListOptions, small bool) ([]T, error) {
	out := []T{}
	err := stream(ctx, c, path, opts, small, func(v T) error {
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeValueString reads {"value":"x"} or a bare JSON string "x" (the Swagger shape); it returns
// "" for null or an empty value.
func decodeValueString(data []byte) (string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return "", nil
	}
	if data[0] == '"' {
		var s string
		err := json.Unmarshal(data, &s)
		return s, err
	}
	var v struct {
		Value *string `json:"value"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return "", err
	}
	if v.Value == nil {
		return "", nil
	}
	return *v.Value, nil
}

// valueString performs r and decodes a {"value": "..."} or bare string body.
func (c *Client) valueString(ctx context.Context, r request) (string, *http.Response, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	data, err := c.readLimited(ctx, r, resp, c.cfg.Limits.Object, limitObject)
	if err != nil {
		return "", resp, err
	}
	s, err := decodeValueString(data)
	if err != nil {
		return "", resp, c.decodeError(r, resp, data, err)
	}
	return s, resp, nil
}
