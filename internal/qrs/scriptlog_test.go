package qrs

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	taskID   = "0c9a4b2e-7a3f-4d0e-9c1b-1f2e3d4c5b6a"
	resultID = "17f49de9-dfc6-4c4c-aa04-bdf39d10bd87"
	fileRef  = "dcc50f73-7957-4371-8f32-6a275922f58e"
	logText  = "20250101T010203.000+0000 Execution started.\r\n20250101T010204.000+0000 Execution finished.\r\n"
)

type logServer struct {
	newPath     int // 0 ok {"value":…}, 1 bare string, 404/405: that status
	oldPath     int // 0 ok, 404 etc.
	early404s   int32
	downloads   atomic.Int32
	newCalls    atomic.Int32
	oldCalls    atomic.Int32
	issued      atomic.Int32
	gotName     atomic.Value
	gotResultID atomic.Value
	gotFileRef  atomic.Value
}

func (s *logServer) mux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/reloadtask/{id}/scriptlogfile", func(w http.ResponseWriter, r *http.Request) {
		s.newCalls.Add(1)
		s.gotResultID.Store(r.URL.Query().Get("executionResultId"))
		switch s.newPath {
		case 0:
			writeJSON(w, 200, `{"value":"ticket-new-`+string(rune('0'+s.issued.Add(1)))+`"}`)
		case 1:
			writeJSON(w, 200, `"ticket-new-bare"`)
		default:
			http.Error(w, "not found", s.newPath)
		}
	})
	mux.HandleFunc("GET /qrs/reloadtask/{id}/scriptlog", func(w http.ResponseWriter, r *http.Request) {
		s.oldCalls.Add(1)
		s.gotFileRef.Store(r.URL.Query().Get("fileReferenceId"))
		if s.oldPath != 0 {
			http.Error(w, "not found", s.oldPath)
			return
		}
		writeJSON(w, 200, `{"value":"ticket-old"}`)
	})
	mux.HandleFunc("GET /qrs/download/reloadtask/{ticket}/{name}", func(w http.ResponseWriter, r *http.Request) {
		n := s.downloads.Add(1)
		s.gotName.Store(r.PathValue("name"))
		if n <= s.early404s {
			http.Error(w, "not found", 404)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, logText)
	})
	return mux
}

func last() *ExecutionResultCondensed {
	return &ExecutionResultCondensed{ID: resultID, FileReferenceID: fileRef, Status: StatusFinishedFail}
}

func readAll(t *testing.T, rc io.ReadCloser) string {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var fastLog = ScriptLogOptions{Delay: time.Millisecond}

func TestFetchScriptLogNewerPath(t *testing.T) {
	for _, shape := range []int{0, 1} {
		s := &logServer{newPath: shape}
		c, _ := newFake(t, s.mux(), nil)
		task := &ReloadTask{Meta: Meta{ID: taskID}, Name: "Reload License Monitor", Operational: &TaskOperational{LastExecutionResult: last()}}
		rc, used, err := c.FetchTaskScriptLog(t.Context(), task, fastLog)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, rc); got != logText {
			t.Errorf("log = %q", got)
		}
		if !strings.Contains(used, "/qrs/reloadtask/"+taskID+"/scriptlogfile?executionResultId="+resultID) {
			t.Errorf("used = %q", used)
		}
		if s.gotResultID.Load() != resultID || s.oldCalls.Load() != 0 {
			t.Errorf("executionResultId %v, old calls %d", s.gotResultID.Load(), s.oldCalls.Load())
		}
		if s.gotName.Load() != "Reload License Monitor.log" {
			t.Errorf("download name = %v", s.gotName.Load())
		}
	}
}

func TestFetchScriptLogFallsBackToOlderPath(t *testing.T) {
	for _, status := range []int{404, 400, 405} {
		s := &logServer{newPath: status}
		c, _ := newFake(t, s.mux(), nil)
		rc, used, err := c.FetchScriptLog(t.Context(), taskID, last(), fastLog)
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		if readAll(t, rc) != logText || !strings.Contains(used, "/scriptlog?fileReferenceId="+fileRef) {
			t.Errorf("%d: used %q", status, used)
		}
		if s.gotFileRef.Load() != fileRef {
			t.Errorf("fileReferenceId = %v", s.gotFileRef.Load())
		}
	}
}

func TestFetchScriptLogRetriesEarly404(t *testing.T) {
	s := &logServer{early404s: 2}
	c, _ := newFake(t, s.mux(), nil)
	rc, _, err := c.FetchScriptLog(t.Context(), taskID, last(), fastLog)
	if err != nil {
		t.Fatal(err)
	}
	if readAll(t, rc) != logText || s.downloads.Load() != 3 || s.newCalls.Load() != 3 {
		t.Errorf("downloads %d, ticket calls %d; want 3 and 3 (fresh ticket per attempt)", s.downloads.Load(), s.newCalls.Load())
	}

	s = &logServer{early404s: 10}
	c, _ = newFake(t, s.mux(), nil)
	_, _, err = c.FetchScriptLog(t.Context(), taskID, last(), ScriptLogOptions{Attempts: 2, Delay: time.Millisecond})
	if !IsNotFound(err) || s.downloads.Load() != 2 {
		t.Fatalf("err %v after %d downloads", err, s.downloads.Load())
	}
	if e, _ := asError(err); !strings.Contains(e.Hint, "after 2 attempts") {
		t.Errorf("hint %q", e.Hint)
	}
}

func TestFetchScriptLogNoLog(t *testing.T) {
	// Newer call unknown, execution has the null file reference: no request to the older call.
	s := &logServer{newPath: 404}
	c, _ := newFake(t, s.mux(), nil)
	l := last()
	l.FileReferenceID = NullGUID
	_, _, err := c.FetchScriptLog(t.Context(), taskID, l, fastLog)
	if !IsNoScriptLog(err) || !errors.Is(err, ErrNoScriptLog) || s.oldCalls.Load() != 0 {
		t.Fatalf("err %v, old calls %d", err, s.oldCalls.Load())
	}
	if e, _ := asError(err); !strings.Contains(e.Hint, "null GUID") {
		t.Errorf("hint %q", e.Hint)
	}

	// Both calls 404.
	s = &logServer{newPath: 404, oldPath: 404}
	c, _ = newFake(t, s.mux(), nil)
	_, _, err = c.FetchScriptLog(t.Context(), taskID, last(), fastLog)
	if !IsNoScriptLog(err) {
		t.Fatalf("err %v", err)
	}
	// Never ran.
	_, _, err = c.FetchScriptLog(t.Context(), taskID, nil, fastLog)
	if !IsNoScriptLog(err) {
		t.Fatalf("nil execution: %v", err)
	}
	// Other errors are not "no log".
	s = &logServer{newPath: 403}
	c, _ = newFake(t, s.mux(), nil)
	_, _, err = c.FetchScriptLog(t.Context(), taskID, last(), fastLog)
	if IsNoScriptLog(err) || !IsStatus(err, http.StatusForbidden) {
		t.Fatalf("403 should surface, got %v", err)
	}
	if _, err := c.ScriptLogTicketByFileRef(t.Context(), taskID, NullGUID); !IsNoScriptLog(err) {
		t.Fatalf("null file reference: %v", err)
	}
}
