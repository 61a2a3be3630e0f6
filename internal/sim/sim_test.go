package sim_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

var determinismPaths = []string{"/qrs/user/full", "/qrs/license/professionalaccesstype/full", "/qrs/license/analyzeraccesstype/full",
	"/qrs/license/accesstypeoverview", "/qrs/license", "/qrs/reloadtask/full", "/qrs/executionresult/full", "/qrs/app/object/full",
	"/qrs/dataconnection/full", "/qrs/license/analyzertimeaccessusage/full", "/qrs/event/full"}

func TestDeterministicBySeed(t *testing.T) {
	a := newSite(t, sim.Options{Seed: 42, Users: 150}).Handler()
	b := newSite(t, sim.Options{Seed: 42, Users: 150}).Handler()
	c := newSite(t, sim.Options{Seed: 43, Users: 150}).Handler()
	for _, p := range determinismPaths {
		ba, bb := call(t, a, "GET", p, "").Body.Bytes(), call(t, b, "GET", p, "").Body.Bytes()
		if !bytes.Equal(ba, bb) {
			t.Errorf("%s differs between two sites with the same seed", p)
		}
	}
	if bytes.Equal(call(t, a, "GET", "/qrs/user/full", "").Body.Bytes(), call(t, c, "GET", "/qrs/user/full", "").Body.Bytes()) {
		t.Error("different seeds gave identical users")
	}
}

// TestAdvance moves two identical sites 10 days forward, one in a single
// step and one in uneven chunks: the API output must be identical, counts
// must change plausibly and Truth must match what the API serves.
func TestAdvance(t *testing.T) {
	one := newSite(t, sim.Options{Seed: 5, Users: 400})
	chunked := newSite(t, sim.Options{Seed: 5, Users: 400})
	h := one.Handler()
	before := object(t, h, "/qrs/license/accesstypeoverview")
	lmBefore := len(list(t, h, "/qrs/executionresult?filter="+q("taskID eq "+lmTask(t, h)["id"].(string))))
	trig := list(t, h, "/qrs/schemaevent?filter="+q("name eq 'Reload License Monitor Schema'"))[0]["operational"].(map[string]any)["timesTriggered"].(float64)

	one.Advance(10 * 24 * time.Hour)
	for _, d := range []time.Duration{90 * time.Minute, 37 * time.Hour, 3 * 24 * time.Hour, 5*24*time.Hour + 9*time.Hour + 30*time.Minute} {
		chunked.Advance(d)
	}
	if !one.Now().Equal(chunked.Now()) {
		t.Fatalf("clocks differ: %v %v", one.Now(), chunked.Now())
	}
	for _, p := range determinismPaths {
		if !bytes.Equal(call(t, h, "GET", p, "").Body.Bytes(), call(t, chunked.Handler(), "GET", p, "").Body.Bytes()) {
			t.Errorf("%s depends on how Advance was chunked", p)
		}
	}

	after := object(t, h, "/qrs/license/accesstypeoverview")
	trig2 := list(t, h, "/qrs/schemaevent?filter="+q("name eq 'Reload License Monitor Schema'"))[0]["operational"].(map[string]any)["timesTriggered"].(float64)
	if trig2-trig != 240 {
		t.Errorf("LM trigger fired %v times in 10 days, want 240", trig2-trig)
	}
	lmAfter := len(list(t, h, "/qrs/executionresult?filter="+q("taskID eq "+lmTask(t, h)["id"].(string))))
	if lmAfter <= lmBefore && lmBefore < 1000 {
		t.Errorf("execution history did not grow: %d → %d", lmBefore, lmAfter)
	}
	last := lastResult(lmTask(t, h))
	st, _ := time.Parse(time.RFC3339, last["startTime"].(string))
	if one.Now().Sub(st) > time.Hour {
		t.Errorf("last LM run %v is more than an hour before %v", st, one.Now())
	}
	pb, pa := before["professionalAccess"].(map[string]any), after["professionalAccess"].(map[string]any)
	ab, aa := pb["allocated"].(float64), pa["allocated"].(float64)
	if aa < ab || aa > ab*1.2 {
		t.Errorf("professional allocated %v → %v over 10 days: implausible", ab, aa)
	}
	// lastUsed moved: some allocations were used in the last day
	recent := list(t, h, "/qrs/license/professionalaccesstype?filter="+q("lastUsed gt '"+one.Now().Add(-48*time.Hour).Format(time.RFC3339)+"'"))
	if len(recent) == 0 {
		t.Error("no allocation used in the last 48 hours")
	}

	tr := one.Truth(one.Now())
	if int(pa["allocated"].(float64)) != tr.Professional.Allocated || int(pa["total"].(float64)) != tr.Professional.Total ||
		int(pa["used"].(float64)) != tr.Professional.Used || int(pa["excess"].(float64)) != tr.Professional.Excess ||
		int(pa["available"].(float64)) != tr.Professional.Available {
		t.Errorf("Truth %+v vs API %v", tr.Professional, pa)
	}
	old := one.Truth(fixedNow)
	if int(pb["allocated"].(float64)) != old.Professional.Allocated {
		t.Errorf("Truth at build %+v vs API then %v", old.Professional, pb)
	}
	mid := one.Truth(fixedNow.Add(5*24*time.Hour + 30*time.Minute))
	if !mid.At.Equal(fixedNow.Add(5 * 24 * time.Hour)) {
		t.Errorf("Truth(mid) recorded at %v", mid.At)
	}
	g := one.GroundTruth()
	n := 0
	for _, u := range g.Users {
		if u.Type == "professional" && !u.Quarantined {
			n++
		}
	}
	if n != tr.Professional.Allocated {
		t.Errorf("GroundTruth users with professional %d vs %d", n, tr.Professional.Allocated)
	}
}

