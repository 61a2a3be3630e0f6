package sim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

// monitorConns returns the monitor_apps_REST_* connections (full).
func monitorConns(t *testing.T, h http.Handler) []map[string]any {
	t.Helper()
	return list(t, h, "/qrs/dataconnection/full?filter="+q("name sw 'monitor_apps_REST_'"))
}

// put sends the entity back with changes, as a client does.
func put(t *testing.T, h http.Handler, c map[string]any, change map[string]any) (int, map[string]any) {
	t.Helper()
	body := map[string]any{}
	for k, v := range c {
		body[k] = v
	}
	// QRS returns the password empty or encrypted; sending that back would
	// store it, so clients leave it out unless they set one.
	delete(body, "password")
	for k, v := range change {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	w := call(t, h, "PUT", "/qrs/dataconnection/"+c["id"].(string), string(b))
	var out map[string]any
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
	} else {
		out = map[string]any{"body": w.Body.String()}
	}
	return w.Code, out
}

// runLM starts the License Monitor and returns the status of its new run.
func runLM(t *testing.T, h http.Handler) float64 {
	t.Helper()
	lm := lmTask(t, h)
	if w := call(t, h, "POST", "/qrs/task/"+lm["id"].(string)+"/start/synchronous", ""); w.Code != http.StatusCreated {
		t.Fatalf("start: %d %s", w.Code, w.Body.String())
	}
	return lastResult(lmTask(t, h))["status"].(float64)
}

func TestPutConnectionModifiedDate(t *testing.T) {
	h := newSite(t, sim.Options{Scenario: "healthy"}).Handler()
	c := monitorConns(t, h)[0]
	code, updated := put(t, h, c, map[string]any{"username": `CORP\other`})
	if code != http.StatusOK || updated["username"] != `CORP\other` {
		t.Fatalf("PUT: %d %v", code, updated)
	}
	if updated["modifiedDate"] == c["modifiedDate"] || updated["password"] != "" {
		t.Errorf("modifiedDate %v (was %v), password %q: want a new date and no password", updated["modifiedDate"], c["modifiedDate"], updated["password"])
	}
	// the entity read before the change is stale now
	code, out := put(t, h, c, map[string]any{"username": `CORP\third`})
	if code != http.StatusConflict || !strings.Contains(out["body"].(string), "Conflict") {
		t.Errorf("stale PUT: %d %v, want 409", code, out)
	}
	if got := object(t, h, "/qrs/dataconnection/"+c["id"].(string))["username"]; got != `CORP\other` {
		t.Errorf("after the 409 the username is %v, want the first update kept", got)
	}
	delete(c, "modifiedDate")
	if code, _ := put(t, h, c, nil); code != http.StatusBadRequest {
		t.Errorf("PUT without modifiedDate: %d, want 400", code)
	}
}

func TestRepairChangesTheNextReload(t *testing.T) {
	cases := []struct {
		scenario string
		change   func(c map[string]any) map[string]any
		want     float64
	}{
		{"lm-failing-rest-401", func(map[string]any) map[string]any { return map[string]any{"password": "wrong"} }, 8},
		{"lm-failing-rest-401", func(map[string]any) map[string]any { return map[string]any{"password": sim.DefaultServicePassword} }, 7},
		{"lm-failing-rest-401", func(map[string]any) map[string]any {
			return map[string]any{"password": sim.DefaultServicePassword, "username": `CORP\someoneelse`}
		}, 8},
		{"lm-failing-rest-404", func(c map[string]any) map[string]any {
			return map[string]any{"connectionstring": strings.Replace(c["connectionstring"].(string), "https://localhost/qrs/", "https://localhost/windows/qrs/", 1)}
		}, 7},
		{"lm-failing-rest-404", func(map[string]any) map[string]any { return map[string]any{"password": sim.DefaultServicePassword} }, 8},
		// NTLM with the right password still fails when the proxy uses Kerberos.
		{"ntlm-kerberos", func(map[string]any) map[string]any { return map[string]any{"password": sim.DefaultServicePassword} }, 8},
		{"ntlm-kerberos", func(c map[string]any) map[string]any {
			cs := c["connectionstring"].(string)
			cs = strings.Replace(cs, "https://localhost/qrs/", "https://qlikserver1.corp.example:4242/qrs/", 1)
			cs = strings.Replace(cs, "useCertificate=No", "useCertificate=FromFile", 1)
			return map[string]any{"connectionstring": cs, "username": ""}
		}, 7},
	}
	for _, tc := range cases {
		h := newSite(t, sim.Options{Scenario: tc.scenario}).Handler()
		if got := runLM(t, h); got != 8 {
			t.Fatalf("%s: before the repair the run ended %v, want 8 (FinishedFail)", tc.scenario, got)
		}
		for _, c := range monitorConns(t, h) {
			if code, out := put(t, h, c, tc.change(c)); code != http.StatusOK {
				t.Fatalf("%s: PUT %s: %d %v", tc.scenario, c["name"], code, out)
			}
		}
		if got := runLM(t, h); got != tc.want {
			_, log := downloadLog(t, h, lmTask(t, h))
			t.Errorf("%s: after %v the run ended %v, want %v; log ends %q", tc.scenario, tc.change(monitorConns(t, h)[0]), got, tc.want, log[max(0, len(log)-300):])
		}
	}
}

