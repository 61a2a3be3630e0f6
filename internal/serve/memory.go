package serve

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/collect"
)

// SiteMemory is what serve holds in memory for one site, or is about to:
// what its soft memory limit follows (Options.Memory). The heavy work of a
// site (a collection, or the build of its report model) runs in a
// collection slot, so Working sites are at most serve.max_collections.
type SiteMemory struct {
	// Items is the site's users plus allocations: of its latest collection
	// in the store, or, during a first collection, the QRS's user count
	// twice (collect.Options.Size). 0 while unknown.
	Items int
	// Working: the site collects, or builds its report model, now.
	Working bool
	// Model: serve holds the site's report model (kept between
	// collections for the dashboard and the API).
	Model bool
}

// memory tracks SiteMemory per site name and reports every change to
// Options.Memory, in order.
type memory struct {
	mu     sync.Mutex
	sites  map[string]SiteMemory
	notify func(map[string]SiteMemory)
}

func newMemory(notify func(map[string]SiteMemory)) *memory {
	return &memory{sites: map[string]SiteMemory{}, notify: notify}
}

// update changes one site's entry and reports the whole picture.
func (m *memory) update(site string, f func(*SiteMemory)) {
	if m == nil || m.notify == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sm := m.sites[site]
	f(&sm)
	if sm == m.sites[site] {
		return
	}
	m.sites[site] = sm
	m.notify(maps.Clone(m.sites))
}

// wants is true when someone follows the memory and the site's size is
// not known yet.
func (m *memory) wants(site string) bool {
	if m == nil || m.notify == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sites[site].Items <= 0
}

// keep forgets the sites a reload removed: their models are gone with them.
func (m *memory) keep(names map[string]bool) {
	if m == nil || m.notify == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.sites)
	maps.DeleteFunc(m.sites, func(name string, _ SiteMemory) bool { return !names[name] })
	if len(m.sites) != n {
		m.notify(maps.Clone(m.sites))
	}
}

func (s *Server) memSize(st *siteState, items int) {
	s.mem.update(st.cfg.Name, func(m *SiteMemory) { m.Items = items })
}

func (s *Server) memModel(st *siteState, held bool) {
	s.mem.update(st.cfg.Name, func(m *SiteMemory) { m.Model = held })
}

// work takes a collection slot for a site's heavy work (slots.acquire) and
// marks the site Working until release; the site's size is read from the
// store when serve does not know it yet (a model built at start).
func (s *Server) work(ctx context.Context, st *siteState, collection bool) (release func(), waited time.Duration, err error) {
	rel, waited, err := s.collectSlots.acquire(ctx, collection)
	if err != nil {
		return nil, waited, err
	}
	if s.mem.wants(st.cfg.Name) {
		if users, allocs, ok, err := collect.SiteSize(ctx, s.st, st.cfg.Name); err == nil && ok {
			s.memSize(st, users+allocs)
		}
	}
	s.mem.update(st.cfg.Name, func(m *SiteMemory) { m.Working = true })
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mem.update(st.cfg.Name, func(m *SiteMemory) { m.Working = false })
			rel()
		})
	}, waited, nil
}
