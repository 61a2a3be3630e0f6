package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The capacity rules a real site obeys: no Professional, Analyzer or user
// access allocation beyond the license (an allocation in quarantine still
// holds its seat), a user who needs one when none is free is denied, and
// analyzer capacity stops at the month's pool unless the license allows
// overage.

// Expected use of a capacity user per weekday session: 6-minute units, 1 to 3
// per session. monthlySessions is the sessions of a month per weekday
// session rate (office hours of ~21.7 weekdays plus the quiet nights and
// weekends simulateHour draws).
const (
	minutesPerSession = 12
	monthlySessions   = 23.4
)

// Demand defaults (see DemandSpec).
const (
	defaultPatienceDays = 90
	defaultRetryShare   = 0.5
)

// seatTotal is how many allocations of type t the license allows.
func (s *Site) seatTotal(t AccessType) int {
	switch t {
	case Professional:
		return s.license.Professional
	case Analyzer:
		return s.license.Analyzer
	default:
		return s.license.Tokens - loginTokens(s)
	}
}

// seatFree reports whether one more allocation of type t fits the license.
// Allocated and quarantined allocations both hold a seat: a released seat
// is usable again only when its quarantine ends.
func (s *Site) seatFree(t AccessType) bool {
	return len(s.allocs[t]) < s.seatTotal(t)
}

// noSeatText is the 400 answer to an allocation the license has no room for.
func (s *Site) noSeatText(t AccessType) string {
	q := 0
	for _, a := range s.allocs[t] {
		if a.Quarantined {
			q++
		}
	}
	return fmt.Sprintf("Bad request: the license allows %d %s allocations and all are taken (%d allocated, %d in quarantine). Release an allocation or extend the license first.",
		s.seatTotal(t), titleCase(t.String()), len(s.allocs[t])-q, q)
}

// deniedType is the Denial.Type of an allocation type.
func deniedType(t AccessType) string {
	return [...]string{DeniedProfessional, DeniedAnalyzer, DeniedUserAccess}[t]
}

func (s *Site) patience() time.Duration {
	d := s.sc.Demand.PatienceDays
	if d == 0 {
		d = defaultPatienceDays
	}
	return time.Duration(d) * 24 * time.Hour
}

func (s *Site) retryShare() float64 {
	if v := s.sc.Demand.RetryShare; v > 0 {
		return v
	}
	return defaultRetryShare
}

// waiting reports whether u was denied and still asks at `at`; gaveUp
// whether u was denied and stopped asking.
func (s *Site) waiting(u *User, at time.Time) (waiting, gaveUp bool) {
	if u.deniedSince.IsZero() {
		return false, false
	}
	if at.Sub(u.deniedSince) > s.patience() {
		return false, true
	}
	return true, false
}

// growthPerDay is the expected new allocations of type t per day: the
// joiners simulateDay adds (60% Professional, 40% Analyzer).
func (s *Site) growthPerDay(t AccessType) float64 {
	share := 0.6
	if t == Analyzer {
		share = 0.4
	}
	return 0.25 * float64(s.opts.Users) / float64(max(s.opts.HistoryDays, 30)) * share
}

// sizeType sizes a Professional or Analyzer total: fixed when set; the
// allocations of fullDaysAgo days ago; room for runOutDays of growth; or by
// default room for three months of growth (at least a twentieth and 5).
func (s *Site) sizeType(t AccessType, fixed, fullDaysAgo, runOutDays int, cands []*Alloc) int {
	if fixed > 0 {
		return fixed
	}
	// sized as of a license reduction, if any: the old license fit the
	// site as it was then
	asOf := s.now
	if !s.reducedAt.IsZero() {
		asOf = s.reducedAt
	}
	n, before := 0, 0
	cut := s.now.AddDate(0, 0, -fullDaysAgo)
	for _, a := range cands {
		if a.Type == t && !a.Created.After(asOf) {
			n++
			if !a.Created.After(cut) {
				before++
			}
		}
	}
	switch {
	case fullDaysAgo > 0:
		return max(before, 1)
	case runOutDays > 0:
		return n + max(int(math.Round(s.growthPerDay(t)*float64(runOutDays))), 1)
	default:
		// room for about three months of the site's growth (at least a
		// twentieth): a healthy site does not run out soon
		return n + max(n/20, 5, int(math.Round(s.growthPerDay(t)*90)))
	}
}

