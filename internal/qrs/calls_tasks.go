package qrs

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// NullGUID is Qlik's "none" id (no script log, task not started).
const NullGUID = "00000000-0000-0000-0000-000000000000"

func isNullGUID(s string) bool { return s == "" || s == NullGUID }

// ReloadTasks lists GET /qrs/reloadtask/full, e.g. Filter "name eq 'Reload License Monitor'".
func (c *Client) ReloadTasks(ctx context.Context, opts ListOptions) ([]ReloadTask, error) {
	return smallList[ReloadTask](ctx, c, "reloadtask/full", opts)
}

// ReloadTask returns GET /qrs/reloadtask/{id}.
func (c *Client) ReloadTask(ctx context.Context, id string) (*ReloadTask, error) {
	var t ReloadTask
	if err := c.get(ctx, "reloadtask/"+esc(id), nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Tasks lists GET /qrs/task/full (all task types).
func (c *Client) Tasks(ctx context.Context, opts ListOptions) ([]Task, error) {
	return smallList[Task](ctx, c, "task/full", opts)
}

// ExecutionResults lists GET /qrs/executionresult/full, e.g.
// ListOptions{Filter: "taskID eq <guid>", OrderBy: "startTime desc"}.
func (c *Client) ExecutionResults(ctx context.Context, opts ListOptions) ([]ExecutionResult, error) {
	return smallList[ExecutionResult](ctx, c, "executionresult/full", opts)
}

// ExecutionSession returns GET /qrs/executionsession/{id}. QRS deletes the session when the
// execution ends, so a 404 is reported as finished=true with no error.
func (c *Client) ExecutionSession(ctx context.Context, id string) (sess *ExecutionSession, finished bool, err error) {
	var s ExecutionSession
	if err := c.get(ctx, "executionsession/"+esc(id), nil, &s); err != nil {
		if IsNotFound(err) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return &s, false, nil
}

// ExecutionSessions lists the running sessions (GET /qrs/executionsession/full).
func (c *Client) ExecutionSessions(ctx context.Context, opts ListOptions) ([]ExecutionSession, error) {
	return smallList[ExecutionSession](ctx, c, "executionsession/full", opts)
}

// SchemaEvents lists GET /qrs/schemaevent/full, e.g. Filter "reloadTask.id eq <guid>".
func (c *Client) SchemaEvents(ctx context.Context, opts ListOptions) ([]SchemaEvent, error) {
	return smallList[SchemaEvent](ctx, c, "schemaevent/full", opts)
}

// CompositeEvents lists GET /qrs/compositeevent/full.
func (c *Client) CompositeEvents(ctx context.Context, opts ListOptions) ([]CompositeEvent, error) {
	return smallList[CompositeEvent](ctx, c, "compositeevent/full", opts)
}

// StartTask starts a task asynchronously: POST /qrs/task/{id}/start (204). Never retried.
func (c *Client) StartTask(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("start task: empty task id")
	}
	return c.doJSON(ctx, request{method: http.MethodPost, path: "task/" + esc(id) + "/start", body: []byte("{}")}, nil)
}

// StartTaskSynchronous starts a task and returns its execution session id:
// POST /qrs/task/{id}/start/synchronous (201 {"value":"guid"}, or a bare string per Swagger).
// An empty or null session id means QRS did not start it; that error wraps ErrTaskNotStarted.
func (c *Client) StartTaskSynchronous(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("start task: empty task id")
	}
	r := request{method: http.MethodPost, path: "task/" + esc(id) + "/start/synchronous", body: []byte("{}")}
	sid, _, err := c.valueString(ctx, r)
	if err != nil {
		return "", err
	}
	if isNullGUID(sid) {
		return "", &Error{Method: r.method, Path: c.displayPath(r), Identity: c.identity, Kind: KindTaskNotStarted, Err: ErrTaskNotStarted,
			Hint: "QRS returned no execution session: the task may be running already (one run at a time: wait for it, or stop it in the QMC), or check in the QMC that the task is enabled, a scheduler node is running (QMC > Schedulers) and the app exists"}
	}
	return sid, nil
}

// WaitExecution polls GET /qrs/executionsession/{sessionID} every poll until it answers 404
// (finished), then returns the execution results of that session (more than one when the task
// retried), newest first. A zero poll means 2s.
func (c *Client) WaitExecution(ctx context.Context, sessionID string, poll time.Duration) ([]ExecutionResult, error) {
	if poll <= 0 {
		poll = 2 * time.Second
	}
	for {
		_, finished, err := c.ExecutionSession(ctx, sessionID)
		if err != nil {
			return nil, fmt.Errorf("wait for execution %s: %w", sessionID, err)
		}
		if finished {
			break
		}
		if err := sleepCtx(ctx, poll); err != nil {
			return nil, fmt.Errorf("wait for execution %s: %w", sessionID, err)
		}
	}
	opts := ListOptions{Filter: "executionID eq " + sessionID, OrderBy: "startTime desc"}
	// The result row can trail the session's deletion by a moment; look a few times.
	for attempt := 0; ; attempt++ {
		res, err := c.ExecutionResults(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("read results of execution %s: %w", sessionID, err)
		}
		if len(res) > 0 || attempt >= 2 {
			if len(res) == 0 {
				return nil, fmt.Errorf("read results of execution %s: the session ended but QRS has no execution result for it", sessionID)
			}
			return res, nil
		}
		if err := sleepCtx(ctx, poll); err != nil {
			return nil, fmt.Errorf("wait for execution %s: %w", sessionID, err)
		}
	}
}
