package sim_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/sim"
)

func TestGenericGrammar(t *testing.T) {
	s := newSite(t, sim.Options{Users: 150})
	h := s.Handler()

	full := list(t, h, "/qrs/license/professionalaccesstype/full")
	cond := list(t, h, "/qrs/License/ProfessionalAccessType") // case-insensitive path
	cnt := object(t, h, "/qrs/license/PROFESSIONALACCESSTYPE/count")
	if len(full) == 0 || len(cond) != len(full) || int(cnt["value"].(float64)) != len(full) {
		t.Fatalf("full %d, condensed %d, count %v", len(full), len(cond), cnt)
	}
	if keys := sortedKeys(cond[0]); !reflect.DeepEqual(keys, []string{"id", "privileges"}) {
		t.Errorf("condensed allocation keys %v", keys)
	}

	// one by id, any case
	one := object(t, h, "/qrs/license/professionalaccesstype/"+strings.ToUpper(full[0]["id"].(string)))
	if one["id"] != full[0]["id"] || one["user"] == nil {
		t.Errorf("by id: %v", one)
	}

	// filter with a date, count with a filter, orderby desc
	cutoff := fixedNow.AddDate(0, 0, -14).Format("2006-01-02T15:04:05.000Z")
	old := list(t, h, "/qrs/license/professionalaccesstype/full?filter="+q("lastUsed le '"+cutoff+"'")+"&orderby="+q("lastUsed desc"))
	want := 0
	for _, a := range full {
		if a["lastUsed"].(string) <= cutoff {
			want++
		}
	}
	if len(old) != want || want == 0 {
		t.Fatalf("lastUsed le cutoff: %d rows, want %d", len(old), want)
	}
	for i := 1; i < len(old); i++ {
		if old[i-1]["lastUsed"].(string) < old[i]["lastUsed"].(string) {
			t.Fatalf("orderby lastUsed desc not sorted at %d", i)
		}
	}
	c := object(t, h, "/qrs/license/professionalaccesstype/count?filter="+q("lastUsed le '"+cutoff+"'"))
	if int(c["value"].(float64)) != want {
		t.Errorf("count with filter = %v, want %d", c["value"], want)
	}

	// dotted path, GUID bare, tags/custom properties
	u := full[0]["user"].(map[string]any)
	byUser := list(t, h, "/qrs/license/professionalaccesstype/full?filter="+q("user.id eq "+u["id"].(string)))
	if len(byUser) != 1 {
		t.Errorf("user.id eq: %d rows", len(byUser))
	}
	internal := list(t, h, "/qrs/user?filter="+q("userDirectory eq 'internal' and (userId sw 'SA_' or userId eq 'nobody')")+"&orderby="+q("userId asc"))
	if len(internal) != 10 || internal[0]["userId"] != "sa_api" {
		t.Errorf("INTERNAL sa_ users: %d, first %v", len(internal), internal[0]["userId"])
	}
	keep := list(t, h, "/qrs/user/full?filter="+q("tags.name eq 'Keep'"))
	keepCP := list(t, h, "/qrs/user/full?filter="+q("@KeepUser eq 'keep'"))
	if len(keep) == 0 || len(keepCP) == 0 || len(keepCP) > len(keep) {
		t.Errorf("tags.name Keep %d, @KeepUser %d", len(keep), len(keepCP))
	}
	failed := list(t, h, "/qrs/executionresult/full?filter="+q("status eq FinishedSuccess and taskID eq "+lmTask(t, h)["id"].(string))+"&orderby="+q("startTime desc"))
	if len(failed) == 0 || failed[0]["status"].(float64) != 7 {
		t.Errorf("executionresult by status name: %d", len(failed))
	}

	// 400 with the QRS text
	w := call(t, h, "GET", "/qrs/app?filter="+q("name eq 'unbalanced"), "")
	if w.Code != 400 || !strings.HasPrefix(w.Body.String(), "Cannot parse the expression:") {
		t.Errorf("bad filter: %d %q", w.Code, w.Body.String())
	}
	// 404s
	for _, p := range []string{"/qrs/app/00000000-0000-0000-0000-000000000001", "/qrs/nosuchtype", "/qrs/app/notanid", "/other"} {
		if w := call(t, h, "GET", p, ""); w.Code != 404 {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}

	// privileges: null everywhere by default, arrays everywhere with privileges=true
	apps := list(t, h, "/qrs/app/full")
	if apps[0]["privileges"] != nil || apps[0]["owner"].(map[string]any)["privileges"] != nil {
		t.Error("privileges must be null by default")
	}
	apps = list(t, h, "/qrs/app/full?privileges=true")
	if _, ok := apps[0]["privileges"].([]any); !ok {
		t.Error("privileges=true: top-level privileges not an array")
	}
	if _, ok := apps[0]["owner"].(map[string]any)["privileges"].([]any); !ok {
		t.Error("privileges=true: sub-object privileges not an array")
	}

	// selection: task → events
	lm := lmTask(t, h)
	w = call(t, h, "POST", "/qrs/selection", `{"items":[{"type":"ReloadTask","objectID":"`+lm["id"].(string)+`"}]}`)
	if w.Code != 201 {
		t.Fatalf("POST selection: %d %s", w.Code, w.Body.String())
	}
	var sel struct{ ID string }
	json.Unmarshal(w.Body.Bytes(), &sel)
	evs := list(t, h, "/qrs/selection/"+sel.ID+"/Event/full")
	if len(evs) != 1 || evs[0]["name"] != "Reload License Monitor Schema" || evs[0]["eventType"].(float64) != 0 {
		t.Errorf("selection events: %v", evs)
	}
	if got := list(t, h, "/qrs/selection/"+sel.ID+"/App"); len(got) != 0 {
		t.Errorf("unrelated type: %d rows, want empty list", len(got))
	}
	if w := call(t, h, "DELETE", "/qrs/selection/"+sel.ID, ""); w.Code != 204 {
		t.Errorf("DELETE selection: %d", w.Code)
	}
	if w := call(t, h, "GET", "/qrs/selection/"+sel.ID+"/Event", ""); w.Code != 404 {
		t.Errorf("deleted selection: %d", w.Code)
	}
}

func sortedKeys(m map[string]any) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

const samples = "../../../shared/samples"

// TestSampleShapes checks that the simulator emits every key of the real and
// swagger samples with the same JSON type, recursively.
func TestSampleShapes(t *testing.T) {
	if _, err := os.Stat(samples); err != nil {
		t.Skipf("samples not found at %s: %v", samples, err)
	}
	healthy := newSite(t, sim.Options{Users: 300}).Handler()
	tokens := newSite(t, sim.Options{Users: 300, Scenario: "tokens"}).Handler()
	cases := []struct {
		file string
		h    http.Handler
		path string
	}{
		{"about.qrspy_2017.json", healthy, "/qrs/about"},
		{"app_condensed_list.qrspy_2017.json", healthy, "/qrs/app"},
		{"user_condensed_list.qrspy_2017.json", healthy, "/qrs/user"},
		{"servernodeconfiguration_condensed.qrspy_2017.json", healthy, "/qrs/servernodeconfiguration"},
		{"useraccesstype_condensed.qrspy_2017.json", tokens, "/qrs/license/useraccesstype"},
		{"loginaccesstype_condensed.qrspy_2017.json", tokens, "/qrs/license/loginaccesstype"},
		{"professionalaccesstype_full.swagger_example.json", healthy, "/qrs/license/professionalaccesstype/full?privileges=true"},
		{"useraccesstype_full.swagger_example.json", tokens, "/qrs/license/useraccesstype/full?privileges=true"},
		{"analyzertimeaccessusage_full.swagger_example.json", healthy, "/qrs/license/analyzertimeaccessusage/full?privileges=true"},
		{"accesstypeoverview.swagger_example.json", healthy, "/qrs/license/accesstypeoverview"},
		{"accesstypeoverview.qlikdoc_classic_example.json", healthy, "/qrs/license/accesstypeoverview"},
		{"schemaevent_condensed_item.fragment.json", healthy, "/qrs/schemaevent"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(samples, "qrs", c.file))
			if err != nil {
				t.Skipf("sample missing: %v", err)
			}
			var want any
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("sample: %v", err)
			}
			got := getJSON(t, c.h, c.path)
			if _, isArr := want.([]any); !isArr {
				if _, gotArr := got.([]any); gotArr {
					got = got.([]any)[0]
				}
			}
			compareShape(t, c.file, want, got)
		})
	}
}