// expectedCapacityUse is the capacity users' expected minutes per month.
func (s *Site) expectedCapacityUse() float64 {
	sum := 0.0
	for _, u := range s.users {
		if u.kind == kindCapacity && u.left.IsZero() {
			sum += min(u.rate, maxRate) * monthlySessions * minutesPerSession
		}
	}
	return sum
}

// sizeCapacity sizes the monthly pool as share (default 1.5) of the expected
// use, in whole hours.
func (s *Site) sizeCapacity(share float64) int {
	if share == 0 {
		share = 1.5
	}
	return max(60, int(math.Ceil(share*s.expectedCapacityUse()/60))*60)
}

// reducedSize is the total after a reduction: percent below the
// allocations the type had when it was applied (0: unchanged).
func (s *Site) reducedSize(t AccessType, percent int, cands []*Alloc) int {
	old := s.preReduction[t]
	if percent == 0 {
		return old
	}
	n := 0
	for _, a := range cands {
		if a.Type == t && !a.Created.After(s.reducedAt) {
			n++
		}
	}
	n = min(n, old)
	return n - max(n*percent/100, 1)
}

// totalAt is the license total of t at time at (larger before a reduction).
func (s *Site) totalAt(t AccessType, at time.Time) int {
	if !s.reducedAt.IsZero() && at.Before(s.reducedAt) && t != UserAccess {
		return s.preReduction[t]
	}
	return s.seatTotal(t)
}

// admit grants the build's candidate allocations in the order users needed
// them while the license (at that time) had a free seat; the others are
// denied, with the retries of their wait as history. Granted allocations
// keep the users' order so that list output does not depend on the license.
func (s *Site) admit(cands []*Alloc) {
	order := slices.Clone(cands)
	slices.SortStableFunc(order, func(a, b *Alloc) int { return a.Created.Compare(b.Created) })
	granted := make(map[*Alloc]bool, len(cands))
	var n [3]int
	r := rand.New(rand.NewPCG(s.seed, 0xde17a1))
	for _, a := range order {
		if n[a.Type] < s.totalAt(a.Type, a.Created) {
			n[a.Type]++
			granted[a] = true
			continue
		}
		a.User.lastActive = time.Time{}
		s.pastDenials(r, a.User, deniedType(a.Type), a.Created)
	}
	for _, a := range cands {
		if granted[a] {
			s.addAlloc(a)
		}
	}
	s.sortDenialsFrom(0)
}

