package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a simulated site. The zero value is usable: 200 users,
// 90 days of history, the "healthy" scenario, seed 1, the wall clock.
type Options struct {
	// Seed makes the site deterministic: the same seed, options and clock
	// give byte-identical API output.
	Seed int64
	// Users is the number of directory users (service accounts come on top).
	Users int
	// HistoryDays is how far back allocations, usage and task executions go.
	HistoryDays int
	// Scenario is a preset name (see Scenarios) or a path to a YAML file
	// ending in .yaml or .yml.
	Scenario string
	// Hostname is the central node's host name (default qlikserver1.corp.example).
	Hostname string
	// Now is the clock. The site catches up to it on every request; Advance
	// moves the simulated time beyond it. Default time.Now: the hourly
	// triggers then fire about half an hour from the site's creation, so a
	// site just built is not in the middle of a run (with a clock set, the
	// minute comes from the seed, and a test can start inside a run).
	Now func() time.Time
	// QuarantineDays is the Professional/Analyzer/user-pass quarantine (default 7).
	QuarantineDays int
	// QuarantineModel is "lef" (allocations used within QuarantineDays are
	// quarantined on delete) or "signed-key" (released immediately). Default:
	// "lef" for serial/LEF and token licenses, "signed-key" for a signed key.
	QuarantineModel string
	// Apps is the number of user apps (0: derived from Users, at most 400).
	Apps int
	// ObjectsPerApp is the mean number of sheets, stories and other objects
	// per app (0: 2 to 7).
	ObjectsPerApp int
	// TaskRunTime is how long (in simulated time) a task started through the
	// API stays running. 0 completes runs at once (the session is gone by the
	// time the start call returns).
	TaskRunTime time.Duration
	// Faults are injected into the QRS answers, before the scenario's.
	Faults []Fault
}

// Site is a simulated Qlik Sense Enterprise on Windows site. All methods are
// safe for concurrent use.
type Site struct {
	mu       sync.RWMutex
	opts     Options
	sc       *Scenario
	faults   *Faults
	seed     uint64
	rng      *rand.Rand
	start    time.Time // history start
	now      time.Time // simulated time
	hourDone int64     // last simulated hour index

	license   License
	users     []*User
	userByID  map[string]*User
	allocs    [3][]*Alloc
	allocByID map[string]*Alloc
	tags      []*Tag
	propDefs  []*PropDef
	streams   []*Stream
	apps      []*App
	objects   []*AppObject
	// authors are the Professional users who create and change content.
	authors   []*User
	conns     []*DataConnection
	tasks     []*Task
	schema    []*SchemaEvent
	composite []*CompositeEvent
	results   map[string]*ExecResult
	sessions  map[string]*session
	// wallClock: the site runs on the wall clock (Options.Now unset); its
	// hourly triggers then fire half an hour from when it was built.
	wallClock    bool
	tickets      map[string]ticket
	selections   map[string][]selectionItem
	loginGroups  []*loginGroup
	timePool     *timePool
	accessGroups []accessGroup
	node         node
	about        about
	truth        []Snapshot
	denials      []denial // oldest first
	capUsed      int      // analyzer capacity minutes used this month
	// reducedAt is when a scenario's license reduction took effect (zero:
	// none); preReduction the Professional and Analyzer totals before it.
	reducedAt    time.Time
	preReduction [2]int
	excessSet    [2]bool        // some allocation of the type may carry Excess
	download404  map[string]int // execution result id → remaining 404s
	creds        credentials    // what the monitor_apps_REST_* connections need (write.go)
}

type ticket struct {
	taskID, resultID string
}

type selectionItem struct {
	Type, ObjectID string
}

type loginGroup struct {
	ID, Name                       string
	Created                        time.Time
	Tokens, Assigned, Used, Remain int
}

type timePool struct {
	ID, Name        string
	Created         time.Time
	AssignedMinutes int
}

type accessGroup struct {
	ID, Name, Kind string
	Created        time.Time
}

type node struct {
	ID, Name, HostName, ClusterID, ClusterName string
	Created                                    time.Time
	ServiceIDs                                 [6]string
}

type about struct {
	BuildVersion, BuildDate string
}