func TestPostAllocationNeedsAFreeSeat(t *testing.T) {
	s := newSite(t, sim.Options{Scenario: "lm-failing-syntax-error+at-capacity", QuarantineModel: "lef"})
	h := s.Handler()
	ov := object(t, h, "/qrs/license/accesstypeoverview")["professionalAccess"].(map[string]any)
	users := list(t, h, "/qrs/user/full")
	allocated := map[string]bool{}
	for _, typ := range []string{"professional", "analyzer"} {
		for _, a := range list(t, h, "/qrs/license/"+typ+"accesstype/full") {
			allocated[a["user"].(map[string]any)["id"].(string)] = true
		}
	}
	var free []string
	for _, u := range users {
		if !allocated[u["id"].(string)] {
			free = append(free, u["id"].(string))
		}
	}
	seats := int(ov["total"].(float64) - ov["allocated"].(float64) - ov["quarantined"].(float64))
	if len(free) <= seats+1 {
		t.Fatalf("test site too small: %d users without allocation, %d free seats", len(free), seats)
	}
	for i := 0; i < max(seats, 0); i++ {
		if w := call(t, h, "POST", "/qrs/license/professionalaccesstype", `{"user":{"id":"`+free[i]+`"}}`); w.Code != http.StatusCreated {
			t.Fatalf("POST %d of %d free seats: %d %s", i+1, seats, w.Code, w.Body.String())
		}
	}
	w := call(t, h, "POST", "/qrs/license/professionalaccesstype", `{"user":{"id":"`+free[len(free)-1]+`"}}`)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "all are taken") {
		t.Errorf("POST with no free seat: %d %q, want 400", w.Code, w.Body.String())
	}
}

func TestPostReinstatesAQuarantinedAllocation(t *testing.T) {
	s := newSite(t, sim.Options{Scenario: "healthy", QuarantineModel: "lef"})
	h := s.Handler()
	var used map[string]any
	for _, a := range list(t, h, "/qrs/license/professionalaccesstype/full") {
		if lu, err := time.Parse(time.RFC3339Nano, a["lastUsed"].(string)); err == nil && fixedNow.Sub(lu) < 3*24*time.Hour && a["excess"] == false {
			used = a
			break
		}
	}
	if used == nil {
		t.Fatal("no recently used allocation")
	}
	if w := call(t, h, "DELETE", "/qrs/license/professionalaccesstype/"+used["id"].(string), ""); w.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", w.Code)
	}
	if q := object(t, h, "/qrs/license/professionalaccesstype/"+used["id"].(string)); q["quarantined"] != true {
		t.Fatalf("not quarantined: %v", q)
	}
	uid := used["user"].(map[string]any)["id"].(string)
	w := call(t, h, "POST", "/qrs/license/professionalaccesstype", `{"user":{"id":"`+uid+`"}}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", w.Code, w.Body.String())
	}
	if back := object(t, h, "/qrs/license/professionalaccesstype/"+used["id"].(string)); back["quarantined"] != false {
		t.Errorf("the same allocation is not reinstated: %v", back)
	}
}

func TestPostUserAccessOnlyWithTokens(t *testing.T) {
	h := newSite(t, sim.Options{Scenario: "healthy"}).Handler()
	var free string
	allocated := map[string]bool{}
	for _, typ := range []string{"professional", "analyzer"} {
		for _, a := range list(t, h, "/qrs/license/"+typ+"accesstype/full") {
			allocated[a["user"].(map[string]any)["id"].(string)] = true
		}
	}
	for _, u := range list(t, h, "/qrs/user/full") {
		if !allocated[u["id"].(string)] {
			free = u["id"].(string)
		}
	}
	if w := call(t, h, "POST", "/qrs/license/useraccesstype", `{"user":{"id":"`+free+`"}}`); w.Code != http.StatusBadRequest {
		t.Errorf("user access pass on a signed key: %d %s, want 400", w.Code, w.Body.String())
	}
}