// pastDenials records a wait that began before the site was built: the
// first request at first, then retries at the user's retry rate on the
// following days until the patience runs out, the user leaves or now.
func (s *Site) pastDenials(r *rand.Rand, u *User, typ string, first time.Time) {
	s.deny(u, typ, first)
	end := minTime(s.now, first.Add(s.patience()))
	if !u.left.IsZero() {
		end = minTime(end, u.left)
	}
	rate := min(u.rate, maxRate) * s.retryShare()
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1); day.Before(end); day = day.AddDate(0, 0, 1) {
		f := 1.0
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			f = 0.08
		}
		for k := poisson(r, rate*f); k > 0; k-- {
			at := day.Add(time.Duration(7*3600000+r.IntN(11*3600000)) * time.Millisecond)
			if at.Before(end) {
				s.deny(u, typ, at)
			}
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// admitCapacity caps the build month's capacity use at the pool: in the
// order users were last active, the use that no longer fits is cut and the
// user denied (unless the license allows overage).
func (s *Site) admitCapacity() {
	l := s.license
	if l.Kind == "tokens" || l.AnalyzerMinutes <= 0 || l.AnalyzerOverage {
		return
	}
	var us []*User
	for _, u := range s.users {
		if u.kind == kindCapacity && u.capacityMinutesThisMonth > 0 {
			us = append(us, u)
		}
	}
	slices.SortStableFunc(us, func(a, b *User) int { return a.lastActive.Compare(b.lastActive) })
	used := 0
	for _, u := range us {
		left := (l.AnalyzerMinutes - used) / 6 * 6
		if u.capacityMinutesThisMonth > left {
			u.capacityMinutesThisMonth = max(left, 0)
			s.deny(u, DeniedAnalyzerTime, u.lastActive)
		}
		used += u.capacityMinutesThisMonth
	}
	s.sortDenialsFrom(0)
}

// capacityUsed is this month's used minutes of the pool.
func (s *Site) capacityUsed() int {
	n := 0
	for _, u := range s.users {
		n += u.capacityMinutesThisMonth
	}
	return n
}

// useCapacity books one capacity session of u at `at` wanting `want`
// minutes, or denies it when the pool is used up and the license allows no
// overage. It reports whether the user got access.
func (s *Site) useCapacity(u *User, at time.Time, want int) bool {
	if s.license.AnalyzerOverage {
		u.capacityMinutesThisMonth += want
		s.capUsed += want
		return true
	}
	left := (s.license.AnalyzerMinutes - s.capUsed) / 6 * 6
	if left <= 0 {
		s.deny(u, DeniedAnalyzerTime, at)
		return false
	}
	got := min(want, left)
	u.capacityMinutesThisMonth += got
	s.capUsed += got
	return true
}

// renderText writes the license's key details (signed key) or LEF (serial
// and control number) from its sizes.
func (l *License) renderText() {
	switch l.Kind {
	case "signed-key":
		l.KeyDetails = fmt.Sprintf("Serial: %s\nProduct: Qlik Sense Enterprise\nValid From: %s\nValid To: %s\nProfessional: %d\nAnalyzer: %d\nAnalyzer Capacity: %d minutes",
			l.Serial, l.Created.Format("2006-01-02"), l.ValidTo.Format("2006-01-02"), l.Professional, l.Analyzer, l.AnalyzerMinutes)
		if l.AnalyzerOverage {
			l.KeyDetails += "\nAnalyzer Capacity Overage: allowed"
		}
	case "lef", "tokens":
		lines := []string{l.Serial, "Corp Example Ltd;;;", "Qlik Sense Enterprise;;;"}
		if l.Kind == "tokens" {
			lines = append(lines, fmt.Sprintf("TOKENS;%d;;", l.Tokens))
		} else {
			lines = append(lines, fmt.Sprintf("PROFESSIONAL;%d;;", l.Professional), fmt.Sprintf("ANALYZER;%d;;", l.Analyzer))
		}
		lines = append(lines, "TIMELIMIT;;;"+l.ValidTo.Format("2006-01-02"), "PRODUCTLEVEL;50;;"+l.ValidTo.Format("2006-01-02"), hexID(l.Serial+"lef"))
		l.LEF = strings.Join(lines, "\r\n")
	}
}

// SetLicenseSize changes the Professional and Analyzer totals of the
// license, as applying a new license key does: a larger license lets
// waiting users get allocations on their next request; a smaller one marks
// the newest allocations beyond it as excess and denies new ones until
// enough are released. Negative values are refused.
func (s *Site) SetLicenseSize(professional, analyzer int) error {
	if professional < 0 || analyzer < 0 {
		return fmt.Errorf("set license size: totals must be 0 or more, got professional %d, analyzer %d", professional, analyzer)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.license.Professional, s.license.Analyzer = professional, analyzer
	s.license.Updated = s.now
	s.license.renderText()
	s.recomputeExcess()
	return nil
}
