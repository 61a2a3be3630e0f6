package cli

import (
	"math"
	"testing"

	"github.com/licmon/licmon/internal/collect"
	"github.com/licmon/licmon/internal/serve"
)

// TestServeLimitFollowsSitesAndPhase: serve's soft memory limit is none
// until a site's size is known; then the models it holds plus the heavy
// work of the sites working, or room for the largest site's answers when
// none works; it grows linearly with the sites, and three equal sites
// collecting one after the other on a new store (no models yet) are bounded
// like one.
func TestServeLimitFollowsSitesAndPhase(t *testing.T) {
	const n = 200_000 // a 100k-user site: its users and allocations
	one := collect.MemoryLimit(n, 0)
	answers := func(items int) int64 { return collect.MemoryLimit(0, 0) + requestPerItem*int64(items) }
	for _, tc := range []struct {
		name  string
		sites map[string]serve.SiteMemory
		want  int64
	}{
		{"new store, first collection before the user count", map[string]serve.SiteMemory{"a": {Working: true}}, math.MaxInt64},
		{"first collection of the first site", map[string]serve.SiteMemory{"a": {Items: n, Working: true}, "b": {}, "c": {}}, one},
		{"third first collection, no model built yet", map[string]serve.SiteMemory{"a": {Items: n}, "b": {Items: n}, "c": {Items: n, Working: true}}, one},
		{"models held, nothing working: room for the largest's answers", map[string]serve.SiteMemory{"a": {Items: n, Model: true}, "b": {Items: n / 2, Model: true}},
			answers(n) + modelPerItem*n*3/2},
		{"nothing held, nothing working", map[string]serve.SiteMemory{"a": {Items: n}}, answers(n)},
		{"models held, the small site collects", map[string]serve.SiteMemory{"a": {Items: n, Model: true}, "b": {Items: n / 2, Model: true, Working: true}},
			max(collect.MemoryLimit(n/2, 0), answers(n)) + modelPerItem*n*3/2},
		{"two slots, both working", map[string]serve.SiteMemory{"a": {Items: n, Working: true}, "b": {Items: n, Working: true}}, collect.MemoryLimit(2*n, 0)},
		{"a ten times bigger site", map[string]serve.SiteMemory{"a": {Items: 10 * n, Model: true, Working: true}},
			collect.MemoryLimit(10*n, 0) + modelPerItem*10*n},
	} {
		if got := serveLimit(tc.sites); got != tc.want {
			t.Errorf("%s: limit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestServeMemoryFreesWhenWorkEnds: the limit is set at every update and
// the memory a collection or model build used goes back to the OS when it
// ends, not at other updates.
func TestServeMemoryFreesWhenWorkEnds(t *testing.T) {
	var limits []int64
	frees := 0
	m := &serveMemory{set: func(l int64) int64 { limits = append(limits, l); return 0 }, free: func() { frees++ }}
	steps := []struct {
		sites map[string]serve.SiteMemory
		frees int
	}{
		{map[string]serve.SiteMemory{"a": {Working: true}}, 0},
		{map[string]serve.SiteMemory{"a": {Items: 1000, Working: true}}, 0},
		{map[string]serve.SiteMemory{"a": {Items: 1000}}, 1},                             // collection done
		{map[string]serve.SiteMemory{"a": {Items: 1000, Working: true}}, 1},              // model build
		{map[string]serve.SiteMemory{"a": {Items: 1000, Working: true, Model: true}}, 1}, // model kept
		{map[string]serve.SiteMemory{"a": {Items: 1000, Model: true}}, 2},                // build done
	}
	for i, s := range steps {
		m.update(s.sites)
		if frees != s.frees {
			t.Errorf("step %d: memory freed %d times, want %d", i, frees, s.frees)
		}
		if got, want := limits[len(limits)-1], serveLimit(s.sites); got != want {
			t.Errorf("step %d: limit %d, want %d", i, got, want)
		}
	}
}

// With GOMEMLIMIT set serve gets no Options.Memory: the runtime keeps it.
func TestServeMemoryLeavesGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	if newServeMemory() != nil {
		t.Error("GOMEMLIMIT is set, yet serve would set its own limit")
	}
}