func compareShape(t *testing.T, path string, want, got any) {
	t.Helper()
	if want == nil || got == nil {
		return // nullable members (stream, privileges)
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: sample has an object, simulator %T", path, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s: simulator lacks key %q", path, k)
				continue
			}
			compareShape(t, path+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			t.Errorf("%s: sample has an array, simulator %T", path, got)
			return
		}
		if len(w) == 0 {
			return
		}
		if len(g) == 0 {
			t.Errorf("%s: simulator array is empty", path)
			return
		}
		compareShape(t, path+"[]", w[0], g[0])
	default:
		if reflect.TypeOf(want) != reflect.TypeOf(got) {
			t.Errorf("%s: sample type %T, simulator %T (%v)", path, want, got, got)
		}
	}
}

func TestQuarantineAndDelete(t *testing.T) {
	for _, model := range []string{"lef", "signed-key"} {
		t.Run(model, func(t *testing.T) {
			s := newSite(t, sim.Options{Users: 200, QuarantineModel: model})
			h := s.Handler()
			before := object(t, h, "/qrs/license/accesstypeoverview")["professionalAccess"].(map[string]any)
			all := list(t, h, "/qrs/license/professionalaccesstype/full")
			var recent, stale map[string]any
			for _, a := range all {
				lu, _ := time.Parse(time.RFC3339, a["lastUsed"].(string))
				switch age := fixedNow.Sub(lu); {
				case age < 3*24*time.Hour && recent == nil:
					recent = a
				case age > 30*24*time.Hour && stale == nil:
					stale = a
				}
			}
			if recent == nil || stale == nil {
				t.Fatal("site lacks a recent and a stale allocation")
			}
			for _, a := range []map[string]any{recent, stale} {
				if w := call(t, h, "DELETE", "/qrs/license/professionalaccesstype/"+a["id"].(string), ""); w.Code != 204 {
					t.Fatalf("DELETE: %d %s", w.Code, w.Body.String())
				}
			}
			if w := call(t, h, "GET", "/qrs/license/professionalaccesstype/"+stale["id"].(string), ""); w.Code != 404 {
				t.Errorf("stale allocation still there: %d", w.Code)
			}
			after := object(t, h, "/qrs/license/accesstypeoverview")["professionalAccess"].(map[string]any)
			n := func(m map[string]any, k string) int { return int(m[k].(float64)) }
			if n(after, "allocated") != n(before, "allocated")-2 {
				t.Errorf("allocated %d → %d, want −2", n(before, "allocated"), n(after, "allocated"))
			}
			if n(after, "available") != max(n(after, "total")-n(after, "allocated"), 0) {
				t.Errorf("available %d != total %d − allocated %d", n(after, "available"), n(after, "total"), n(after, "allocated"))
			}
			w := call(t, h, "GET", "/qrs/license/professionalaccesstype/"+recent["id"].(string), "")
			if model == "signed-key" {
				if w.Code != 404 || n(after, "quarantined") != n(before, "quarantined") {
					t.Errorf("signed-key: recent allocation %d, quarantined %d", w.Code, n(after, "quarantined"))
				}
				return
			}
			var got map[string]any
			json.Unmarshal(w.Body.Bytes(), &got)
			lu, _ := time.Parse(time.RFC3339, recent["lastUsed"].(string))
			qe, _ := time.Parse(time.RFC3339, got["quarantineEnd"].(string))
			if w.Code != 200 || got["quarantined"] != true || !qe.Equal(lu.Add(7*24*time.Hour)) {
				t.Errorf("lef: recent allocation %d quarantined=%v end=%v (lastUsed %v)", w.Code, got["quarantined"], qe, lu)
			}
			if n(after, "quarantined") != n(before, "quarantined")+1 {
				t.Errorf("quarantined %d → %d", n(before, "quarantined"), n(after, "quarantined"))
			}
			q := list(t, h, "/qrs/license/professionalaccesstype/full?filter="+q("quarantined eq true"))
			if len(q) != n(after, "quarantined") {
				t.Errorf("quarantined rows %d != overview %d", len(q), n(after, "quarantined"))
			}
			if g := s.GroundTruth(); g.Professional.Allocated != n(after, "allocated") || g.Professional.Quarantined != n(after, "quarantined") {
				t.Errorf("GroundTruth %+v vs overview %v", g.Professional, after)
			}
			// the quarantine ends: the row disappears, unless the user came
			// back within it, which reinstates the same allocation
			s.Advance(8 * 24 * time.Hour)
			w = call(t, h, "GET", "/qrs/license/professionalaccesstype/"+recent["id"].(string), "")
			switch w.Code {
			case 404:
			case 200:
				var back map[string]any
				json.Unmarshal(w.Body.Bytes(), &back)
				lu2, _ := time.Parse(time.RFC3339, back["lastUsed"].(string))
				if back["quarantined"] != false || back["user"].(map[string]any)["id"] != recent["user"].(map[string]any)["id"] || !lu2.After(lu) {
					t.Errorf("after quarantine end: row kept without reinstatement: %v", back)
				}
			default:
				t.Errorf("after quarantine end: %d", w.Code)
			}
			if w := call(t, h, "DELETE", "/qrs/license/professionalaccesstype/00000000-0000-4000-8000-000000000000", ""); w.Code != 404 {
				t.Errorf("DELETE unknown: %d", w.Code)
			}
		})
	}
}

func TestCreateAllocation(t *testing.T) {
	s := newSite(t, sim.Options{Users: 30})
	h := s.Handler()
	users := list(t, h, "/qrs/user?filter="+q("userId eq 'sa_api'"))
	w := call(t, h, "POST", "/qrs/license/analyzeraccesstype", `{"user":{"id":"`+users[0]["id"].(string)+`"}}`)
	if w.Code != 201 || !strings.Contains(w.Body.String(), `"userId":"sa_api"`) {
		t.Fatalf("POST allocation: %d %s", w.Code, w.Body.String())
	}
	if w := call(t, h, "POST", "/qrs/license/analyzeraccesstype", `{"user":{"id":"`+users[0]["id"].(string)+`"}}`); w.Code != 409 {
		t.Errorf("second allocation: %d, want 409", w.Code)
	}
}
