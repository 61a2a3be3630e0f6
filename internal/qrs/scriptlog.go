package qrs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/licmon/licmon/internal/termtext"
)

// ScriptLogTicketByExecution asks for a script-log download ticket the May 2025+ way:
// GET /qrs/reloadtask/{taskID}/scriptlogfile?executionResultId={id}. Answer {"value":"ticket"}
// or a bare string; an empty ticket is returned as "".
func (c *Client) ScriptLogTicketByExecution(ctx context.Context, taskID, executionResultID string) (string, error) {
	if taskID == "" || isNullGUID(executionResultID) {
		return "", c.noLog(http.MethodGet, "reloadtask/"+esc(taskID)+"/scriptlogfile", "the execution result id is empty: the task has never run")
	}
	r := request{method: http.MethodGet, path: "reloadtask/" + esc(taskID) + "/scriptlogfile",
		params: [][2]string{{"executionResultId", executionResultID}}}
	t, _, err := c.valueString(ctx, r)
	return t, err
}

// ScriptLogTicketByFileRef asks for a ticket the pre-May-2025 way:
// GET /qrs/reloadtask/{taskID}/scriptlog?fileReferenceId={fileReferenceID}. The null GUID means
// QRS recorded no log, so it is refused without a request.
func (c *Client) ScriptLogTicketByFileRef(ctx context.Context, taskID, fileReferenceID string) (string, error) {
	if isNullGUID(fileReferenceID) {
		return "", c.noLog(http.MethodGet, "reloadtask/"+esc(taskID)+"/scriptlog",
			"fileReferenceID is the null GUID: QRS recorded no script log for this execution (it may have failed before the script started)")
	}
	r := request{method: http.MethodGet, path: "reloadtask/" + esc(taskID) + "/scriptlog",
		params: [][2]string{{"fileReferenceId", fileReferenceID}}}
	t, _, err := c.valueString(ctx, r)
	return t, err
}

// DownloadScriptLog downloads a script log with a ticket:
// GET /qrs/download/reloadtask/{ticket}/{name}. The name is free text (the QMC uses the task name
// plus ".log"). The caller closes the body; it is CRLF text.
func (c *Client) DownloadScriptLog(ctx context.Context, ticket, name string) (io.ReadCloser, error) {
	if ticket == "" {
		return nil, fmt.Errorf("download script log: empty ticket")
	}
	if name == "" {
		name = "scriptlog.txt"
	}
	// The download is a file, not JSON: accept anything, as Butler's client does.
	r := request{method: http.MethodGet, path: "download/reloadtask/" + esc(ticket) + "/" + url.PathEscape(name),
		accept: "application/json, text/plain, */*"}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	return &logBody{rc: resp.Body, left: c.cfg.Limits.ScriptLog, err: c.tooLarge(r, resp.StatusCode, limitScriptLog)}, nil
}

// logBody ends a script-log download at Limits.ScriptLog with a
// KindTooLarge error, so a runaway download cannot fill the disk it is
// saved to.
type logBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *logBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		// The extra byte only proves there is more: it is not handed on.
		return n - 1, b.err
	}
	return n, err
}

func (b *logBody) Close() error { return b.rc.Close() }

func (c *Client) noLog(method, path, why string) error {
	return &Error{Method: method, Path: c.base.Path + "/qrs/" + path, Identity: c.identity, Kind: KindNoScriptLog, Err: ErrNoScriptLog, Hint: why}
}

// ScriptLogOptions tunes FetchScriptLog.
type ScriptLogOptions struct {
	// Name is the file name put in the download URL (default "scriptlog.txt").
	Name string
	// Attempts is how often a download that answers 404 is retried with a fresh ticket
	// (default 3): right after a failure QRS may not have the log yet (Butler issue #1499).
	Attempts int
	// Delay is the wait between attempts (default 2s).
	Delay time.Duration
}

// FetchTaskScriptLog is FetchScriptLog for the last execution of task.
func (c *Client) FetchTaskScriptLog(ctx context.Context, task *ReloadTask, opts ScriptLogOptions) (io.ReadCloser, string, error) {
	if task == nil {
		return nil, "", fmt.Errorf("fetch script log: nil task")
	}
	if opts.Name == "" && task.Name != "" {
		opts.Name = task.Name + ".log"
	}
	return c.FetchScriptLog(ctx, task.ID, task.LastExecution(), opts)
}

