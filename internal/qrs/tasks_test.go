package qrs

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestStartTaskSynchronous(t *testing.T) {
	const sid = "5b1efea7-f03a-48fb-b54b-4055f1056ac8"
	cases := []struct {
		body    string
		want    string
		started bool
	}{
		{`{"value":"` + sid + `"}`, sid, true},
		{`"` + sid + `"`, sid, true},
		{`{"value":"00000000-0000-0000-0000-000000000000"}`, "", false},
		{`{"value":""}`, "", false},
		{`null`, "", false},
	}
	for _, tc := range cases {
		mux := http.NewServeMux()
		var posts atomic.Int32
		mux.HandleFunc("POST /qrs/task/{id}/start/synchronous", func(w http.ResponseWriter, r *http.Request) {
			posts.Add(1)
			writeJSON(w, http.StatusCreated, tc.body)
		})
		c, _ := newFake(t, mux, nil)
		got, err := c.StartTaskSynchronous(t.Context(), "t1")
		if tc.started {
			if err != nil || got != tc.want {
				t.Errorf("%s: got %q, %v", tc.body, got, err)
			}
			continue
		}
		if !IsKind(err, KindTaskNotStarted) || !errors.Is(err, ErrTaskNotStarted) {
			t.Errorf("%s: want task-not-started, got %q %v", tc.body, got, err)
		}
		if posts.Load() != 1 {
			t.Errorf("posts = %d", posts.Load())
		}
	}
}

func TestStartTaskAndDeleteAllocation(t *testing.T) {
	var started, deleted atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("POST /qrs/task/{id}/start", func(w http.ResponseWriter, r *http.Request) {
		started.Store(r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /qrs/license/professionalaccesstype/{id}", func(w http.ResponseWriter, r *http.Request) {
		deleted.Store(r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /qrs/license/professionalaccesstype/count", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter") != "quarantined eq true" {
			http.Error(w, "Cannot parse the expression", 400)
			return
		}
		writeJSON(w, 200, `{"value":42}`)
	})
	c, _ := newFake(t, mux, nil)
	if err := c.StartTask(t.Context(), "abc"); err != nil || started.Load() != "abc" {
		t.Fatalf("start: %v %v", err, started.Load())
	}
	if err := c.DeleteAllocation(t.Context(), KindProfessional, "a1"); err != nil || deleted.Load() != "a1" {
		t.Fatalf("delete: %v %v", err, deleted.Load())
	}
	if err := c.DeleteAllocation(t.Context(), "token", "a1"); err == nil {
		t.Fatal("unknown kind accepted")
	}
	n, err := c.Count(t.Context(), "/qrs/license/professionalaccesstype", "quarantined eq true")
	if err != nil || n != 42 {
		t.Fatalf("count = %d, %v", n, err)
	}
}

func TestWaitExecution(t *testing.T) {
	const sid = "11111111-2222-3333-4444-555555555555"
	var polls atomic.Int32
	var filter, orderby atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("GET /qrs/executionsession/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != sid {
			http.Error(w, "wrong id", 400)
			return
		}
		if polls.Add(1) <= 2 {
			writeJSON(w, 200, fmt.Sprintf(`{"id":"%s","executionResult":{"status":2},"reloadTask":{"id":"t1","name":"Reload License Monitor"}}`, sid))
			return
		}
		http.Error(w, "", 404)
	})
	mux.HandleFunc("GET /qrs/executionresult/full", func(w http.ResponseWriter, r *http.Request) {
		filter.Store(r.URL.Query().Get("filter"))
		orderby.Store(r.URL.Query().Get("orderby"))
		writeJSON(w, 200, fmt.Sprintf(`[{"id":"r1","executionID":"%s","taskID":"t1","status":8,"duration":1200,
			"startTime":"2025-06-01T10:00:00.000Z","stopTime":"2025-06-01T10:00:01.200Z",
			"details":[{"detailsType":0,"message":"Changing task state from Started to FinishedFail","detailCreatedDate":"2025-06-01T10:00:01.100Z"}]}]`, sid))
	})
	c, _ := newFake(t, mux, nil)
	sess, finished, err := c.ExecutionSession(t.Context(), sid)
	if err != nil || finished || sess.ReloadTask.Name != "Reload License Monitor" || sess.ExecutionResult.Status != StatusStarted {
		t.Fatalf("session %+v finished=%v err=%v", sess, finished, err)
	}
	res, err := c.WaitExecution(t.Context(), sid, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if polls.Load() != 3 || len(res) != 1 || res[0].Status != StatusFinishedFail || !res[0].Status.IsFailure() {
		t.Fatalf("polls %d results %+v", polls.Load(), res)
	}
	if res[0].Details[0].DetailsType != DetailsError || res[0].StopTime.Sub(res[0].StartTime.Time) != 1200*time.Millisecond {
		t.Errorf("details/time decode: %+v", res[0])
	}
	if filter.Load() != "executionID eq "+sid || orderby.Load() != "startTime desc" {
		t.Errorf("filter %v orderby %v", filter.Load(), orderby.Load())
	}
}
