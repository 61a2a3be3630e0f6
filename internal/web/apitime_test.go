package web

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAPITimes: every time in the API (but /check, which is `licmon check
// --format json` byte for byte) is RFC 3339 in UTC to the second, whatever
// zone and precision the backend gave: lastCheck comes from the clock with
// nanoseconds, lastCollect from the store. A forecast without a run-out
// has daysLeft null, not -1.
func TestAPITimes(t *testing.T) {
	f := fixture(t)
	cet := time.FixedZone("CET", 3600)
	f.sites[0].LastCheck = time.Date(2026, 11, 27, 16, 31, 2, 132456789, cet)
	f.sites[0].LastCollect = time.Date(2026, 11, 27, 7, 0, 5, 500000000, cet)
	f.history["prod"][0].At = f.sites[0].LastCheck
	f.alerts[0].Since = time.Date(2026, 11, 27, 16, 1, 2, 999999999, cet)
	f.reports["prod"].DataAt = time.Date(2026, 11, 20, 6, 0, 0, 123000000, cet)
	h := newHandler(f)

	stamp := regexp.MustCompile(`"(\d{4}-\d\d-\d\dT[^"]*)"`)
	utc := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	for _, path := range []string{"/api/v1/sites", "/api/v1/sites/prod", "/api/v1/sites/prod/checks", "/api/v1/sites/prod/licenses",
		"/api/v1/sites/prod/forecast", "/api/v1/sites/prod/candidates", "/api/v1/alerts"} {
		body := get(t, h, path).Body.String()
		n := 0
		for _, m := range stamp.FindAllStringSubmatch(body, -1) {
			n++
			if !utc.MatchString(m[1]) {
				t.Errorf("%s: time %q is not RFC 3339 UTC to the second", path, m[1])
			}
		}
		if n == 0 {
			t.Errorf("%s: no time found", path)
		}
	}
	if b := get(t, h, "/api/v1/sites/prod").Body.String(); !strings.Contains(b, `"lastCheck": "2026-11-27T15:31:02Z"`) ||
		!strings.Contains(b, `"lastCollect": "2026-11-27T06:00:05Z"`) {
		t.Errorf("site times not converted to UTC:\n%s", b)
	}
	// The backend's values are not changed in place.
	if f.sites[0].LastCheck.Nanosecond() == 0 {
		t.Error("the API changed the backend's data")
	}

	var fc struct {
		Types []struct {
			Type     string
			Forecast map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(get(t, h, "/api/v1/sites/prod/forecast").Body.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	nulls := 0
	for _, ty := range fc.Types {
		d, ok := ty.Forecast["daysLeft"]
		if !ok {
			t.Errorf("%s: no daysLeft", ty.Type)
		}
		if string(d) == "null" {
			nulls++
		} else if strings.HasPrefix(string(d), "-") {
			t.Errorf("%s: daysLeft %s; none is null", ty.Type, d)
		}
	}
	if nulls == 0 {
		t.Error("no type without a run-out: the fixture does not test null")
	}
}
