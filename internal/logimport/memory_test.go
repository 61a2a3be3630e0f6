package logimport_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/licmon/licmon/internal/logimport"
	"github.com/licmon/licmon/internal/qlog"
	"github.com/licmon/licmon/internal/store"
)

// writeDenials writes files security logs of rows denials each, every row
// its own Id, so nothing merges and every row is saved.
func writeDenials(t *testing.T, dir string, files, rows int) {
	t.Helper()
	audit := filepath.Join(dir, "node1", "Repository", "Audit")
	if err := os.MkdirAll(audit, 0o755); err != nil {
		t.Fatal(err)
	}
	for f := range files {
		fh, err := os.Create(filepath.Join(audit, fmt.Sprintf("N1_AuditSecurity_Repository_2026-01-%02dT10.00.00Z.log", f+1)))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(fh)
		fmt.Fprint(w, securityHeader)
		for i := range rows {
			u := i % 5000
			fmt.Fprintf(w, "%d\t14.0\t202601%02dT%02d%02d%02d.000+0000\tN1\t%08x-0000-4000-8000-%012x\tCommand=License user access;Result=403;ResultText=Error: Access denied\t0\t0\t0\tCORP\tu%d\t\t\t\t\tRepository\t\t\tLicense user access\t403\tProfessional access denied for User: 'CORP\\u%d', OperationType: 'UsageDenied'\tff\n",
				i+1, f+1, i/3600%24, i/60%60, i%60, f, i, u, u)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
}

// peakStore records the live heap each time a batch is saved: when the
// pipeline holds the most (the batch being saved, the one being merged,
// the readers' batches in flight).
type peakStore struct {
	store.Store
	peak  uint64
	saves int
}

func (p *peakStore) SaveLogBatch(ctx context.Context, site string, b *store.LogBatch) error {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.peak = max(p.peak, ms.HeapAlloc)
	p.saves++
	return p.Store.SaveLogBatch(ctx, site, b)
}

// Memory is flat in the size of the input: importing four times the rows
// holds no more live heap than importing a quarter of them, because the
// pipeline is bounded (workers, channel, two batches of BatchRows) and
// nothing is kept per row read.
func TestImportMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 330k generated rows")
	}
	ctx := context.Background()
	// Files of two reader batches each, so both imports fill the pipeline
	// (readers, channel, merging and saving) and differ only in length.
	const perFile = 2 * qlog.BatchSize
	measure := func(files int) (peak uint64, denials int64) {
		rows := files * perFile
		dir := t.TempDir()
		writeDenials(t, dir, files, perFile)
		st := &peakStore{Store: openStore(t)}
		res, err := logimport.Import(ctx, st, []string{dir}, logimport.Options{Site: "s", BatchRows: 4000})
		if err != nil {
			t.Fatal(err)
		}
		// A batch closes at the first reader batch that takes it past
		// BatchRows.
		if st.saves < rows/(4000+qlog.BatchSize) {
			t.Fatalf("%d rows saved in %d batches: the batches are not bounded", rows, st.saves)
		}
		return st.peak, res.Denials
	}
	smallPeak, smallN := measure(4)
	bigPeak, bigN := measure(16)
	t.Logf("live heap at a save: %d KB for %d denials, %d KB for %d denials", smallPeak>>10, smallN, bigPeak>>10, bigN)
	if smallN != 4*perFile || bigN != 16*perFile {
		t.Fatalf("denials read: %d and %d, want %d and %d", smallN, bigN, 4*perFile, 16*perFile)
	}
	// What is in flight when a batch is saved varies with scheduling (up to
	// the channel's four reader parts, about 330 KB each, and the batch
	// being merged): 4 MB of slack. A heap that grew with the input would
	// hold the 196k extra rows read, or the 60k extra per-user-day
	// aggregates they make (about 6 MB).
	if bigPeak > smallPeak+4<<20 {
		t.Errorf("live heap grows with the input: %d KB for %d rows, %d KB for %d rows", smallPeak>>10, smallN, bigPeak>>10, bigN)
	}
}
