package leader_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/licmon/licmon/internal/leader"
	"github.com/licmon/licmon/internal/pgtest"
)

// postgresDSN is a schema of its own on the test server: a skip on a
// developer's machine without one, a failure in CI.
func postgresDSN(t *testing.T) string { return pgtest.Schema(t) }

// shard is a shard name no other test (or earlier run) uses.
func shard(t *testing.T) string {
	return fmt.Sprintf("%s-%d", t.Name(), rand.Int64())
}

func newPG(t *testing.T, dsn, shard, instance string) *leader.Postgres {
	t.Helper()
	p, err := leader.NewPostgres(leader.PostgresOptions{DSN: dsn, Shard: shard, Instance: instance, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// campaign runs Campaign in the background and returns where its result lands.
func campaign(ctx context.Context, e leader.Elector) <-chan context.Context {
	ch := make(chan context.Context, 1)
	go func() {
		lctx, err := e.Campaign(ctx)
		if err == nil {
			ch <- lctx
		}
		close(ch)
	}()
	return ch
}

// within fails the test when ch yields nothing before a generous bound;
// the bound catches a hang, it measures nothing.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: nothing after 30s", what)
	}
	var zero T
	return zero
}

func TestSingleAlwaysLeads(t *testing.T) {
	s := leader.NewSingle("host-1", "all")
	if s.Leading() {
		t.Fatal("leading before the campaign")
	}
	lctx, err := s.Campaign(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Leading() || lctx.Err() != nil {
		t.Fatal("the single instance does not lead after its campaign")
	}
	if s.Instance() != "host-1" || s.Shard() != "all" {
		t.Fatalf("instance %q shard %q", s.Instance(), s.Shard())
	}
	s.Close()
	<-lctx.Done()
}

func TestDefaultInstanceNamesHostAndPid(t *testing.T) {
	id := leader.DefaultInstance()
	if !strings.HasSuffix(id, fmt.Sprintf("-%d", os.Getpid())) {
		t.Fatalf("instance %q does not end with the pid", id)
	}
}

func TestBadDSNDoesNotPrintThePassword(t *testing.T) {
	_, err := leader.NewPostgres(leader.PostgresOptions{DSN: "postgres://licmon:s3cret-pw@db.example.com:notaport/licmon"})
	if err == nil {
		t.Fatal("no error for a port that is not a number")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Fatalf("the error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "connection string") {
		t.Fatalf("the error does not say what is wrong: %v", err)
	}
}

// One instance leads; the other takes over when it resigns.
func TestPostgresOneLeaderThenHandover(t *testing.T) {
	dsn := postgresDSN(t)
	sh := shard(t)
	a, b := newPG(t, dsn, sh, "a"), newPG(t, dsn, sh, "b")
	actx := within(t, campaign(t.Context(), a), "a's campaign")
	if !a.Leading() {
		t.Fatal("a won the campaign but does not say it leads")
	}
	bch := campaign(t.Context(), b)
	// b keeps trying every poll; after many polls it must still wait.
	time.Sleep(20 * b.Poll())
	select {
	case <-bch:
		t.Fatal("b leads while a holds the lock")
	default:
	}
	if b.Leading() {
		t.Fatal("b says it leads while a does")
	}
	a.Close()
	<-actx.Done()
	bctx := within(t, bch, "b's takeover")
	if !b.Leading() || bctx.Err() != nil || a.Leading() {
		t.Fatalf("after a resigned: a leading %v, b leading %v", a.Leading(), b.Leading())
	}
}

// A leader whose session PostgreSQL ends (a lost connection) stops leading,
// and a standby takes over.
func TestPostgresLostSessionEndsLeadership(t *testing.T) {
	dsn := postgresDSN(t)
	sh := shard(t)
	a, b := newPG(t, dsn, sh, "a-lost"), newPG(t, dsn, sh, "b-lost")
	actx := within(t, campaign(t.Context(), a), "a's campaign")
	bch := campaign(t.Context(), b)

	admin, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(t.Context(),
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'licmon serve a-lost'"); err != nil {
		t.Fatal(err)
	}
	within(t, chanOf(actx.Done()), "a noticing its lost session")
	if a.Leading() {
		t.Fatal("a still says it leads after its session ended")
	}
	within(t, bch, "b's takeover")
	if !b.Leading() {
		t.Fatal("b won but does not lead")
	}
	// a campaigns again and waits: b holds the lock now.
	ach := campaign(t.Context(), a)
	time.Sleep(20 * a.Poll())
	select {
	case <-ach:
		t.Fatal("a leads again beside b")
	default:
	}
}

func chanOf(done <-chan struct{}) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go func() { <-done; ch <- struct{}{} }()
	return ch
}

// Each shard has its own leader.
func TestPostgresShardsLeadIndependently(t *testing.T) {
	dsn := postgresDSN(t)
	sh := shard(t)
	a, b := newPG(t, dsn, sh+"/emea", "a"), newPG(t, dsn, sh+"/amer", "b")
	within(t, campaign(t.Context(), a), "emea's campaign")
	within(t, campaign(t.Context(), b), "amer's campaign")
	if !a.Leading() || !b.Leading() {
		t.Fatal("two shards did not both get a leader")
	}
}

// Only the lock holder writes the shared state; any instance reads it; an
// instance that lost the lock cannot overwrite its successor's state.
func TestPostgresStateIsFencedByTheLock(t *testing.T) {
	dsn := postgresDSN(t)
	sh := shard(t)
	name := "alerts/" + sh
	a, b := newPG(t, dsn, sh, "a-state"), newPG(t, dsn, sh, "b-state")
	if v, err := b.LoadState(t.Context(), name); err != nil || v != nil {
		t.Fatalf("state before any write: %q, %v", v, err)
	}
	within(t, campaign(t.Context(), a), "a's campaign")
	if err := a.SaveState(t.Context(), name, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	bch := campaign(t.Context(), b)
	if err := b.SaveState(t.Context(), name, []byte(`{"v":"b"}`)); !errors.Is(err, leader.ErrNotLeader) {
		t.Fatalf("a standby's write: %v, want ErrNotLeader", err)
	}
	if v, err := b.LoadState(t.Context(), name); err != nil || string(v) != `{"v":1}` {
		t.Fatalf("the standby reads %q, %v", v, err)
	}
	if err := a.SaveState(t.Context(), name, []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	within(t, bch, "b's takeover")
	if err := a.SaveState(t.Context(), name, []byte(`{"v":"stale"}`)); !errors.Is(err, leader.ErrNotLeader) {
		t.Fatalf("the former leader's write: %v, want ErrNotLeader", err)
	}
	if v, err := b.LoadState(t.Context(), name); err != nil || string(v) != `{"v":2}` {
		t.Fatalf("the new leader reads %q, %v", v, err)
	}
	if err := b.SaveState(t.Context(), name, []byte(`{"v":3}`)); err != nil {
		t.Fatal(err)
	}
}

// One shard name in two stores (two schemas of one database) elects two
// leaders: the lock key is per schema.
func TestPostgresSchemasElectApart(t *testing.T) {
	a, b := newPG(t, postgresDSN(t), "all", "a"), newPG(t, postgresDSN(t), "all", "b")
	within(t, campaign(t.Context(), a), "the first store's campaign")
	within(t, campaign(t.Context(), b), "the second store's campaign")
	if !a.Leading() || !b.Leading() {
		t.Fatal("two stores in one database did not both get a leader")
	}
}

// A campaign against an unreachable database waits, and ends with its
// context instead of failing the daemon.
func TestPostgresCampaignWaitsForTheDatabase(t *testing.T) {
	p, err := leader.NewPostgres(leader.PostgresOptions{DSN: "postgres://licmon@127.0.0.1:1/licmon?connect_timeout=1",
		Shard: "x", Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := p.Campaign(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("campaign against a closed port: %v, want the context's end", err)
	}
	if p.Leading() {
		t.Fatal("leading without a database")
	}
}
