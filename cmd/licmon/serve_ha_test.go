//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/leader"
	"github.com/licmon/licmon/internal/notify/notifytest"
	"github.com/licmon/licmon/internal/pgtest"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// syncBuffer collects a process's log for the failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// instance is one `licmon serve` process.
type instance struct {
	name string
	cmd  *exec.Cmd
	base string
	log  *syncBuffer
	done chan error
}

func startServe(t *testing.T, bin, cfg, name string) *instance {
	t.Helper()
	in := &instance{name: name, log: &syncBuffer{}, done: make(chan error, 1)}
	in.cmd = exec.Command(bin, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	in.cmd.Env = append(os.Environ(), "LICMON_INSTANCE="+name)
	in.cmd.Stderr = in.log
	out, err := in.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case first <- sc.Text():
			default:
			}
		}
	}()
	go func() { in.done <- in.cmd.Wait() }()
	t.Cleanup(func() {
		if in.cmd.ProcessState == nil {
			in.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-in.done:
			case <-time.After(30 * time.Second):
				in.cmd.Process.Kill()
				<-in.done
			}
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, in.log.String())
		}
	})
	select {
	case line := <-first:
		addr, ok := strings.CutPrefix(line, "licmon serve: listening on ")
		if !ok {
			t.Fatalf("%s: first line %q", name, line)
		}
		in.base = "http://" + strings.Fields(addr)[0]
	case err := <-in.done:
		t.Fatalf("%s ended at start: %v\n%s", name, err, in.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start\n%s", name, in.log.String())
	}
	return in
}

// metrics returns the instance's /metrics ("" when it does not answer).
func (in *instance) metrics() string {
	resp, err := http.Get(in.base + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (in *instance) leads() bool {
	return strings.Contains(in.metrics(), fmt.Sprintf(`licmon_leader{instance=%q,shard="all"} 1`, in.name))
}

func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKillTheLeader is issue #15's test: two `licmon serve` processes (the
// built binary) on one PostgreSQL store; the leader is killed with SIGKILL;
// the other takes over within the stated time; no check or collection is
// lost or run twice (read from the store), and the webhook receives the
// alert once.
func TestKillTheLeader(t *testing.T) {
	dsn := pgtest.Schema(t)
	bin := filepath.Join(t.TempDir(), "licmon")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 60, HistoryDays: 30, Scenario: "lm-failing-rest-401"})
	hook := notifytest.NewReceiver(t, "ok")

	// The day's collection slot falls after the kill, so the new leader
	// must make it; the first collection is the start's catch-up.
	const every = 30 * time.Second // the shortest check_every
	start := time.Now().UTC()
	slot := start.Add(130 * time.Second).Truncate(time.Minute)
	cfg := filepath.Join(t.TempDir(), "licmon.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, `db: %s
sites:
  - name: sim
    server: %s
    cert_dir: %s
serve:
  instance: ${LICMON_INSTANCE}
  leader_poll: 1s
schedule:
  check_every: %s
  check_jitter: 1s
  collect_at: "%s"
  collect_jitter: 1s
  timezone: UTC
channels:
  webhook:
    - name: ops
      url: %s/hook
`, dsn, site.URL, site.CertDir, every, slot.Format("15:04"), hook.URL), 0o600)

	a := startServe(t, bin, cfg, "a")
	waitUntil(t, "a leading", time.Minute, a.leads)
	b := startServe(t, bin, cfg, "b")

	st, err := store.Open(t.Context(), dsn, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	collections := func() []store.Collection {
		cs, err := st.Collections(t.Context(), "sim", time.Time{}, time.Now().Add(24*time.Hour))
		if err != nil && !errors.Is(err, store.ErrUnknownSite) {
			t.Fatal(err)
		}
		return cs
	}
	checks := func() []store.CheckResult {
		cs, err := st.Checks(t.Context(), "sim", 1000)
		if err != nil && !errors.Is(err, store.ErrUnknownSite) {
			t.Fatal(err)
		}
		return cs
	}
	alerts := func() int {
		n := 0
		for _, r := range hook.Requests() {
			if body := string(r.Body); strings.Contains(body, `"key":"sim/lm-task-failed"`) && strings.Contains(body, `"status":"firing"`) {
				n++
			}
		}
		return n
	}
	waitUntil(t, "a's first check, collection and alert", time.Minute, func() bool {
		return len(checks()) >= 1 && len(collections()) == 1 && alerts() == 1
	})
	// The kill comes after a recorded the delivery (its API shows lastSent
	// once the state is saved): an alert whose delivery the leader's death
	// cuts off is sent again by design, since nobody knows it arrived.
	waitUntil(t, "a recording the delivery", time.Minute, func() bool {
		resp, err := http.Get(a.base + "/api/v1/alerts")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var got struct {
			Alerts []struct {
				Key      string  `json:"key"`
				LastSent *string `json:"lastSent"`
			} `json:"alerts"`
		}
		if json.NewDecoder(resp.Body).Decode(&got) != nil {
			return false
		}
		for _, al := range got.Alerts {
			if al.Key == "sim/lm-task-failed" && al.LastSent != nil {
				return true
			}
		}
		return false
	})
	if b.leads() || !strings.Contains(b.metrics(), `licmon_leader{instance="b",shard="all"} 0`) {
		t.Fatal("b does not stand by while a leads")
	}
	if time.Now().After(slot.Add(-20 * time.Second)) {
		t.Fatalf("the setup took until %s, too close to the collection slot %s for the test to mean anything", time.Now().UTC().Format(time.TimeOnly), slot.Format(time.TimeOnly))
	}

	// kill -9 the leader.
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	<-a.done
	waitUntil(t, "b taking over", 2*leader.HandoverWithin, b.leads)
	took := time.Since(killed)
	t.Logf("b leads %s after a was killed (stated: within %s)", took.Round(100*time.Millisecond), leader.HandoverWithin)
	if took > leader.HandoverWithin {
		t.Errorf("the handover took %s, more than the stated %s", took, leader.HandoverWithin)
	}

	// Wait for the slot's collection and two more checks by b.
	n := len(checks())
	waitUntil(t, "b's collection at the slot and two checks", time.Until(slot)+3*every, func() bool {
		return len(collections()) >= 2 && len(checks()) >= n+2
	})
	cs := collections()
	for _, c := range cs {
		t.Logf("collection at %s", c.At.Format(time.TimeOnly))
	}
	if len(cs) != 2 || !cs[0].At.Before(killed) || cs[1].At.Before(slot) {
		t.Errorf("collections %v: want the start's catch-up before the kill and the %s slot's after it, once each", cs, slot.Format("15:04"))
	}
	// Checks (newest first) follow each other by about the interval: none
	// twice at the handover (a gap of a second or two) and none lost across
	// the kill (a gap of two intervals). The bounds leave room for a loaded
	// machine's late timers.
	chk := checks()
	for _, c := range chk {
		t.Logf("check at %s", c.At.Format(time.TimeOnly))
	}
	for i := 0; i+1 < len(chk); i++ {
		gap := chk[i].At.Sub(chk[i+1].At)
		if gap < every/2 || gap > every*3/2 {
			t.Errorf("checks at %s and %s are %s apart, want about %s", chk[i+1].At.Format(time.TimeOnly), chk[i].At.Format(time.TimeOnly), gap, every)
		}
	}
	if n := alerts(); n != 1 {
		t.Errorf("the webhook received the alert %d times, want once", n)
	}
}
