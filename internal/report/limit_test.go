package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/licmon/licmon/internal/store/storetest"
)

// TestCandidateLimit: a report built with a candidate limit holds the
// first entries of the full lists, in the same order, and the sizes of the
// full lists; cutting a full report (what the API does) gives the same;
// the candidates CSV refuses a cut report rather than export part of it.
func TestCandidateLimit(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	at := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	snap := storetest.Generate(7, storetest.Config{Site: "big", At: at, Users: 600, Professional: 300, Analyzer: 250,
		Authoring: 60, CapacityUser: 40})
	snap.Counters = storetest.CountersOf(snap, 320, 260)
	if _, err := st.SaveSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	full, err := Build(ctx, st, "big", Options{Seed: 1, NoBacktest: true})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 7
	cut, err := Build(ctx, st, "big", Options{Seed: 1, NoBacktest: true, CandidateLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	fc := full.Candidates
	if !fc.Complete || fc.Limit != 0 {
		t.Fatalf("full report: complete %v limit %d", fc.Complete, fc.Limit)
	}
	if want := (CandidateCounts{len(fc.Reclaim), len(fc.Downgrade), len(fc.Dual), len(fc.Capacity)}); fc.Counts != want {
		t.Fatalf("full counts %+v, lists %+v", fc.Counts, want)
	}
	if fc.Counts.Reclaim <= limit || fc.Counts.Downgrade <= limit {
		t.Fatalf("the fixture has too few candidates to test a limit of %d: %+v", limit, fc.Counts)
	}
	first := func(l []Candidate) []Candidate { return l[:min(len(l), limit)] }
	want := Candidates{Limit: limit, Counts: fc.Counts, Reclaim: first(fc.Reclaim), Downgrade: first(fc.Downgrade),
		Dual: first(fc.Dual), Capacity: first(fc.Capacity)}
	if d := cmp.Diff(want, cut.Candidates); d != "" {
		t.Errorf("built with a limit (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, full.WithCandidateLimit(limit).Candidates); d != "" {
		t.Errorf("cut after building (-want +got):\n%s", d)
	}
	if full.WithCandidateLimit(0) != full || full.WithCandidateLimit(1000) != full {
		t.Error("a limit that cuts nothing must return the report itself")
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, full.WithCandidateLimit(limit)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Candidates struct {
			Complete bool
			Limit    int
			Counts   map[string]int
			Reclaim  []json.RawMessage
		}
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Candidates.Complete || doc.Candidates.Limit != limit || len(doc.Candidates.Reclaim) != limit || doc.Candidates.Counts["reclaim"] != fc.Counts.Reclaim {
		t.Errorf("JSON candidates: complete %v limit %d, %d reclaim listed of %d", doc.Candidates.Complete, doc.Candidates.Limit,
			len(doc.Candidates.Reclaim), doc.Candidates.Counts["reclaim"])
	}
	if err := WriteCandidatesCSV(&bytes.Buffer{}, cut); err == nil || !strings.Contains(err.Error(), "--candidates") {
		t.Errorf("candidates CSV of a cut report: %v, want a refusal naming --candidates", err)
	}

	// Everything else is the same report: the plan counts every candidate.
	cut.Candidates, full.Candidates = Candidates{}, Candidates{}
	if d := cmp.Diff(full, cut); d != "" {
		t.Errorf("the limit changed more than the lists (-full +cut):\n%s", d)
	}

}
