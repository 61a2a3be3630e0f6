package qrs

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestCallPaths checks every call hits the QRS path from the reference and decodes the answer.
func TestCallPaths(t *testing.T) {
	var mu sync.Mutex
	var got string
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Method + " " + r.URL.Path
		if f := r.URL.Query().Get("filter"); f != "" {
			got += "?filter=" + f
		}
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/full") {
			writeJSON(w, 200, `[{"id":"x1","name":"n1"}]`)
			return
		}
		writeJSON(w, 200, `{"id":"x1","name":"n1","schemaPath":"S"}`)
	})
	c, _ := newFake(t, mux, nil)
	ctx := t.Context()
	f := ListOptions{Filter: "name eq 'a'"}
	one := func(n int, err error) error {
		if err == nil && n != 1 {
			t.Errorf("want 1 element, got %d", n)
		}
		return err
	}
	calls := []struct {
		want string
		call func(context.Context) error
	}{
		{"GET /qrs/about", func(ctx context.Context) error { _, err := c.About(ctx); return err }},
		{"GET /qrs/license", func(ctx context.Context) error { _, err := c.License(ctx); return err }},
		{"GET /qrs/license/accesstypeoverview", func(ctx context.Context) error { _, err := c.AccessTypeOverview(ctx); return err }},
		{"GET /qrs/license/professionalaccesstype/full?filter=name eq 'a'", func(ctx context.Context) error { v, err := c.ProfessionalAccessTypes(ctx, f); return one(len(v), err) }},
		{"GET /qrs/license/analyzeraccesstype/full", func(ctx context.Context) error {
			v, err := c.AnalyzerAccessTypes(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/useraccesstype/full", func(ctx context.Context) error {
			v, err := c.UserAccessTypes(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/loginaccesstype/full", func(ctx context.Context) error {
			v, err := c.LoginAccessTypes(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/analyzertimeaccesstype/full", func(ctx context.Context) error {
			v, err := c.AnalyzerTimeAccessTypes(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/professionalaccessusage/full", func(ctx context.Context) error {
			v, err := c.AccessUsage(ctx, KindProfessional, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/analyzeraccessusage/full", func(ctx context.Context) error {
			v, err := c.AccessUsage(ctx, KindAnalyzer, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/useraccessusage/full", func(ctx context.Context) error {
			v, err := c.AccessUsage(ctx, KindUser, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/loginaccessusage/full", func(ctx context.Context) error {
			v, err := c.AccessUsage(ctx, KindLogin, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/analyzertimeaccessusage/full", func(ctx context.Context) error {
			return c.StreamAccessUsage(ctx, KindAnalyzerTime, ListOptions{}, func(AccessUsage) error { return nil })
		}},
		{"GET /qrs/user/full", func(ctx context.Context) error { v, err := c.Users(ctx, ListOptions{}); return one(len(v), err) }},
		{"GET /qrs/user/u 1", func(ctx context.Context) error { _, err := c.User(ctx, "u 1"); return err }},
		{"GET /qrs/app/full", func(ctx context.Context) error {
			return c.StreamApps(ctx, ListOptions{}, func(App) error { return nil })
		}},
		{"GET /qrs/app/a1", func(ctx context.Context) error { _, err := c.App(ctx, "a1"); return err }},
		{"GET /qrs/app/object/full", func(ctx context.Context) error { v, err := c.AppObjects(ctx, ListOptions{}); return one(len(v), err) }},
		{"GET /qrs/reloadtask/full", func(ctx context.Context) error { v, err := c.ReloadTasks(ctx, ListOptions{}); return one(len(v), err) }},
		{"GET /qrs/reloadtask/t1", func(ctx context.Context) error { _, err := c.ReloadTask(ctx, "t1"); return err }},
		{"GET /qrs/task/full", func(ctx context.Context) error { v, err := c.Tasks(ctx, ListOptions{}); return one(len(v), err) }},
		{"GET /qrs/executionresult/full", func(ctx context.Context) error {
			v, err := c.ExecutionResults(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/executionsession/full", func(ctx context.Context) error {
			v, err := c.ExecutionSessions(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/schemaevent/full", func(ctx context.Context) error { v, err := c.SchemaEvents(ctx, ListOptions{}); return one(len(v), err) }},
		{"GET /qrs/compositeevent/full", func(ctx context.Context) error {
			v, err := c.CompositeEvents(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/dataconnection/full", func(ctx context.Context) error {
			v, err := c.DataConnections(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/servicestatus/full", func(ctx context.Context) error {
			v, err := c.ServiceStatus(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/servernodeconfiguration/full", func(ctx context.Context) error {
			v, err := c.ServerNodeConfigurations(ctx, ListOptions{})
			return one(len(v), err)
		}},
		{"GET /qrs/license/analyzeraccesstype/full", func(ctx context.Context) error {
			return c.StreamAccessTypes(ctx, KindAnalyzer, ListOptions{}, func(LicenseAccessType) error { return nil })
		}},
		{"GET /qrs/app/object/full", func(ctx context.Context) error {
			return c.StreamAppObjects(ctx, ListOptions{}, func(AppObject) error { return nil })
		}},
		{"GET /qrs/user/full", func(ctx context.Context) error {
			return c.StreamUsers(ctx, ListOptions{}, func(User) error { return nil })
		}},
	}
	for _, tc := range calls {
		if err := tc.call(ctx); err != nil {
			t.Errorf("%s: %v", tc.want, err)
			continue
		}
		mu.Lock()
		if got != tc.want {
			t.Errorf("requested %q, want %q", got, tc.want)
		}
		mu.Unlock()
	}
	if _, err := c.AccessTypes(ctx, KindLogin, ListOptions{}); err == nil {
		t.Error("login is not a per-user allocation kind")
	}
}
