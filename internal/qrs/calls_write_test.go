package qrs

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestUpdateDataConnectionSendsEntityWithoutReadPassword(t *testing.T) {
	var got map[string]any
	var method, path string
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		method, path = r.Method, r.URL.Path
		b, _ := io.ReadAll(r.Body)
		got = nil
		json.Unmarshal(b, &got)
		writeJSON(w, 200, `{"id":"c1","name":"monitor_apps_REST_app","modifiedDate":"2026-01-02T00:00:00.000Z","username":"CORP\\qservice"}`)
	})
	c, _ := newFake(t, mux, nil)
	cur := DataConnection{Meta: Meta{ID: "c1"}, Name: "monitor_apps_REST_app", ConnectionString: "old", Username: "CORP\\old", Password: "ENCRYPTED"}
	cur.ModifiedDate.Time = mustTime(t, "2026-01-01T10:00:00.123Z")
	out, err := c.UpdateDataConnection(t.Context(), cur, ConnectionUpdate{ConnectionString: "new", Username: "CORP\\qservice"})
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPut || path != "/qrs/dataconnection/c1" {
		t.Errorf("%s %s, want PUT /qrs/dataconnection/c1", method, path)
	}
	if got["modifiedDate"] != "2026-01-01T10:00:00.123Z" || got["id"] != "c1" || got["connectionstring"] != "new" || got["username"] != "CORP\\qservice" {
		t.Errorf("body %v: want id, the modifiedDate as read and the new fields", got)
	}
	if _, ok := got["password"]; ok {
		t.Errorf("the encrypted password read from QRS was sent back: %v", got["password"])
	}
	if out.ModifiedDate.Year() != 2026 || out.Username != "CORP\\qservice" {
		t.Errorf("returned entity %+v", out)
	}
	if _, err := c.UpdateDataConnection(t.Context(), cur, ConnectionUpdate{ConnectionString: "new", Password: "s3cret", SetPassword: true}); err != nil {
		t.Fatal(err)
	}
	if got["password"] != "s3cret" {
		t.Errorf("password not sent when set: %v", got["password"])
	}
}

func TestUpdateDataConnectionConflict(t *testing.T) {
	mux := http.NewServeMux()
	calls := 0
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		calls++
		http.Error(w, "Conflict", http.StatusConflict)
	})
	c, _ := newFake(t, mux, nil)
	_, err := c.UpdateDataConnection(t.Context(), DataConnection{Meta: Meta{ID: "c1"}}, ConnectionUpdate{})
	if !IsConflict(err) || !strings.Contains(err.Error(), "changed on the server") {
		t.Errorf("err = %v, want a 409 with a hint", err)
	}
	if calls != 1 {
		t.Errorf("%d requests: a PUT must not be retried", calls)
	}
}

func TestAddAllocation(t *testing.T) {
	var body, path string
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body, path = string(b), r.Method+" "+r.URL.Path
		writeJSON(w, 201, `{"id":"a1","user":{"id":"u1"}}`)
	})
	c, _ := newFake(t, mux, nil)
	a, err := c.AddAllocation(t.Context(), KindAnalyzer, "u1")
	if err != nil || a.ID != "a1" {
		t.Fatalf("%v %+v", err, a)
	}
	if path != "POST /qrs/license/analyzeraccesstype" || body != `{"user":{"id":"u1"}}` {
		t.Errorf("%s %s", path, body)
	}
	if _, err := c.AddAllocation(t.Context(), KindLogin, "u1"); err == nil {
		t.Error("login access accepted: it is a group, not a per-user allocation")
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
