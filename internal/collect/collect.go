// Package collect takes one consistent snapshot of a site's license state
// from the QRS (overview counters, per-user allocations, users, authoring
// activity, analyzer-capacity use) as a license.Snapshot, and records it in
// the history store.
//
// Lists are streamed from the QRS and reduced on the fly, so a 100k-user
// site never holds its JSON or its full QRS objects in memory; only the
// small domain records the store needs are kept.
package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/licmon/licmon/internal/demand"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/store"
)

// The collector decodes the big lists (allocations, users, apps, app objects) into slim
// records holding only the fields a snapshot needs (decode.go): every byte is
// still read and its syntax checked, but the rest is skipped without being
// decoded, and nothing is allocated for it, which decides both the CPU and
// the peak memory of a 100k-user collection.

// slimUser is what a snapshot keeps of /qrs/user/full.
type slimUser struct {
	ID                string                `json:"id"`
	CreatedDate       qrs.Time              `json:"createdDate"`
	UserID            string                `json:"userId"`
	UserDirectory     string                `json:"userDirectory"`
	Name              string                `json:"name"`
	Roles             []string              `json:"roles"`
	Inactive          bool                  `json:"inactive"`
	RemovedExternally bool                  `json:"removedExternally"`
	Blacklisted       bool                  `json:"blacklisted"`
	Tags              []tag                 `json:"tags"`
	CustomProperties  []customPropertyValue `json:"customProperties"`
}

type tag struct {
	Name string `json:"name"`
}

type customPropertyValue struct {
	Value      string `json:"value"`
	Definition struct {
		Name string `json:"name"`
	} `json:"definition"`
}

// slimAllocation is what a snapshot keeps of a
// /qrs/license/{professional,analyzer,user}accesstype/full row.
type slimAllocation struct {
	ID                   string          `json:"id"`
	CreatedDate          qrs.Time        `json:"createdDate"`
	User                 *allocationUser `json:"user"`
	LastUsed             qrs.Time        `json:"lastUsed"`
	Excess               bool            `json:"excess"`
	Quarantined          bool            `json:"quarantined"`
	QuarantineEnd        qrs.Time        `json:"quarantineEnd"`
	DeletedUserID        string          `json:"deletedUserId"`
	DeletedUserDirectory string          `json:"deletedUserDirectory"`
}

type allocationUser struct {
	ID            string `json:"id"`
	UserID        string `json:"userId"`
	UserDirectory string `json:"userDirectory"`
}

type owner struct {
	ID string `json:"id"`
}

// owned is what authoring needs of an app, an app object or a data connection.
type owned struct {
	Owner        *owner   `json:"owner"`
	CreatedDate  qrs.Time `json:"createdDate"`
	ModifiedDate qrs.Time `json:"modifiedDate"`
	Published    bool     `json:"published"`
	PublishTime  qrs.Time `json:"publishTime"`
}

// capacityUnit is the granularity Qlik bills analyzer capacity in.
const capacityUnit = 6 * time.Minute

