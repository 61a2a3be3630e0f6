package serve

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/notifytest"
	"github.com/licmon/licmon/internal/notify/webhook"
	"github.com/licmon/licmon/internal/pgtest"
	"github.com/licmon/licmon/internal/sim"
	"github.com/licmon/licmon/internal/simtest"
	"github.com/licmon/licmon/internal/store"
)

// On a PostgreSQL store serve elects through the database: a leader whose
// session PostgreSQL ends (a network cut) stops its schedules and stands
// by, the other instance takes over, and the alert state in the database
// keeps the alert from being sent again.
func TestPostgresLeaderLosesItsSession(t *testing.T) {
	dsn := pgtest.Schema(t)
	site := simtest.Start(t, sim.Options{Seed: 3, Users: 60, HistoryDays: 30, Scenario: "lm-failing-rest-401"})
	hook := notifytest.NewReceiver(t, "ok")
	const every = 2 * time.Second
	base := config.Default()
	base.DB = dsn
	base.Sites = []config.Site{{Name: "sim", Server: site.URL, CertDir: site.CertDir}}
	base.Serve.Listen = "127.0.0.1:0"
	base.Serve.LeaderPoll = config.Duration(200 * time.Millisecond)
	base.Schedule.CheckEvery = config.Duration(every)
	base.Schedule.CheckJitter = config.Duration(time.Millisecond)
	base.Schedule.CheckTimeout = config.Duration(time.Minute)
	base.Channels.Webhook = []webhook.Config{{Name: "ops", URL: hook.URL + "/hook"}}
	base.Channels.Retry = notify.RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond}
	instance := func(name string) string {
		cfg := *base
		cfg.Serve.Instance = name
		ld := &loader{cfg: &cfg}
		return startServer(t, Options{Load: ld.Load, NewClient: QRSClient("test", nil), Version: "test", FollowEvery: 100 * time.Millisecond})
	}
	metric := func(base, line string) bool { _, m := get(t, base+"/metrics"); return strings.Contains(m, line) }
	baseA := instance("a")
	waitFor(t, "a leading", func() bool { return metric(baseA, `licmon_leader{instance="a",shard="all"} 1`) })
	baseB := instance("b")

	st, err := store.Open(t.Context(), dsn, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	count := func() (collections, checks int) {
		cs, err := st.Collections(t.Context(), "sim", time.Time{}, time.Now().Add(time.Hour))
		if err != nil && !errors.Is(err, store.ErrUnknownSite) {
			t.Fatal(err)
		}
		ch, err := st.Checks(t.Context(), "sim", 1000)
		if err != nil && !errors.Is(err, store.ErrUnknownSite) {
			t.Fatal(err)
		}
		return len(cs), len(ch)
	}
	waitFor(t, "a's alert, check and collection", func() bool {
		c, k := count()
		return alertsSent(hook, "sim/lm-task-failed") == 1 && c == 1 && k >= 1
	})
	if !metric(baseB, `licmon_leader{instance="b",shard="all"} 0`) {
		t.Fatal("b does not stand by")
	}

	pgtest.Exec(t, dsn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'licmon serve a'")
	waitFor(t, "b leading and a standing by", func() bool {
		return metric(baseB, `licmon_leader{instance="b",shard="all"} 1`) && metric(baseA, `licmon_leader{instance="a",shard="all"} 0`)
	})
	_, handover := count()
	waitFor(t, "two checks by b", func() bool { _, k := count(); return k >= handover+2 })
	if c, _ := count(); c != 1 {
		t.Errorf("%d collections, want 1", c)
	}
	if n := alertsSent(hook, "sim/lm-task-failed"); n != 1 {
		t.Errorf("the alert was sent %d times, want once", n)
	}
	// a campaigns again but stays a standby while b holds the lock.
	time.Sleep(5 * 200 * time.Millisecond)
	if !metric(baseA, `licmon_leader{instance="a",shard="all"} 0`) {
		t.Error("a leads again beside b")
	}
}
