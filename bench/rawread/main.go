// Command rawread is the reference of bench/report.sh: it reads from a
// licmon store the rows `licmon report` reads for a site (the per-user
// state of the latest collection: allocations, users, authoring; and each
// type's daily counters) with database/sql and the same SQLite driver,
// scanning every column as the driver gives it and building nothing. It is
// the floor of reading those rows through database/sql; what licmon
// report takes beyond it is decoding, the forecasts, the plan and the
// output. It prints the rows read, the wall time and the CPU time.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite"
)

func main() {
	db := flag.String("db", "", "licmon store `file`")
	site := flag.String("site", "", "site `name`")
	flag.Parse()
	if *db == "" || *site == "" {
		fmt.Fprintln(os.Stderr, "usage: rawread --db FILE --site NAME")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*db)
	if err != nil {
		fail(err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro"}
	start, cpu0 := time.Now(), cpuTime()
	d, err := sql.Open("sqlite", u.String())
	if err != nil {
		fail(err)
	}
	defer d.Close()
	ctx := context.Background()
	var siteID, cid int64
	if err := d.QueryRowContext(ctx, `SELECT s.id, c.id FROM sites s JOIN collections c ON c.site_id = s.id
		WHERE s.name = ? ORDER BY c.at DESC LIMIT 1`, *site).Scan(&siteID, &cid); err != nil {
		fail(fmt.Errorf("find the latest collection of %s: %w", *site, err))
	}
	// The report reads these concurrently; so does the reference.
	queries := []string{
		`SELECT k.guid, v.type, u.guid, v.directory, v.user_id, v.created, v.last_used, v.quarantined, v.quarantine_end, v.excess, v.deleted_user
		FROM allocation_versions v JOIN allocation_keys k ON k.id = v.alloc_key JOIN user_keys u ON u.id = v.user_key
		WHERE v.site_id = ? AND v.valid_to IS NULL`,
		`SELECT k.guid, v.directory, v.user_id, v.name, v.created, v.inactive, v.blocked, v.removed_externally, v.tags, v.custom_properties, v.roles
		FROM user_versions v JOIN user_keys k ON k.id = v.user_key WHERE v.site_id = ? AND v.valid_to IS NULL`,
		`SELECT k.guid, v.apps_owned, v.apps_published, v.objects_owned, v.objects_published, v.data_connections_owned, v.last_authored
		FROM authoring_versions v JOIN user_keys k ON k.id = v.user_key WHERE v.site_id = ? AND v.valid_to IS NULL`,
		`SELECT c.day, n.type, n.allocated, n.used, n.total, n.quarantined, n.excess, n.available
		FROM collections c JOIN counters n ON n.collection_id = c.id WHERE c.site_id = ? ORDER BY c.at`,
	}
	rows := make([]int, len(queries))
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i], errs[i] = scan(ctx, d, q, siteID)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fail(err)
		}
	}
	fmt.Printf("rows %d allocations, %d users, %d authoring, %d daily counters; wall %.3f s, cpu %.3f s\n",
		rows[0], rows[1], rows[2], rows[3], time.Since(start).Seconds(), (cpuTime() - cpu0).Seconds())
}

// scan reads every row of q, each column as the driver returns it.
func scan(ctx context.Context, d *sql.DB, q string, siteID int64) (int, error) {
	r, err := d.QueryContext(ctx, q, siteID)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cols, err := r.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for r.Next() {
		if err := r.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, r.Err()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rawread:", err)
	os.Exit(1)
}
