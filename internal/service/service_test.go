package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeManager is a service manager in memory: one service at most per name,
// started services run until stopped.
type fakeManager struct {
	mu         sync.Mutex
	services   map[string]*fakeService
	sources    map[string]bool
	createErr  error
	startFails bool // the service stops right after its start
}

type fakeService struct {
	spec  Spec
	state State
}

func newFakeManager() *fakeManager {
	return &fakeManager{services: map[string]*fakeService{}, sources: map[string]bool{}}
}

func (m *fakeManager) Create(spec Spec) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.createErr != nil {
		return m.createErr
	}
	if _, ok := m.services[spec.Name]; ok {
		return ErrExists
	}
	m.services[spec.Name] = &fakeService{spec: spec, state: Stopped}
	return nil
}

func (m *fakeManager) Delete(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.services[name]; !ok {
		return ErrNotInstalled
	}
	delete(m.services, name)
	return nil
}

func (m *fakeManager) Start(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.services[name]
	if !ok {
		return ErrNotInstalled
	}
	s.state = Running
	if m.startFails {
		s.state = Stopped
	}
	return nil
}

func (m *fakeManager) Stop(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.services[name]
	if !ok {
		return ErrNotInstalled
	}
	s.state = Stopped
	return nil
}

func (m *fakeManager) Query(name string) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.services[name]
	if !ok {
		return Status{}, ErrNotInstalled
	}
	return Status{State: s.state, Account: s.spec.Account, Exe: s.spec.Exe, Args: s.spec.Args, Recovery: s.spec.Recovery}, nil
}

func (m *fakeManager) InstallEventSource(name string) error {
	m.sources[name] = true
	return nil
}

func (m *fakeManager) RemoveEventSource(name string) error {
	delete(m.sources, name)
	return nil
}

type fakeDirs struct {
	restricted map[string]string
	fail       string
}

func (d *fakeDirs) Restrict(dir, account string) error {
	if dir == d.fail {
		return errors.New("access denied")
	}
	if d.restricted == nil {
		d.restricted = map[string]string{}
	}
	d.restricted[dir] = account
	return os.MkdirAll(dir, 0o700)
}

type event struct {
	level string
	id    uint32
	msg   string
}

type fakeEvents struct {
	mu     sync.Mutex
	events []event
}

func (f *fakeEvents) add(level string, id uint32, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, event{level, id, msg})
	return nil
}
func (f *fakeEvents) Info(id uint32, msg string) error    { return f.add("info", id, msg) }
func (f *fakeEvents) Warning(id uint32, msg string) error { return f.add("warning", id, msg) }
func (f *fakeEvents) Error(id uint32, msg string) error   { return f.add("error", id, msg) }

func (f *fakeEvents) list() []event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]event(nil), f.events...)
}

func testSpec() Spec {
	return Spec{Name: Name, DisplayName: DisplayName, Exe: `C:\Program Files\licmon\licmon.exe`,
		Args: []string{"service", "run"}, Account: DefaultAccount, Recovery: DefaultRecovery, RecoveryReset: DefaultRecoveryReset}
}

func TestInstallRegistersServiceFoldersAndConfig(t *testing.T) {
	m, dirs, ev := newFakeManager(), &fakeDirs{}, &fakeEvents{}
	var out bytes.Buffer
	in := &Installer{Manager: m, Dirs: dirs, Events: ev, Out: &out}
	layout := LayoutIn(t.TempDir())
	if err := in.Install(InstallOptions{Spec: testSpec(), Layout: layout, Config: []byte("sites: []\n")}); err != nil {
		t.Fatal(err)
	}
	st, err := m.Query(Name)
	if err != nil || st.Account != DefaultAccount || len(st.Recovery) != 3 || st.State != Stopped {
		t.Fatalf("installed status %+v, %v", st, err)
	}
	if !m.sources[Name] {
		t.Error("no Event Log source registered")
	}
	for _, d := range []string{layout.Dir, layout.LogDir, layout.SavedLogs} {
		if dirs.restricted[d] != DefaultAccount {
			t.Errorf("%s not restricted to the service account: %v", d, dirs.restricted)
		}
	}
	if b, err := os.ReadFile(layout.Config); err != nil || string(b) != "sites: []\n" {
		t.Fatalf("config: %q %v", b, err)
	}
	evs := ev.list()
	if len(evs) != 1 || evs[0].id != EventInstalled || !strings.Contains(evs[0].msg, DefaultAccount) {
		t.Fatalf("audit events %+v", evs)
	}
	if !strings.Contains(out.String(), "restarts after a failure in 1m, 2m, 5m") {
		t.Errorf("install output:\n%s", out.String())
	}

	// A second install is refused and keeps the existing configuration.
	os.WriteFile(layout.Config, []byte("mine\n"), 0o600)
	err = in.Install(InstallOptions{Spec: testSpec(), Layout: layout, Config: []byte("new\n")})
	if err == nil || !strings.Contains(err.Error(), "already installed") {
		t.Fatalf("second install: %v", err)
	}
	if b, _ := os.ReadFile(layout.Config); string(b) != "mine\n" {
		t.Fatalf("config overwritten: %q", b)
	}
}