func TestRealisticHistory(t *testing.T) {
	s := newSite(t, sim.Options{Users: 1000, HistoryDays: 120})
	h := s.Handler()
	allocs := list(t, h, "/qrs/license/professionalaccesstype/full")
	users := list(t, h, "/qrs/user/full?filter="+q("userDirectory eq 'CORP'"))
	var inHistory, stale, weekend, weekday int
	start := fixedNow.AddDate(0, 0, -120)
	for _, a := range allocs {
		c, _ := time.Parse(time.RFC3339, a["createdDate"].(string))
		lu, _ := time.Parse(time.RFC3339, a["lastUsed"].(string))
		if lu.Before(c) {
			t.Fatalf("lastUsed %v before createdDate %v", lu, c)
		}
		if c.After(start) {
			inHistory++
		}
		if fixedNow.Sub(lu) > 60*24*time.Hour {
			stale++
		}
		if wd := lu.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		} else {
			weekday++
		}
	}
	ratio := float64(len(allocs)) / float64(len(users))
	if ratio < 0.45 || ratio > 0.7 {
		t.Errorf("professional share %.2f of users", ratio)
	}
	if inHistory < len(allocs)/10 {
		t.Errorf("only %d of %d allocations created during the history (no growth trend)", inHistory, len(allocs))
	}
	if stale == 0 {
		t.Error("no stale allocations (leavers, dormant users)")
	}
	if weekend*3 > weekday/2 {
		t.Errorf("weekend use %d vs weekday %d: no weekly seasonality", weekend, weekday)
	}
	inactive := list(t, h, "/qrs/user?filter="+q("inactive eq true or removedExternally eq true"))
	if len(inactive) == 0 {
		t.Error("no inactive or removed users")
	}
	excess := list(t, h, "/qrs/license/professionalaccesstype?filter="+q("excess eq true"))
	if len(excess) != 0 {
		t.Errorf("%d excess allocations on a site whose license was never reduced", len(excess))
	}
	// authoring: objects owned by some Professional users only
	objs := list(t, h, "/qrs/app/object/full")
	owners := map[string]bool{}
	for _, o := range objs {
		owners[o["owner"].(map[string]any)["id"].(string)] = true
	}
	profUsers := map[string]bool{}
	for _, a := range allocs {
		profUsers[a["user"].(map[string]any)["id"].(string)] = true
	}
	for id := range owners {
		if !profUsers[id] {
			t.Errorf("app object owner %s has no Professional allocation", id)
			break
		}
	}
	if len(owners) == 0 || len(owners) >= len(profUsers) {
		t.Errorf("%d authors among %d Professional users", len(owners), len(profUsers))
	}
	if u := list(t, h, "/qrs/license/professionalaccessusage/full"); len(u) == 0 {
		t.Error("no professional usage sessions")
	}
}