// New builds a site deterministically from opts.
func New(opts Options) (*Site, error) {
	usersDefault := opts.Users == 0
	if usersDefault {
		opts.Users = 200
	}
	if opts.Apps < 0 || opts.ObjectsPerApp < 0 {
		return nil, fmt.Errorf("new site: apps and objects per app must be 0 or more")
	}
	if opts.Users < 0 {
		return nil, errors.New("build site: Users must be positive")
	}
	if opts.HistoryDays <= 0 {
		opts.HistoryDays = 90
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Hostname == "" {
		opts.Hostname = "qlikserver1.corp.example"
	}
	wallClock := opts.Now == nil
	if wallClock {
		opts.Now = time.Now
	}
	if opts.QuarantineDays <= 0 {
		opts.QuarantineDays = 7
	}
	sc, err := LoadScenario(opts.Scenario)
	if err != nil {
		return nil, err
	}
	faults, err := NewFaults(uint64(opts.Seed), append(slices.Clone(opts.Faults), sc.Faults...)...)
	if err != nil {
		return nil, fmt.Errorf("build site: %w", err)
	}
	if sc.Users > 0 && usersDefault {
		opts.Users = sc.Users
	}
	if sc.HistoryDays > 0 {
		opts.HistoryDays = sc.HistoryDays
	}
	if opts.QuarantineModel == "" {
		opts.QuarantineModel = sc.QuarantineModel
	}
	if opts.QuarantineModel == "" {
		if sc.License.Kind == "signed-key" || sc.License.Kind == "" {
			opts.QuarantineModel = "signed-key"
		} else {
			opts.QuarantineModel = "lef"
		}
	}
	switch opts.QuarantineModel {
	case "lef", "signed-key":
	default:
		return nil, fmt.Errorf("build site: unknown QuarantineModel %q (use lef or signed-key)", opts.QuarantineModel)
	}
	s := &Site{
		opts:        opts,
		sc:          sc,
		faults:      faults,
		seed:        uint64(opts.Seed),
		userByID:    map[string]*User{},
		allocByID:   map[string]*Alloc{},
		results:     map[string]*ExecResult{},
		sessions:    map[string]*session{},
		tickets:     map[string]ticket{},
		selections:  map[string][]selectionItem{},
		download404: map[string]int{},
		wallClock:   wallClock,
	}
	s.rng = rand.New(rand.NewPCG(s.seed, 0x51e))
	s.now = opts.Now().UTC().Truncate(time.Millisecond)
	s.start = s.now.AddDate(0, 0, -opts.HistoryDays)
	s.build()
	return s, nil
}

// newID returns a deterministic version-4 GUID from the site's generator.
func (s *Site) newID() string { return guid(s.rng) }

func guid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = (a &^ (0xf << 12)) | (4 << 12)
	b = (b &^ (0x3 << 62)) | (0x2 << 62)
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// hourRand returns a generator for one simulated hour so that the outcome of
// Advance does not depend on how the time was chunked.
func (s *Site) hourRand(hour int64, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(s.seed^uint64(hour)*0x9e3779b97f4a7c15, salt))
}

// hexID derives 20 upper-case hex characters from a string (script log names).
func hexID(seed string) string {
	h := fnv.New128a()
	h.Write([]byte(seed))
	return strings.ToUpper(fmt.Sprintf("%x", h.Sum(nil))[:20])
}

// Now returns the simulated time.
func (s *Site) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.now
}

// sync catches the site up with the clock (used by request handlers).
func (s *Site) sync() {
	t := s.opts.Now().UTC()
	s.mu.RLock()
	behind := t.After(s.now)
	s.mu.RUnlock()
	if behind {
		s.AdvanceTo(t)
	}
}

// Advance moves the simulated site forward by d.
func (s *Site) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.now.Add(d))
}

// AdvanceTo moves the simulated site forward to t (no-op if t is not later).
func (s *Site) AdvanceTo(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(t.UTC())
}

// Options returns the options the site was built with, defaults and the
// scenario's users and historyDays applied.
func (s *Site) Options() Options { return s.opts }

// ScenarioName is the name of the scenario the site was built from (presets
// joined with "+" for a composed one).
func (s *Site) ScenarioName() string { return s.sc.Name }

// Hostname returns the central node's host name.
func (s *Site) Hostname() string { return s.opts.Hostname }