func TestInstallKeepsAnExistingConfig(t *testing.T) {
	m := newFakeManager()
	layout := LayoutIn(t.TempDir())
	os.MkdirAll(layout.Dir, 0o700)
	os.WriteFile(layout.Config, []byte("mine\n"), 0o600)
	var out bytes.Buffer
	in := &Installer{Manager: m, Dirs: &fakeDirs{}, Out: &out}
	if err := in.Install(InstallOptions{Spec: testSpec(), Layout: layout, Config: []byte("new\n")}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(layout.Config); string(b) != "mine\n" {
		t.Fatalf("config overwritten: %q", b)
	}
	if !strings.Contains(out.String(), "exists, kept") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestFailedInstallLeavesNothingRegistered(t *testing.T) {
	layout := LayoutIn(t.TempDir())
	// The service manager refuses the service.
	m := newFakeManager()
	m.createErr = errors.New("the account name is invalid")
	in := &Installer{Manager: m, Dirs: &fakeDirs{}}
	err := in.Install(InstallOptions{Spec: testSpec(), Layout: layout})
	if err == nil || !strings.Contains(err.Error(), "account name is invalid") {
		t.Fatalf("err = %v", err)
	}
	if len(m.sources) != 0 {
		t.Fatalf("event source left behind: %v", m.sources)
	}
	// The folder cannot be secured: the service is removed again.
	m = newFakeManager()
	in = &Installer{Manager: m, Dirs: &fakeDirs{fail: layout.LogDir}}
	err = in.Install(InstallOptions{Spec: testSpec(), Layout: layout})
	if err == nil || !strings.Contains(err.Error(), layout.LogDir) {
		t.Fatalf("err = %v", err)
	}
	if len(m.services) != 0 || len(m.sources) != 0 {
		t.Fatalf("left behind: services %v sources %v", m.services, m.sources)
	}
}

func TestStartStopStatusUninstall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, ev := newFakeManager(), &fakeEvents{}
	layout := LayoutIn(t.TempDir())
	in := &Installer{Manager: m, Dirs: &fakeDirs{}, Events: ev}

	// Before install, every operation says how to install.
	for name, op := range map[string]func() error{
		"start":     func() error { return Start(ctx, m, Name, time.Millisecond) },
		"stop":      func() error { return Stop(ctx, m, Name, time.Millisecond) },
		"status":    func() error { return WriteStatus(&bytes.Buffer{}, m, Name, layout) },
		"uninstall": func() error { return in.Uninstall(ctx, Name, layout) },
	} {
		if err := op(); err == nil || !strings.Contains(err.Error(), "licmon service install") {
			t.Errorf("%s before install: %v", name, err)
		}
	}
	if err := in.Install(InstallOptions{Spec: testSpec(), Layout: layout}); err != nil {
		t.Fatal(err)
	}
	if err := Start(ctx, m, Name, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteStatus(&out, m, Name, layout); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"state     running", `account   NT SERVICE\licmon`, "restart after 1m, 2m, 5m", layout.Config, "pid       –"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	// Uninstall stops the running service first and keeps the data.
	if err := in.Uninstall(ctx, Name, layout); err != nil {
		t.Fatal(err)
	}
	if len(m.services) != 0 || len(m.sources) != 0 {
		t.Fatalf("left behind: %v %v", m.services, m.sources)
	}
	if _, err := os.Stat(layout.Dir); err != nil {
		t.Fatalf("data folder removed: %v", err)
	}
	if evs := ev.list(); evs[len(evs)-1].id != EventUninstalled {
		t.Fatalf("no uninstall record: %+v", evs)
	}
}

func TestStartThatFailsSaysWhereToLook(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := newFakeManager()
	m.Create(testSpec())
	m.startFails = true
	err := Start(ctx, m, Name, time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "Event Log") {
		t.Fatalf("err = %v", err)
	}
}

// runService drives a Runner the way the service manager does and returns
// the states it reported and its exit code.
func runService(r *Runner, send func(chan<- Request, <-chan State)) ([]State, uint32) {
	reqs := make(chan Request, 1)
	status := make(chan State, 16)
	code := make(chan uint32, 1)
	go func() { code <- r.Run(reqs, status) }()
	send(reqs, status)
	c := <-code
	close(status)
	var states []State
	for s := range status {
		states = append(states, s)
	}
	return states, c
}

func waitRunning(status <-chan State) []State {
	var seen []State
	for s := range status {
		seen = append(seen, s)
		if s == Running {
			return seen
		}
	}
	return seen
}

func TestRunnerStopsOnRequest(t *testing.T) {
	for _, tc := range []struct {
		req Request
		why string
	}{{StopRequest, "stop requested"}, {ShutdownRequest, "system shutdown"}} {
		ev := &fakeEvents{}
		ctxEnded := make(chan struct{})
		r := &Runner{Events: ev, Version: "v1.2.3", Serve: func(ctx context.Context) error {
			<-ctx.Done()
			close(ctxEnded)
			return nil
		}}
		var early []State
		states, code := runService(r, func(reqs chan<- Request, status <-chan State) {
			early = waitRunning(status)
			reqs <- InterrogateRequest
			reqs <- tc.req
		})
		states = append(early, states...)
		want := []State{StartPending, Running, Running, StopPending, Stopped}
		if fmt.Sprint(states) != fmt.Sprint(want) || code != ExitStopped {
			t.Fatalf("%v: states %v code %d, want %v 0", tc.req, states, code, want)
		}
		select {
		case <-ctxEnded:
		default:
			t.Fatal("serve's context was not cancelled")
		}
		evs := ev.list()
		if len(evs) != 2 || evs[0].id != EventStarted || !strings.Contains(evs[0].msg, "v1.2.3") ||
			evs[1].id != EventStopped || !strings.Contains(evs[1].msg, tc.why) {
			t.Fatalf("events %+v", evs)
		}
	}
}

// TestRunnerFailureTriggersRecovery: when serve fails the service exits
// with a non-zero code (which the service manager's recovery actions
// restart) and the Event Log says why.
func TestRunnerFailureTriggersRecovery(t *testing.T) {
	for _, serveErr := range []error{errors.New("listen tcp 127.0.0.1:8080: bind: address already in use"), nil} {
		ev := &fakeEvents{}
		r := &Runner{Events: ev, Serve: func(ctx context.Context) error { return serveErr }}
		states, code := runService(r, func(chan<- Request, <-chan State) {})
		if code != ExitServeFailed || states[len(states)-1] != Stopped {
			t.Fatalf("states %v code %d", states, code)
		}
		evs := ev.list()
		last := evs[len(evs)-1]
		if last.level != "error" || last.id != EventFailed || !strings.Contains(last.msg, "recovery") {
			t.Fatalf("events %+v", evs)
		}
		if serveErr != nil && !strings.Contains(last.msg, "address already in use") {
			t.Fatalf("failure message lacks the cause: %q", last.msg)
		}
	}
}

func TestRunnerStopTimeout(t *testing.T) {
	ev := &fakeEvents{}
	release := make(chan struct{})
	defer close(release)
	r := &Runner{Events: ev, StopTimeout: 10 * time.Millisecond, Serve: func(ctx context.Context) error {
		<-release // ignores the cancel
		return nil
	}}
	_, code := runService(r, func(reqs chan<- Request, status <-chan State) {
		waitRunning(status)
		reqs <- StopRequest
	})
	if code != ExitStopTimeout {
		t.Fatalf("code %d", code)
	}
	evs := ev.list()
	if last := evs[len(evs)-1]; last.level != "error" || !strings.Contains(last.msg, "did not stop within") {
		t.Fatalf("events %+v", evs)
	}
}

func TestEventWriterForwardsWarningsAndErrors(t *testing.T) {
	ev := &fakeEvents{}
	w := &EventWriter{Events: ev}
	log := "time=2026-11-27T10:00:00Z level=INFO msg=\"check done\" site=prod\n" +
		"time=2026-11-27T10:00:01Z level=WARN msg=\"check failed\" site=prod err=\"timeout\"\n" +
		"time=2026-11-27T10:00:02Z level=ERROR msg=\"collect failed\" site=prod\n"
	// Written in pieces, as a buffered handler may.
	for _, part := range []string{log[:30], log[30:100], log[100:]} {
		w.Write([]byte(part))
	}
	evs := ev.list()
	if len(evs) != 2 || evs[0].level != "warning" || !strings.Contains(evs[0].msg, "check failed") ||
		evs[1].level != "error" || !strings.Contains(evs[1].msg, "collect failed") {
		t.Fatalf("events %+v", evs)
	}
}

func TestRotatingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "licmon.log")
	r := &RotatingFile{Path: path, MaxBytes: 100, Keep: 2}
	line := strings.Repeat("x", 39) + "\n" // 40 bytes: two per file
	for i := 0; i < 9; i++ {
		if _, err := fmt.Fprint(r, line); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	sizes := map[string]int64{}
	entries, _ := os.ReadDir(filepath.Join(dir, "logs"))
	for _, e := range entries {
		info, _ := e.Info()
		sizes[e.Name()] = info.Size()
	}
	want := map[string]int64{"licmon.log": 40, "licmon.log.1": 80, "licmon.log.2": 80}
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v", sizes, want)
	}
	// Reopening appends to the current file.
	r = &RotatingFile{Path: path, MaxBytes: 100, Keep: 2}
	fmt.Fprint(r, line)
	r.Close()
	if info, _ := os.Stat(path); info.Size() != 80 {
		t.Fatalf("reopened size %d", info.Size())
	}
}