// FetchScriptLog downloads the script log of the execution last of task taskID. It asks for a
// ticket with the newer scriptlogfile call, falls back to the older scriptlog call when the
// newer one is unknown (404/400/405) or yields nothing, and retries a download that 404s.
// It returns the body, the ticket request path used (for diagnostics) and an error that satisfies
// IsNoScriptLog when neither call has a log.
func (c *Client) FetchScriptLog(ctx context.Context, taskID string, last *ExecutionResultCondensed, opts ScriptLogOptions) (io.ReadCloser, string, error) {
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.Delay <= 0 {
		opts.Delay = 2 * time.Second
	}
	if last == nil || (isNullGUID(last.ID) && isNullGUID(last.FileReferenceID)) {
		return nil, "", c.noLog(http.MethodGet, "reloadtask/"+esc(taskID)+"/scriptlogfile", "the task has no execution result: it has never run")
	}
	var lastErr error
	for attempt := 1; attempt <= opts.Attempts; attempt++ {
		ticket, used, err := c.scriptLogTicket(ctx, taskID, last)
		if err != nil {
			return nil, used, err
		}
		rc, err := c.DownloadScriptLog(ctx, ticket, opts.Name)
		if err == nil {
			return rc, used, nil
		}
		if !IsNotFound(err) {
			return nil, used, err
		}
		lastErr = err
		c.log.Debug("script log download 404, retrying", "attempt", attempt, "of", opts.Attempts)
		if attempt < opts.Attempts {
			if err := sleepCtx(ctx, opts.Delay); err != nil {
				return nil, used, fmt.Errorf("fetch script log: %w", err)
			}
		}
	}
	if e, ok := asError(lastErr); ok {
		e.Hint = fmt.Sprintf("the download still answered 404 after %d attempts %s apart: QRS issued a ticket but has no log file; check the ArchivedLogs folder of node %q (scriptLogLocation %q)",
			opts.Attempts, opts.Delay, last.ExecutingNodeName, last.ScriptLogLocation)
	}
	return nil, "", lastErr
}

// scriptLogTicket gets a ticket via the newer call, falling back to the older one.
func (c *Client) scriptLogTicket(ctx context.Context, taskID string, last *ExecutionResultCondensed) (ticket, used string, err error) {
	var newErr error
	if !isNullGUID(last.ID) {
		newPath := c.base.Path + "/qrs/reloadtask/" + esc(taskID) + "/scriptlogfile?executionResultId=" + last.ID
		t, err := c.ScriptLogTicketByExecution(ctx, taskID, last.ID)
		switch {
		case err == nil && !isNullGUID(t):
			return t, newPath, nil
		case err == nil:
			newErr = errors.New("newer call returned no ticket")
		case IsStatus(err, http.StatusNotFound), IsStatus(err, http.StatusBadRequest), IsStatus(err, http.StatusMethodNotAllowed):
			newErr = err
			c.log.Debug("scriptlogfile call unavailable, trying the older scriptlog call", "err", err)
		default:
			return "", newPath, err
		}
	}
	oldPath := c.base.Path + "/qrs/reloadtask/" + esc(taskID) + "/scriptlog?fileReferenceId=" + last.FileReferenceID
	t, err := c.ScriptLogTicketByFileRef(ctx, taskID, last.FileReferenceID)
	switch {
	case err == nil && !isNullGUID(t):
		return t, oldPath, nil
	case err == nil, IsNotFound(err), IsNoScriptLog(err):
		why := "neither the scriptlogfile nor the scriptlog call returned a ticket"
		if newErr != nil {
			why += " (newer call: " + termtext.FirstLine(newErr.Error()) + ")"
		}
		if e, ok := asError(err); ok && e.Kind == KindNoScriptLog {
			why += "; " + e.Hint
		}
		return "", oldPath, &Error{Method: http.MethodGet, Path: oldPath, Identity: c.identity, Kind: KindNoScriptLog, Err: ErrNoScriptLog, Hint: why}
	}
	return "", oldPath, err
}