// snapshot reads the site's license state at now. countUsers, when set, is
// told the site's user count from the QRS.
//
// The QRS has no transactions, so "consistent" means: every list is read in
// one pass, concurrently, within seconds, and nothing is written until all
// of them succeeded. A failure of any list fails the snapshot, so a partial
// view is never stored.
//
// With a previous collection (loadPrev, read on demand so that reading it
// from the store overlaps the QRS reads that do not need it), users and app
// objects are read incrementally: only those created or modified since
// prev.At (a filter on modifiedDate). The users then form a partial snapshot
// (UsersPartial, with the site's UserCount) that the store merges with the
// users it holds; app objects are folded into prev's per-user object counts.
// Apps and data connections are always read whole.
// Objects deleted since a full read are only noticed at the next full read,
// which Run does once a week.
//
// early, if set, is called with the users and allocations as soon as they
// (and not yet every other list) have been read whole, so that a first
// collection's save can begin (store.StagedSaver); it is not called on an
// incremental read or when a list failed, and it must not block.
func snapshot(ctx context.Context, src *qrs.Client, site string, now time.Time, countUsers func(int), loadPrev func() (*Previous, error),
	early func(users []license.User, allocs []license.Allocation)) (*license.Snapshot, error) {
	s := &license.Snapshot{Site: site, At: now.UTC()}
	getPrev := sync.OnceValues(loadPrev)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	// The user count sizes the user list, and tells the caller the size
	// of the site for its memory limit while the lists stream; a failure
	// here is the lists' failure too, reported by them.
	userCount := sync.OnceValues(func() (int, error) { return src.Count(ctx, "user", "") })
	if countUsers != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := userCount(); err == nil {
				countUsers(n)
			}
		}()
	}
	run := func(what string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("read %s: %w", what, err))
				mu.Unlock()
				cancel()
			}
		}()
	}

	var lic *qrs.License
	var ov *qrs.AccessTypeOverview
	// The overview's counters size the allocation lists.
	overview := sync.OnceValues(func() (*qrs.AccessTypeOverview, error) { return src.AccessTypeOverview(ctx) })
	run("license", func() (err error) { lic, err = src.License(ctx); return })
	run("access type overview", func() (err error) { ov, err = overview(); return })

	// The allocation lists, in the snapshot's order, are read into one
	// array sized from the overview's counters.
	kinds := [3]struct {
		kind qrs.AccessTypeKind
		typ  license.Type
	}{{qrs.KindProfessional, license.Professional}, {qrs.KindAnalyzer, license.Analyzer}, {qrs.KindUser, license.UserAccess}}
	parts := sync.OnceValue(func() *allocationParts {
		var sizes [3]int
		if ov, err := overview(); err == nil {
			for i, k := range kinds {
				sizes[i] = allocated(ov, k.typ)
			}
		}
		return newAllocationParts(sizes)
	})
	var allocs [3][]license.Allocation
	// perUser: the lists early waits for.
	var perUser sync.WaitGroup
	perUser.Add(len(kinds) + 1)
	for i, k := range kinds {
		run(string(k.kind)+" allocations", func() error {
			defer perUser.Done()
			l := newAllocationList(k.typ, parts().part(i))
			err := qrs.StreamFrom(ctx, src, "license/"+string(k.kind)+"accesstype/full", qrs.ListOptions{}, l, l.add)
			mu.Lock()
			allocs[i] = l.out
			mu.Unlock()
			return err
		})
	}

	run("users", func() error {
		defer perUser.Done()
		prev, err := getPrev()
		if err != nil {
			return err
		}
		if prev != nil {
			s.Users, s.UserCount, err = changedUsers(ctx, src, prev.At, userCount)
			s.UsersPartial = err == nil
			return err
		}
		n, _ := userCount() // without it, the list grows as it is read
		s.Users, err = allUsers(ctx, src, n)
		return err
	})

	var joined []license.Allocation // the allocations, if early had them
	if early != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			perUser.Wait()
			mu.Lock()
			failed := len(errs) > 0
			mu.Unlock()
			if failed || ctx.Err() != nil || s.UsersPartial {
				return
			}
			joined = parts().join(allocs)
			early(s.Users, joined)
		}()
	}

	auth := newAuthoring()
	run("apps", func() error {
		l := newOwnedList()
		return qrs.StreamFrom(ctx, src, "app/full", qrs.ListOptions{}, l, func() error {
			auth.app(&l.o)
			return nil
		})
	})
	run("app objects", func() error {
		prev, err := getPrev()
		if err != nil {
			return err
		}
		objects := qrs.ListOptions{}
		if prev != nil {
			auth.seedObjects(prev.Authoring)
			objects.Filter = "modifiedDate ge '" + prev.At.UTC().Add(-objectOverlap).Format("2006-01-02T15:04:05.000Z") + "'"
		}
		l := newOwnedList()
		return qrs.StreamFrom(ctx, src, "app/object/full", objects, l, func() error {
			if prev != nil && !t(l.o.CreatedDate).After(prev.At) {
				auth.objectChanged(&l.o) // existed before: already counted
				return nil
			}
			auth.object(&l.o)
			return nil
		})
	})
	run("data connections", func() error {
		l := newOwnedList()
		return qrs.StreamFrom(ctx, src, "dataconnection/full", qrs.ListOptions{}, l, func() error {
			auth.connection(&l.o)
			return nil
		})
	})

	capacity := map[string]int64{}
	month := license.MonthOf(now)
	run("analyzer capacity usage", func() error {
		err := src.StreamAccessUsage(ctx, qrs.KindAnalyzerTime, qrs.ListOptions{}, func(u qrs.AccessUsage) error {
			if u.User == nil {
				return nil
			}
			if m := capacityMinutes(&u, month, now); m > 0 {
				mu.Lock()
				capacity[u.User.ID] += m
				mu.Unlock()
			}
			return nil
		})
		if qrs.IsNotFound(err) {
			return nil // sites without a capacity license may not serve the endpoint
		}
		return err
	})
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}

	s.License = siteLicense(lic, ov)
	s.Counters = counters(ov)
	s.Allocations = joined
	if s.Allocations == nil {
		s.Allocations = parts().join(allocs)
	}
	s.Authoring = auth.result()
	for id, m := range capacity {
		s.Capacity = append(s.Capacity, license.CapacityUse{UserGUID: id, Month: month, Minutes: m})
	}
	sort.Slice(s.Capacity, func(i, j int) bool { return s.Capacity[i].UserGUID < s.Capacity[j].UserGUID })
	return s, nil
}