func TestProxy(t *testing.T) {
	s := newSite(t, sim.Options{Users: 10})
	key := []byte("secret-key-for-tests")
	h := s.ProxyHandler([]sim.VirtualProxy{{Prefix: "jwt", Auth: "jwt", JWTKey: key}, {Prefix: "hdr", Auth: "header", HeaderName: "hdr-usr"}})
	do := func(path string, set func(r *http.Request)) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path+"?xrfkey="+xrf, nil)
		r.Header.Set("X-Qlik-Xrfkey", xrf)
		set(r)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("/jwt/qrs/about", func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+sim.MintJWT(key, "CORP", "qlikadmin", time.Hour))
	})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "buildVersion") {
		t.Fatalf("jwt: %d %s", w.Code, w.Body.String())
	}
	if !strings.Contains(w.Header().Get("Set-Cookie"), "X-Qlik-Session-jwt=") {
		t.Errorf("session cookie %q", w.Header().Get("Set-Cookie"))
	}
	for name, tok := range map[string]string{
		"wrong key": sim.MintJWT([]byte("other"), "CORP", "qlikadmin", time.Hour),
		"expired":   sim.MintJWT(key, "CORP", "qlikadmin", -time.Minute),
		"garbage":   "abc.def",
	} {
		if w := do("/jwt/qrs/about", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }); w.Code != 401 {
			t.Errorf("%s token: %d", name, w.Code)
		}
	}
	if w := do("/jwt/qrs/about", func(r *http.Request) {}); w.Code != 401 {
		t.Errorf("no token: %d", w.Code)
	}
	if w := do("/hdr/qrs/license/accesstypeoverview", func(r *http.Request) { r.Header.Set("hdr-usr", `CORP\qlikadmin`) }); w.Code != 200 {
		t.Errorf("header auth: %d", w.Code)
	}
	if w := do("/hdr/qrs/about", func(r *http.Request) {}); w.Code != 401 {
		t.Errorf("header missing: %d", w.Code)
	}
	if w := do("/nope/qrs/about", func(r *http.Request) {}); w.Code != 404 {
		t.Errorf("unknown prefix: %d", w.Code)
	}
	r := httptest.NewRequest("GET", "/hdr/qrs/about", nil)
	r.Header.Set("hdr-usr", `CORP\qlikadmin`)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 403 || w.Body.String() != sim.XSRFFailure {
		t.Errorf("proxy without xrfkey: %d", w.Code)
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := newSite(t, sim.Options{Users: 100, TaskRunTime: time.Minute})
	h := s.Handler()
	done := make(chan struct{})
	errs := make(chan string, 100)
	for g := 0; g < 3; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 30; i++ {
				for _, p := range []string{"/qrs/license/accesstypeoverview", "/qrs/reloadtask/full", "/qrs/license/professionalaccesstype/full?filter=" + q("quarantined eq false")} {
					if w := call(t, h, "GET", p, ""); w.Code != 200 {
						errs <- p
					}
				}
				call(t, h, "POST", "/qrs/task/start?name="+q("Reload Operations Monitor"), "")
			}
		}()
	}
	for i := 0; i < 48; i++ {
		s.Advance(30 * time.Minute)
	}
	for g := 0; g < 3; g++ {
		<-done
	}
	close(errs)
	for p := range errs {
		t.Errorf("GET %s failed under concurrency", p)
	}
}
