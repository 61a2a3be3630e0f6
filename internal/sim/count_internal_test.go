package sim

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// TestCountEveryCollection: GET /qrs/{type}/count?filter= answers the
// length of GET /qrs/{type}?filter= for every collection the simulator
// lists, as third-party QRS clients rely on.
func TestCountEveryCollection(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	get := func(t *testing.T, s *Site, path string, out any) {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		q := r.URL.Query()
		q.Set("xrfkey", "abcdefghijklmnop")
		r.URL.RawQuery = q.Encode()
		r.Header.Set("X-Qlik-Xrfkey", "abcdefghijklmnop")
		r.Header.Set("X-Qlik-User", "UserDirectory=INTERNAL; UserId=sa_api")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
		}
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	specific := map[string][]string{
		"user":                           {"userDirectory eq 'CORP' and inactive eq false", "userId sw 'a'"},
		"license/professionalaccesstype": {"excess eq false and quarantined eq false", "user.userDirectory eq 'CORP'", "lastUsed le '2026-03-01T00:00:00.000Z'"},
		"license/analyzeraccesstype":     {"quarantined eq false", "createdDate ge '2026-01-01T00:00:00.000Z'"},
		"license/useraccesstype":         {"quarantined eq false"},
		"reloadtask":                     {"name eq 'Reload License Monitor'", "enabled eq true"},
		"executionresult":                {"status eq FinishedSuccess"},
		"app":                            {"published eq true"},
	}
	for _, scenario := range []string{"at-capacity", "tokens"} {
		s, err := New(Options{Users: 120, HistoryDays: 14, Scenario: scenario, Seed: 3, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range collectionNames {
			var all []map[string]any
			get(t, s, "/qrs/"+name, &all)
			filters := append([]string{"", "createdDate ge '2026-02-20T00:00:00.000Z'"}, specific[name]...)
			if len(all) > 0 {
				filters = append(filters, "id eq "+all[0]["id"].(string))
			}
			for _, f := range filters {
				var rows []map[string]any
				var cnt struct{ Value *int }
				get(t, s, "/qrs/"+name+"?filter="+url.QueryEscape(f), &rows)
				get(t, s, "/qrs/"+name+"/count?filter="+url.QueryEscape(f), &cnt)
				if cnt.Value == nil || *cnt.Value != len(rows) {
					t.Errorf("%s: /%s/count?filter=%s = %v, list has %d", scenario, name, f, cnt.Value, len(rows))
				}
			}
		}
	}
}
