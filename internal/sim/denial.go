package sim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"time"
)

// License types a denial can name (Denial.Type).
const (
	DeniedProfessional = "professional"
	DeniedAnalyzer     = "analyzer"
	// DeniedAnalyzerTime is analyzer capacity: the month's pool of minutes
	// is used up and the license does not allow overage.
	DeniedAnalyzerTime = "analyzertime"
	// DeniedUserAccess is a token license's user access pass.
	DeniedUserAccess = "user"
)

// Reasons a license turns a user away (Denial.Reason).
const (
	// DenialNoFreeAllocation: every allocation of the type is taken
	// (allocated or still in quarantine), so the user who needs one gets none.
	DenialNoFreeAllocation = "no-free-allocation"
	// DenialCapacityExhausted: the analyzer capacity pool of the calendar
	// month is used up and the license allows no overage.
	DenialCapacityExhausted = "capacity-exhausted"
)

// Denial is one access request the license turned away. A real site writes
// it to the repository's security audit log
// (Repository\Audit\<host>_AuditSecurity_Repository.txt) as a row with
// Command "License user access", Result 403, ResultText "Error: Access
// denied" and a Message following the grammar of the documented license
// usage messages (shared/reference/qlik-logs.md §4.3), for example
//
//	Professional access denied for User: 'CORP\anna.berg', SessionID: 'c0de…', Hostname: '10.20.7.31', OperationType: 'UsageDenied'
//
// The exact wording for a Professional, Analyzer or capacity denial is not
// published; the simulator uses the documented grammar with the access kind
// filled in. A Denial keeps every value such a row carries, so a log writer
// renders it without deciding anything.
type Denial struct {
	// At is when the request was denied (UTC, millisecond precision).
	At time.Time
	// UserDirectory and UserID name the user (the audit row's columns);
	// UserGUID is the QRS user id.
	UserDirectory, UserID, UserGUID string
	// Type is DeniedProfessional, DeniedAnalyzer, DeniedAnalyzerTime or
	// DeniedUserAccess.
	Type string
	// Reason is DenialNoFreeAllocation or DenialCapacityExhausted.
	Reason string
	// Command, Result and ResultText are the audit row's Command, Result
	// and ResultText ("License user access", 403, "Error: Access denied").
	Command    string
	Result     int
	ResultText string
	// Message is the audit row's Message column.
	Message string
	// SessionID is the proxy session id (salted-hash GUID form, as logged
	// since 2023); ClientHost is the client's IP address.
	SessionID, ClientHost string
	// Node is the host name of the node whose repository denied the request.
	Node string
}

// DenialDay counts one UTC day's denials by license type.
type DenialDay struct {
	Day                                              time.Time
	Professional, Analyzer, AnalyzerTime, UserAccess int
}

// Total is the day's denials of every type.
func (d DenialDay) Total() int { return d.Professional + d.Analyzer + d.AnalyzerTime + d.UserAccess }

// denial is the compact record the site keeps (a busy full site collects
// hundreds of thousands); Denials expands it.
type denial struct {
	at  time.Time
	u   *User
	typ string
}

func (d denial) reason() string {
	if d.typ == DeniedAnalyzerTime {
		return DenialCapacityExhausted
	}
	return DenialNoFreeAllocation
}

// kindText is the access kind as the usage messages name it.
var kindText = map[string]string{DeniedProfessional: "Professional", DeniedAnalyzer: "Analyzer",
	DeniedAnalyzerTime: "Analyzer time", DeniedUserAccess: "User"}

func (s *Site) expandDenial(d denial) Denial {
	u := d.u
	sid := "c0de" + hexGUID(u.ID + d.at.String())[4:]
	h := fnv.New32a()
	h.Write([]byte(u.ID))
	v := h.Sum32()
	ip := fmt.Sprintf("10.%d.%d.%d", 16+v%16, (v>>8)%256, 1+(v>>16)%254)
	return Denial{At: d.at, UserDirectory: u.Dir, UserID: u.UserID, UserGUID: u.ID, Type: d.typ, Reason: d.reason(),
		Command: "License user access", Result: 403, ResultText: "Error: Access denied",
		Message: fmt.Sprintf("%s access denied for User: '%s\\%s', SessionID: '%s', Hostname: '%s', OperationType: 'UsageDenied'",
			kindText[d.typ], u.Dir, u.UserID, sid, ip),
		SessionID: sid, ClientHost: ip, Node: s.opts.Hostname}
}

// deny records that u was turned away at `at`; s.mu must be held.
func (s *Site) deny(u *User, typ string, at time.Time) {
	at = at.Truncate(time.Millisecond)
	s.denials = append(s.denials, denial{at: at, u: u, typ: typ})
	if u.deniedSince.IsZero() {
		u.deniedSince = at
	}
}

// sortDenialsFrom restores time order of the records from index i on (the
// sessions of one hour are drawn in random order).
func (s *Site) sortDenialsFrom(i int) {
	slices.SortStableFunc(s.denials[i:], func(a, b denial) int { return a.at.Compare(b.at) })
}

// denialRange returns the records with from <= at < to; s.mu must be held.
func (s *Site) denialRange(from, to time.Time) []denial {
	i := sort.Search(len(s.denials), func(i int) bool { return !s.denials[i].at.Before(from) })
	j := sort.Search(len(s.denials), func(i int) bool { return !s.denials[i].at.Before(to) })
	if j < i {
		j = i
	}
	return s.denials[i:j]
}

// Denials returns the access requests the license turned away with
// from <= At < to, oldest first. They include the simulated history before
// the site was built.
func (s *Site) Denials(from, to time.Time) []Denial {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ds := s.denialRange(from, to)
	out := make([]Denial, len(ds))
	for i, d := range ds {
		out[i] = s.expandDenial(d)
	}
	return out
}

// DenialsPerDay counts the denials with from <= At < to per UTC day and
// license type; days without denials are left out.
func (s *Site) DenialsPerDay(from, to time.Time) []DenialDay {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return countDenialDays(s.denialRange(from, to))
}

func countDenialDays(ds []denial) []DenialDay {
	var out []DenialDay
	for _, d := range ds {
		day := time.Date(d.at.Year(), d.at.Month(), d.at.Day(), 0, 0, 0, 0, time.UTC)
		if len(out) == 0 || !out[len(out)-1].Day.Equal(day) {
			out = append(out, DenialDay{Day: day})
		}
		c := &out[len(out)-1]
		switch d.typ {
		case DeniedProfessional:
			c.Professional++
		case DeniedAnalyzer:
			c.Analyzer++
		case DeniedAnalyzerTime:
			c.AnalyzerTime++
		case DeniedUserAccess:
			c.UserAccess++
		}
	}
	return out
}
