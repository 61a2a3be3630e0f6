package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// serveTaskAction handles start, scriptlog and scriptlogfile. It reports
// whether it handled the request.
func (s *Site) serveTaskAction(w http.ResponseWriter, r *http.Request, segs, raw []string) bool {
	last := segs[len(segs)-1]
	// /task/start[/synchronous]?name= , /task/start/many
	if segs[0] == "task" && len(segs) >= 2 && segs[1] == "start" {
		if r.Method != http.MethodPost {
			textError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return true
		}
		if len(segs) == 3 && segs[2] == "many" {
			var ids []string
			if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
				textError(w, http.StatusBadRequest, "Bad request: body must be a JSON array of task ids")
				return true
			}
			s.mu.Lock()
			for _, id := range ids {
				if t := s.taskByID(id); t != nil && t.Enabled && !s.running(t) {
					s.runNow(t)
				}
			}
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		name := r.URL.Query().Get("name")
		s.mu.Lock()
		t := s.taskByName(name)
		s.startResponse(w, t, len(segs) == 3 && segs[2] == "synchronous")
		s.mu.Unlock()
		return true
	}
	if len(segs) < 3 || !isGUID(segs[1]) {
		return false
	}
	switch {
	case (last == "start" && len(segs) == 3) || (last == "synchronous" && len(segs) == 4 && segs[2] == "start"):
		if r.Method != http.MethodPost {
			textError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.startResponse(w, s.taskByID(segs[1]), last == "synchronous")
		return true
	case last == "scriptlog" || last == "scriptlogfile":
		s.mu.Lock()
		defer s.mu.Unlock()
		t := s.taskByID(segs[1])
		if t == nil {
			textError(w, http.StatusNotFound, "Not found")
			return true
		}
		var res *ExecResult
		q := r.URL.Query()
		for _, x := range t.Results {
			if (last == "scriptlogfile" && strings.EqualFold(x.ID, q.Get("executionResultId"))) ||
				(last == "scriptlog" && strings.EqualFold(x.FileRefID, q.Get("fileReferenceId"))) {
				res = x
			}
		}
		if res == nil || res.FileRefID == NullGUID || res.ScriptLogLocation == "" {
			textError(w, http.StatusNotFound, "Not found")
			return true
		}
		tk := guid(s.hourRand(s.now.UnixNano(), uint64(len(s.tickets))+99))
		s.tickets[tk] = ticket{taskID: t.ID, resultID: res.ID}
		writeJSON(w, http.StatusOK, vo(obj{{"value", vs(tk)}}), false)
		return true
	case last == "stop" && len(segs) == 3:
		s.mu.Lock()
		defer s.mu.Unlock()
		for id, ss := range s.sessions {
			if strings.EqualFold(ss.Task.ID, segs[1]) {
				ss.Result.failure = FailAborted
				ss.Result.Details = append(ss.Result.Details, Detail{ID: hexGUID(id + "stop"), Type: 2, Message: "Changing task state from Started to AbortInitiated", Created: s.now})
				ss.EndsAt = s.now
				s.finishRunAborted(ss)
				delete(s.sessions, id)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

func (s *Site) finishRunAborted(ss *session) {
	res := ss.Result
	res.Status = StatusAborted
	res.Stop = s.now
	res.Details = append(res.Details, Detail{ID: hexGUID(res.ID + "aborted"), Type: 2, Message: "Changing task state from Aborting to Aborted", Created: s.now})
	res.counts = s.countsAt(res.Start)
}

// running reports whether t has a run in progress now: an execution
// session, or a run of its history (a scheduled one) that started and has
// not ended.
func (s *Site) running(t *Task) bool {
	for _, ss := range s.sessions {
		if ss.Task == t {
			return true
		}
	}
	for _, r := range t.Results {
		if !r.Start.After(s.now) && (r.Stop.Equal(Never) || r.Stop.After(s.now)) && !r.Start.IsZero() {
			return true
		}
	}
	return false
}

func (s *Site) taskByID(id string) *Task {
	for _, t := range s.tasks {
		if strings.EqualFold(t.ID, id) {
			return t
		}
	}
	return nil
}

// startResponse starts t and writes 204 (async) or 201 {"value": session}
// (sync; the empty GUID when the task cannot start).
func (s *Site) startResponse(w http.ResponseWriter, t *Task, sync bool) {
	if t == nil {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	sessID := NullGUID
	// As Qlik's scheduler, one run of a task at a time: a start while it
	// runs is refused ("Already active session found"), and the
	// synchronous start answers the null session.
	if t.Enabled && !s.running(t) {
		sessID = s.runNow(t).ID
	}
	if !sync {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusCreated, vo(obj{{"value", vs(sessID)}}), false)
}

// serveDownload serves a script log for a single-use ticket.
func (s *Site) serveDownload(w http.ResponseWriter, r *http.Request, tk string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[strings.ToLower(tk)]
	if !ok {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	delete(s.tickets, strings.ToLower(tk))
	res := s.results[t.resultID]
	if res == nil {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	if n := s.download404[res.ID]; n > 0 {
		s.download404[res.ID] = n - 1
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	body := s.scriptLog(res)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename=\""+url.PathEscape(res.Task.Name)+".log\"")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