func t(q qrs.Time) time.Time {
	if q.IsNever() || q.IsZero() {
		return time.Time{}
	}
	return q.UTC()
}

func allocation(typ license.Type, a *slimAllocation) license.Allocation {
	out := license.Allocation{ID: a.ID, Type: typ, Created: t(a.CreatedDate), LastUsed: t(a.LastUsed),
		Quarantined: a.Quarantined, Excess: a.Excess}
	if a.Quarantined {
		out.QuarantineEnd = t(a.QuarantineEnd)
	}
	if a.User != nil {
		out.UserGUID, out.Directory, out.UserID = a.User.ID, a.User.UserDirectory, a.User.UserID
	} else if a.DeletedUserID != "" {
		out.DeletedUser = true
		out.UserGUID, out.Directory, out.UserID = "deleted:"+a.DeletedUserDirectory+`\`+a.DeletedUserID, a.DeletedUserDirectory, a.DeletedUserID
	}
	return out
}

// allocated is how many allocations of typ the overview counts: the
// expected length of their list.
func allocated(ov *qrs.AccessTypeOverview, typ license.Type) int {
	switch typ {
	case license.Professional:
		return ov.ProfessionalAccess.Allocated + ov.ProfessionalAccess.Quarantined
	case license.Analyzer:
		return ov.AnalyzerAccess.Allocated + ov.AnalyzerAccess.Quarantined
	case license.UserAccess:
		if u := ov.UserAccess; u.TokenCost > 0 {
			return int(float64(u.AllocatedTokens+u.QuarantinedTokens) / u.TokenCost)
		}
	}
	return 0
}

// user converts a slim user. Its slices are copied: a list's decoder
// reuses the slim record's arrays.
func user(u *slimUser) license.User {
	out := license.User{ID: u.ID, Directory: u.UserDirectory, UserID: u.UserID, Name: u.Name, Created: t(u.CreatedDate),
		Inactive: u.Inactive, Blocked: u.Blacklisted, RemovedExternally: u.RemovedExternally}
	if len(u.Tags) > 0 {
		out.Tags = make([]string, len(u.Tags))
		for i, tag := range u.Tags {
			out.Tags[i] = tag.Name
		}
		sortSet(out.Tags)
	}
	if len(u.Roles) > 0 {
		out.Roles = slices.Clone(u.Roles)
		sortSet(out.Roles)
	}
	for _, cp := range u.CustomProperties {
		if cp.Definition.Name == "" {
			continue
		}
		if out.CustomProperties == nil {
			out.CustomProperties = map[string][]string{}
		}
		out.CustomProperties[cp.Definition.Name] = append(out.CustomProperties[cp.Definition.Name], cp.Value)
	}
	for _, v := range out.CustomProperties {
		sortSet(v)
	}
	return out
}

// sortSet sorts a set of strings, most often already sorted or of one.
func sortSet(s []string) {
	if !slices.IsSorted(s) {
		slices.Sort(s)
	}
}

// capacityMinutes is the capacity a usage consumed in month, rounded up to
// Qlik's 6-minute units. A usage still open counts up to its latest activity.
func capacityMinutes(u *qrs.AccessUsage, month string, now time.Time) int64 {
	start := t(u.UseStartTime)
	end := t(u.UseStopTime)
	if end.IsZero() {
		end = t(u.LatestActivity)
	}
	if start.IsZero() || end.Before(start) || license.MonthOf(start) != month {
		return 0
	}
	if end.After(now) {
		end = now
	}
	units := (end.Sub(start) + capacityUnit - 1) / capacityUnit
	if units < 1 {
		units = 1
	}
	return int64(units * capacityUnit / time.Minute)
}

func siteLicense(l *qrs.License, ov *qrs.AccessTypeOverview) license.SiteLicense {
	out := license.SiteLicense{Product: int(l.Product), Name: l.Name, Organization: l.Organization,
		Expired: l.IsExpired, Invalid: l.IsInvalid, Blacklisted: l.IsBlacklisted}
	switch {
	case l.Key != "":
		out.Model = license.ModelSignedKey
	case l.LEF != "" || l.Serial != "":
		out.Model = license.ModelSerialLEF
	}
	serial := strings.ReplaceAll(l.Serial, " ", "")
	if len(serial) >= 4 {
		out.SerialTail = serial[len(serial)-4:]
	}
	if end, ok := l.ValidTo(); ok {
		out.ValidTo = end
	}
	if ov != nil && ov.TokensEnabled {
		out.TotalTokens, out.AvailableTokens = int64(ov.TotalTokens), int64(ov.AvailableTokens)
	}
	return out
}

func counters(ov *qrs.AccessTypeOverview) []license.Counters {
	d := func(typ license.Type, a qrs.AccessTypeDetails) license.Counters {
		return license.Counters{Type: typ, Enabled: a.Enabled, Total: int64(a.Total), Allocated: int64(a.Allocated), Used: int64(a.Used),
			Quarantined: int64(a.Quarantined), Excess: int64(a.Excess), Available: int64(a.Available)}
	}
	out := []license.Counters{d(license.Professional, ov.ProfessionalAccess), d(license.Analyzer, ov.AnalyzerAccess)}
	if a := ov.AnalyzerTimeAccess; a != nil {
		out = append(out, license.Counters{Type: license.AnalyzerCapacity, Enabled: a.Enabled, Total: int64(a.AllocatedMinutes),
			Used: int64(a.UsedMinutes), Unavailable: int64(a.UnavailableMinutes), Available: int64(a.AllocatedMinutes - a.UsedMinutes)})
	}
	u, l := ov.UserAccess, ov.LoginAccess
	out = append(out,
		license.Counters{Type: license.UserAccess, Enabled: u.Enabled, Allocated: int64(u.AllocatedTokens), Used: int64(u.UsedTokens),
			Quarantined: int64(u.QuarantinedTokens), TokenCost: u.TokenCost},
		license.Counters{Type: license.LoginAccess, Enabled: l.Enabled, Allocated: int64(l.AllocatedTokens), Used: int64(l.UsedTokens),
			Unavailable: int64(l.UnavailableTokens), TokenCost: l.TokenCost})
	return out
}

// objectOverlap re-reads objects modified shortly before the previous
// collection, so clock skew between licmon and the QRS cannot lose a last
// authoring date (taking the later date twice is harmless). New objects are
// counted by createdDate after the previous collection; with a skewed clock
// one created in the skew window can be missed until the weekly full read.
const objectOverlap = 10 * time.Minute

// Previous is what an incremental snapshot builds on: the time and the
// per-user authoring of the previous collection.
type Previous struct {
	At        time.Time
	Authoring []license.Authoring
}

// changedUsers reads only the users created or modified since the
// previous collection (QRS updates modifiedDate with every change of a
// user, including the flags a user directory sync sets) and the site's
// user count, with which the store checks that none was deleted.
func changedUsers(ctx context.Context, src *qrs.Client, since time.Time, count func() (int, error)) ([]license.User, int, error) {
	var n int
	var cerr error
	done := make(chan struct{})
	go func() {
		n, cerr = count()
		close(done)
	}()
	l := newUserList(0)
	filter := "modifiedDate ge '" + since.UTC().Add(-objectOverlap).Format("2006-01-02T15:04:05.000Z") + "'"
	err := qrs.StreamFrom(ctx, src, "user/full", qrs.ListOptions{Filter: filter}, l, l.add)
	<-done
	return l.out, n, errors.Join(err, cerr)
}

// allUsers reads every user, of which there are about n.
func allUsers(ctx context.Context, src *qrs.Client, n int) ([]license.User, error) {
	l := newUserList(n)
	err := qrs.StreamFrom(ctx, src, "user/full", qrs.ListOptions{}, l, l.add)
	return l.out, err
}

// seedObjects starts the object counts and last authoring dates from the
// previous collection.
func (a *authoring) seedObjects(prev []license.Authoring) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range prev {
		x := a.get(&owner{ID: p.UserGUID})
		x.ObjectsOwned, x.ObjectsPublished = p.ObjectsOwned, p.ObjectsPublished
		later(x, p.LastAuthored)
	}
}

// objectChanged records the modification of an object counted before.
func (a *authoring) objectChanged(o *owned) {
	if o.Owner == nil || o.Owner.ID == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	later(a.get(o.Owner), t(o.ModifiedDate))
}

// authoring folds apps, app objects and data connections into a per-owner
// summary while they stream by.
type authoring struct {
	mu sync.Mutex
	m  map[string]*license.Authoring
}

func newAuthoring() *authoring { return &authoring{m: map[string]*license.Authoring{}} }

func (a *authoring) get(o *owner) *license.Authoring {
	x := a.m[o.ID]
	if x == nil {
		x = &license.Authoring{UserGUID: o.ID}
		a.m[o.ID] = x
	}
	return x
}

func later(x *license.Authoring, ts time.Time) {
	if ts.After(x.LastAuthored) {
		x.LastAuthored = ts
	}
}

// app counts an owned app. Its modifiedDate is not authoring (every reload
// changes it), so only its creation and publication count as activity.
func (a *authoring) app(app *owned) {
	if app.Owner == nil || app.Owner.ID == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.get(app.Owner)
	x.AppsOwned++
	later(x, t(app.CreatedDate))
	if app.Published {
		x.AppsPublished++
		later(x, t(app.PublishTime))
	}
}

// object counts an owned sheet, story or other object; their modifiedDate
// is authoring.
func (a *authoring) object(o *owned) {
	if o.Owner == nil || o.Owner.ID == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.get(o.Owner)
	x.ObjectsOwned++
	if o.Published {
		x.ObjectsPublished++
	}
	later(x, t(o.CreatedDate))
	later(x, t(o.ModifiedDate))
}

func (a *authoring) connection(dc *owned) {
	if dc.Owner == nil || dc.Owner.ID == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	x := a.get(dc.Owner)
	x.DataConnectionsOwned++
	later(x, t(dc.CreatedDate))
}

func (a *authoring) result() []license.Authoring {
	out := make([]license.Authoring, 0, len(a.m))
	for _, x := range a.m {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserGUID < out[j].UserGUID })
	return out
}

// Result is what one collection of one site did.
type Result struct {
	Site     string
	Snapshot *license.Snapshot
	Save     *store.SaveResult
	// Incremental is true when app objects were read incrementally.
	Incremental bool
	Backfill    int // reconstructed daily points written (first collection, or one restoring a lost backfill)
	// Denied is the users estimated as refused a seat since the previous
	// collection (demand.Estimate), stored as source qrs-estimate.
	Denied   int64
	Fetch    time.Duration
	SaveTook time.Duration
}

// Options tune Run.
type Options struct {
	// Full reads every app object even when an incremental read would do.
	Full bool
	// Size, when set, is told the size of the site as soon as it is known:
	// the users and allocations of the latest collection in the store,
	// before the lists are read, or at the first collection the site's user
	// count from the QRS (as many allocations assumed, the most a site has),
	// asked while the lists stream. A caller sets its memory limit from it
	// (MemoryLimit). It is not called when neither tells.
	Size func(users, allocations int)
}

// Run snapshots a site and records it; the first collection of a site also
// backfills what the present data tells about the past. App objects are
// read incrementally after the first collection of each ISO week, whose
// full read corrects deleted objects.
func Run(ctx context.Context, src *qrs.Client, st store.Store, site string, now time.Time) (*Result, error) {
	return RunWith(ctx, src, st, site, now, Options{})
}

// RunWith is Run with options.
func RunWith(ctx context.Context, src *qrs.Client, st store.Store, site string, now time.Time, opts Options) (*Result, error) {
	start := time.Now()
	incremental := false
	var countUsers func(int)
	if opts.Size != nil {
		if users, allocs, known, err := SiteSize(ctx, st, site); err == nil && known {
			opts.Size(users, allocs)
		} else {
			countUsers = func(n int) { opts.Size(n, n) }
		}
	}
	// The store reads the site's current state, which the save diffs
	// against, while the lists stream; a failure here only means the save
	// reads it itself.
	prepared := make(chan func(), 1)
	if p, ok := st.(store.SavePreparer); ok {
		go func() {
			discard, _ := p.PrepareSave(ctx, site)
			prepared <- discard
		}()
	} else {
		prepared <- nil
	}
	discard := sync.OnceValue(func() func() { return <-prepared })
	defer func() {
		if d := discard(); d != nil {
			d()
		}
	}()
	// A first collection's save begins as soon as the users and
	// allocations are in, while the other lists (the app objects last)
	// are still read: it writes a row for every user and allocation.
	var staged struct {
		done chan struct{}
		save store.StagedSave
		err  error
	}
	var early func([]license.User, []license.Allocation)
	if ss, ok := st.(store.StagedSaver); ok {
		if last, err := st.LatestSnapshotTime(ctx, site); err == nil && last.IsZero() {
			early = func(users []license.User, allocs []license.Allocation) {
				staged.done = make(chan struct{})
				go func() {
					defer close(staged.done)
					staged.save, staged.err = ss.BeginSave(ctx, &license.Snapshot{Site: site, At: now.UTC(), Users: users, Allocations: allocs})
				}()
			}
		}
	}
	snap, err := snapshot(ctx, src, site, now, countUsers, func() (*Previous, error) {
		prev, err := previous(ctx, st, site, now, opts)
		incremental = prev != nil
		return prev, err
	}, early)
	if staged.done != nil {
		<-staged.done
		if staged.save != nil {
			defer staged.save.Abort() // after Finish, nothing
		}
	}
	if err != nil {
		return nil, fmt.Errorf("collect %s: %w", site, err)
	}
	r := &Result{Site: site, Snapshot: snap, Fetch: time.Since(start), Incremental: incremental}
	start = time.Now()
	prevAt, err := st.LatestSnapshotTime(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("collect %s: %w", site, err)
	}
	discard() // the state read ahead is ready
	// The backfill is saved with the snapshot, in one transaction: saved
	// apart, a stop between the two lost the reconstructed history for good.
	if staged.save != nil {
		r.Save, err = staged.save.Finish(ctx, snap, reconstruct)
	} else {
		// Not begun, or its beginning failed: the save says why, if it
		// fails again.
		r.Save, err = st.SaveSnapshotBackfill(ctx, snap, reconstruct)
	}
	if errors.Is(err, store.ErrPartialUsers) {
		// Users were deleted since the last collection: read them all.
		if snap.Users, err = allUsers(ctx, src, snap.UserCount); err != nil {
			return nil, fmt.Errorf("collect %s: read users: %w", site, err)
		}
		snap.UsersPartial, snap.UserCount = false, 0
		r.Save, err = st.SaveSnapshotBackfill(ctx, snap, reconstruct)
	}
	if err != nil {
		return nil, fmt.Errorf("collect %s: %w", site, err)
	}
	r.Backfill = r.Save.Backfilled
	if !r.Save.First && !r.Save.Duplicate {
		if r.Denied, err = saveEstimate(ctx, st, site, prevAt, snap); err != nil {
			return nil, fmt.Errorf("collect %s: %w", site, err)
		}
	}
	r.SaveTook = time.Since(start)
	return r, nil
}

// saveEstimate stores the unmet demand estimated from this collection,
// added to what earlier collections of the same days estimated.
func saveEstimate(ctx context.Context, st store.Store, site string, prevAt time.Time, snap *license.Snapshot) (int64, error) {
	est := demand.Estimate(prevAt, snap)
	if len(est) == 0 {
		return 0, nil
	}
	var n int64
	for _, d := range est {
		n += d.Users
	}
	stored, err := st.Denials(ctx, site, est[0].Type, est[0].Day, est[len(est)-1].Day)
	if err != nil {
		return 0, fmt.Errorf("estimate unmet demand: %w", err)
	}
	var base []license.DenialDay
	for _, d := range stored {
		if d.Source == license.DenialsEstimated {
			base = append(base, d)
		}
	}
	if err := st.SaveDenials(ctx, site, license.DenialsEstimated, demand.Add(base, est)); err != nil {
		return 0, fmt.Errorf("estimate unmet demand: %w", err)
	}
	return n, nil
}

// reconstruct backfills from the earliest date the snapshot knows of.
func reconstruct(s *license.Snapshot) []license.DailyCounters {
	return license.Reconstruct(s, time.Time{})
}

// previous returns the base of an incremental read, or nil for a full one:
// on the first collection, with Full, or on the first collection of a week.
func previous(ctx context.Context, st store.Store, site string, now time.Time, opts Options) (*Previous, error) {
	if opts.Full {
		return nil, nil
	}
	last, err := st.LatestSnapshotTime(ctx, site)
	if err != nil || last.IsZero() || last.After(now) {
		return nil, err
	}
	y1, w1 := last.UTC().ISOWeek()
	y2, w2 := now.UTC().ISOWeek()
	if y1 != y2 || w1 != w2 {
		return nil, nil
	}
	auth, err := st.AuthoringAt(ctx, site, last)
	if err != nil {
		return nil, err
	}
	return &Previous{At: last, Authoring: auth}, nil
}
