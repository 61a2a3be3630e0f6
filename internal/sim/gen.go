package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// License is the site license (GET /qrs/license).
type License struct {
	ID                      string
	Kind                    string // signed-key, lef, tokens
	Serial, Control, Key    string
	LEF, KeyDetails         string
	Name, Organization      string
	Created, Updated        time.Time
	ValidTo                 time.Time
	Professional, Analyzer  int
	AnalyzerMinutes, Tokens int
	// AnalyzerOverage: capacity use may go past AnalyzerMinutes.
	AnalyzerOverage bool
}

var firstNames = []string{"anna", "ben", "carla", "david", "eva", "frank", "grace", "hugo", "ines", "jonas", "karin", "lars",
	"maria", "nils", "olga", "peter", "quinn", "rosa", "sven", "tina", "uwe", "vera", "walter", "xenia", "yusuf", "zoe",
	"ali", "bea", "chen", "dora", "emil", "fatima", "georg", "hanna", "igor", "julia", "kofi", "lena", "mateo", "nora"}
var lastNames = []string{"berg", "castro", "dahl", "eriksen", "fischer", "garcia", "hansen", "ivanova", "jensen", "klein",
	"lopez", "meyer", "nowak", "olsen", "petrov", "quist", "rossi", "schmidt", "tanaka", "urban", "vogel", "wagner",
	"xu", "young", "zimmer", "andersson", "bauer", "costa", "dubois", "engel", "ferrari", "gruber", "huber", "ito",
	"jovanovic", "kowalski", "lindqvist", "moreau", "nielsen", "ortiz"}

var serviceAccounts = []string{"sa_repository", "sa_api", "sa_scheduler", "sa_proxy", "sa_engine", "sa_hub",
	"sa_printing", "sa_converter", "sa_qlikview", "sa_reporting"}

const dir = "CORP"

func (s *Site) build() {
	r := s.rng
	sc := s.sc
	host := s.opts.Hostname
	installed := s.start.AddDate(0, -6, -r.IntN(120)).Truncate(time.Second)
	s.node = node{ID: s.newID(), Name: "Central", HostName: host, ClusterID: s.newID(), ClusterName: "ServiceCluster", Created: installed}
	for i := range s.node.ServiceIDs {
		s.node.ServiceIDs[i] = s.newID()
	}
	if sc.OldVersion {
		s.about = about{BuildVersion: "25.15.2.0", BuildDate: "6/7/2019 09:04:33 AM"}
	} else {
		s.about = about{BuildVersion: "34.41.3.0", BuildDate: "5/13/2025 10:11:02 AM"}
	}

	// tags and custom properties
	for _, n := range []string{"Keep", "Contractor", "Finance", "Monitoring"} {
		s.tags = append(s.tags, &Tag{ID: s.newID(), Name: n, Created: installed})
	}
	keepDef := &PropDef{ID: s.newID(), Name: "KeepUser", Choices: []string{"keep"}, ObjectTypes: []string{"User"}, Created: installed}
	deptDef := &PropDef{ID: s.newID(), Name: "Department", Choices: []string{"Finance", "Sales", "HR", "IT", "Operations"}, ObjectTypes: []string{"User", "App"}, Created: installed}
	s.propDefs = []*PropDef{keepDef, deptDef}

	// service accounts and admins
	for _, sa := range serviceAccounts {
		u := &User{ID: s.newID(), UserID: sa, Dir: "INTERNAL", Name: sa, Created: installed, Modified: installed,
			ModifiedBy: "INTERNAL\\sa_repository", service: true, kind: kindNone, DeleteProhibited: true}
		s.addUser(u)
	}
	admin := &User{ID: s.newID(), UserID: "qlikadmin", Dir: dir, Name: "Qlik Admin", Created: installed, Modified: installed,
		ModifiedBy: "INTERNAL\\sa_repository", Roles: []string{"RootAdmin"}, kind: kindProfessional, joined: installed, rate: 2, author: true,
		Tags: []*Tag{s.tags[0]}}
	s.addUser(admin)
	svc := &User{ID: s.newID(), UserID: "qservice", Dir: dir, Name: "qservice", Created: installed, Modified: installed,
		ModifiedBy: "INTERNAL\\sa_repository", Roles: []string{"RootAdmin"}, kind: kindNone, service: true}
	s.addUser(svc)

	// directory users: a growth trend (a quarter join during the history),
	// some leavers, dormant users whose allocations go stale
	span := s.now.Sub(s.start)
	dormant := 0.08
	if sc.DormantPercent > 0 {
		dormant = float64(sc.DormantPercent) / 100
	}
	for i := 0; i < s.opts.Users; i++ {
		fn, ln := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
		id := fn + "." + ln
		if n := i / (len(firstNames) * len(lastNames)); n > 0 {
			id = fmt.Sprintf("%s%d", id, n+1)
		}
		u := &User{ID: s.newID(), UserID: id, Dir: dir, Name: titleCase(fn) + " " + titleCase(ln), ModifiedBy: "INTERNAL\\sa_repository"}
		if r.Float64() < 0.75 {
			u.joined = s.start.Add(-time.Duration(r.Float64() * float64(400*24*time.Hour)))
			if u.joined.Before(installed) {
				u.joined = installed.Add(time.Duration(r.Float64() * float64(s.start.Sub(installed))))
			}
		} else {
			// sqrt gives increasing density towards now: the site grows
			u.joined = s.start.Add(time.Duration(math.Sqrt(r.Float64()) * float64(span)))
		}
		u.joined = u.joined.Truncate(time.Second)
		u.Created, u.Modified = u.joined, u.joined
		switch p := r.Float64(); {
		case p < 0.58:
			u.kind = kindProfessional
			u.rate = 0.6 + r.ExpFloat64()*1.2
			u.author = r.Float64() < 0.45
		case p < 0.96:
			u.kind = kindAnalyzer
			u.rate = 0.2 + r.ExpFloat64()*0.6
		default:
			u.kind = kindCapacity
			u.rate = 0.1 + r.ExpFloat64()*0.3
		}
		if r.Float64() < dormant { // dormant: allocation never released
			u.rate = 0.01
		}
		if r.Float64() < 0.07 && u.joined.Before(s.now.Add(-72*time.Hour)) {
			u.left = u.joined.Add(time.Duration(r.Float64() * float64(s.now.Sub(u.joined))))
			if u.left.Before(s.start) {
				u.left = s.start.Add(time.Duration(r.Float64() * float64(span)))
			}
			switch q := r.Float64(); {
			case q < 0.5:
				u.Inactive = true
			case q < 0.8:
				u.RemovedExternally = true
			case q < 0.9:
				u.Blacklisted = true
			}
			u.Modified = u.left
		}
		if r.Float64() < 0.03 {
			u.Tags = append(u.Tags, s.tags[0])
			u.Props = append(u.Props, propValue{ID: s.newID(), Def: keepDef, Value: "keep"})
		}
		if r.Float64() < 0.05 {
			u.Tags = append(u.Tags, s.tags[1])
		}
		if r.Float64() < 0.5 {
			u.Props = append(u.Props, propValue{ID: s.newID(), Def: deptDef, Value: deptDef.Choices[r.IntN(len(deptDef.Choices))]})
		}
		s.addUser(u)
	}

	// allocations with lastUsed consistent with each user's activity; they
	// are candidates until the license is sized, then granted in the order
	// users needed them while a seat was free (admit)
	tokens := sc.License.Kind == "tokens"
	var cands []*Alloc
	for _, u := range s.users {
		if u.service || (u.kind != kindProfessional && u.kind != kindAnalyzer) {
			continue
		}
		t := Professional
		if u.kind == kindAnalyzer {
			t = Analyzer
		}
		if tokens {
			if u.kind != kindProfessional {
				continue
			}
			t = UserAccess
		}
		created := u.joined.Add(time.Duration(r.Float64() * float64(72*time.Hour)))
		if created.After(s.now) {
			continue
		}
		end := s.now
		if !u.left.IsZero() {
			end = u.left
		}
		last := pastActivity(r, end, u.rate)
		if last.Before(created) {
			last = created.Add(time.Duration(r.IntN(3600)) * time.Second)
		}
		if last.After(end) {
			last = end
		}
		u.lastActive = last
		a := &Alloc{ID: s.newID(), Type: t, User: u, Created: created.Truncate(time.Millisecond), LastUsed: last.Truncate(time.Millisecond),
			ModifiedBy: "INTERNAL\\sa_repository"}
		a.Modified = a.LastUsed
		cands = append(cands, a)
	}
	monthStart := time.Date(s.now.Year(), s.now.Month(), 1, 0, 0, 0, 0, time.UTC)
	monthShare := s.now.Sub(monthStart).Hours() / (24 * 30.4)
	for _, u := range s.users {
		if u.kind == kindCapacity && u.left.IsZero() {
			u.lastActive = pastActivity(r, s.now, u.rate)
			if !u.lastActive.Before(monthStart) {
				// this month's use so far: the expected use to date, spread
				// from half to one and a half times
				spread := 0.5 + float64(r.IntN(20))/19
				u.capacityMinutesThisMonth = 6 * max(1, int(math.Round(min(u.rate, maxRate)*monthlySessions*monthShare*spread*minutesPerSession/6)))
			}
		}
	}

	s.buildLicense(installed, cands)
	s.admit(cands)
	s.admitCapacity()
	s.capUsed = s.capacityUsed()
	s.recomputeExcess()
	s.buildApps(installed, admin)
	s.buildConnections(installed)
	s.buildTasks(installed)
	s.applyTaskSpecs()
	s.hourDone = s.now.Unix() / 3600
	s.recordTruth()
}

func titleCase(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// pastActivity draws the last activity before end for a user with the given
// weekday session rate: weekends are quiet, sessions happen in work hours.
func pastActivity(r *rand.Rand, end time.Time, rate float64) time.Time {
	gapDays := r.ExpFloat64() / rate
	t := end.Add(-time.Duration(gapDays * float64(24*time.Hour)))
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		if r.Float64() < 0.15 {
			break
		}
		t = t.Add(-24 * time.Hour)
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	t = day.Add(time.Duration(7*3600+r.IntN(11*3600)) * time.Second).Add(time.Duration(r.IntN(1000)) * time.Millisecond)
	if t.After(end) {
		t = end.Add(-time.Duration(r.IntN(3600)) * time.Second)
	}
	return t
}

func (s *Site) addUser(u *User) {
	s.users = append(s.users, u)
	s.userByID[u.ID] = u
}

func (s *Site) addAlloc(a *Alloc) {
	s.allocs[a.Type] = append(s.allocs[a.Type], a)
	s.allocByID[a.ID] = a
	if a.User != nil {
		a.User.alloc = a
	}
}

func (s *Site) buildLicense(installed time.Time, cands []*Alloc) {
	sc := s.sc
	r := s.rng
	l := License{ID: s.newID(), Kind: sc.License.Kind, Name: "Corp Admin", Organization: "Corp Example Ltd", Created: installed, Updated: installed}
	if l.Kind == "" {
		l.Kind = "signed-key"
	}
	if rd := sc.License.Reduction; rd.DaysAgo > 0 {
		s.reducedAt = s.now.AddDate(0, 0, -rd.DaysAgo).Truncate(time.Second)
	}
	count := func(t AccessType) int {
		n := 0
		for _, a := range cands {
			if a.Type == t {
				n++
			}
		}
		return n
	}
	l.Professional = s.sizeType(Professional, sc.License.Professional, sc.License.ProfessionalFullDaysAgo, sc.License.ProfessionalRunOutDays, cands)
	l.Analyzer = s.sizeType(Analyzer, sc.License.Analyzer, sc.License.AnalyzerFullDaysAgo, sc.License.AnalyzerRunOutDays, cands)
	l.AnalyzerMinutes = sc.License.AnalyzerMinutes
	if l.AnalyzerMinutes == 0 {
		l.AnalyzerMinutes = s.sizeCapacity(sc.License.AnalyzerMinutesShare)
	}
	l.AnalyzerOverage = sc.License.AnalyzerOverage
	l.Tokens = sc.License.Tokens
	if l.Kind == "tokens" && l.Tokens == 0 {
		l.Tokens = count(UserAccess) + 10 + s.opts.Users/20
	}
	valid := sc.License.ValidDays
	if valid == 0 {
		valid = 400
	}
	l.ValidTo = time.Date(s.now.Year(), s.now.Month(), s.now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, valid)
	serial := fmt.Sprintf("9999 %04d %04d %04d", r.IntN(10000), r.IntN(10000), r.IntN(10000))
	l.Serial = serial
	switch l.Kind {
	case "signed-key":
		l.Key = fmt.Sprintf("eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.%s.%s", hexID(serial+"p"), hexID(serial+"s"))
	case "lef", "tokens":
		l.Control = fmt.Sprintf("%05d", r.IntN(100000))
	}
	s.license = l
	if rd := sc.License.Reduction; rd.DaysAgo > 0 {
		// the sizes above are what the site had before the reduction
		s.preReduction = [2]int{l.Professional, l.Analyzer}
		l.Professional = s.reducedSize(Professional, rd.ProfessionalPercent, cands)
		l.Analyzer = s.reducedSize(Analyzer, rd.AnalyzerPercent, cands)
		l.Updated = maxTime(s.reducedAt, installed)
	}
	l.renderText()
	s.license = l
	if l.Kind == "tokens" {
		s.loginGroups = []*loginGroup{{ID: s.newID(), Name: "Everyone login access", Created: installed, Tokens: 5 + s.opts.Users/100}}
		for _, g := range s.loginGroups {
			g.Assigned = g.Tokens * 10
		}
	}
	s.timePool = &timePool{ID: s.newID(), Name: "Analyzer capacity", Created: installed, AssignedMinutes: l.AnalyzerMinutes}
	s.accessGroups = []accessGroup{
		{ID: s.newID(), Name: "Professional users", Kind: "professional", Created: installed},
		{ID: s.newID(), Name: "Analyzer users", Kind: "analyzer", Created: installed},
	}
	if l.Kind == "tokens" {
		s.accessGroups = append(s.accessGroups, accessGroup{ID: s.newID(), Name: "User access", Kind: "user", Created: installed})
	}
}

// recomputeExcess marks the newest allocations beyond the license total as
// excess, as QRS reports them (only a license reduced below what is
// allocated has any: allocation itself stops at the total).
func (s *Site) recomputeExcess() {
	for t, total := range map[AccessType]int{Professional: s.license.Professional, Analyzer: s.license.Analyzer} {
		if len(s.allocs[t]) <= total && !s.excessSet[t] {
			continue // the usual case, cheap: nothing can be excess
		}
		s.excessSet[t] = len(s.allocs[t]) > total
		byAge := slices.Clone(s.allocs[t])
		slices.SortStableFunc(byAge, func(a, b *Alloc) int { return a.Created.Compare(b.Created) })
		n := 0
		for _, a := range byAge {
			if a.Quarantined {
				a.Excess = false
				continue
			}
			n++
			a.Excess = n > total
		}
	}
}

var appNames = []string{"Sales Dashboard", "Finance KPIs", "HR Analytics", "Supply Chain", "Customer 360", "Marketing Funnel",
	"Inventory Overview", "Budget vs Actual", "Helpdesk Tickets", "Executive Summary"}

func (s *Site) buildApps(installed time.Time, admin *User) {
	r := s.rng
	saRepo := s.userByName("INTERNAL", "sa_repository")
	mon := &Stream{ID: s.newID(), Name: "Monitoring apps", Created: installed, Owner: saRepo}
	every := &Stream{ID: s.newID(), Name: "Everyone", Created: installed, Owner: saRepo}
	s.streams = []*Stream{every, mon}
	for _, n := range []string{"License Monitor", "Operations Monitor", "App Metadata Analyzer", "Reloads Monitor", "Sessions Monitor", "Log Monitor", "Sense System Performance Analyzer"} {
		a := &App{ID: s.newID(), Name: n, Owner: saRepo, Stream: mon, Created: installed, Modified: installed, PublishTime: installed.Add(time.Minute),
			Published: true, FileSize: int64(2_000_000 + r.IntN(30_000_000)), Version: "12.2100.2", ModifiedBy: "INTERNAL\\sa_scheduler",
			LastReload: installed}
		s.apps = append(s.apps, a)
	}
	var authors []*User
	for _, u := range s.users {
		if u.author && u.alloc != nil && u.alloc.Type == Professional {
			authors = append(authors, u)
		}
	}
	if len(authors) == 0 {
		authors = []*User{admin}
	}
	s.authors = authors
	nApps := 5 + s.opts.Users/40
	if nApps > 400 {
		nApps = 400
	}
	if s.opts.Apps > 0 {
		nApps = s.opts.Apps
	}
	for i := 0; i < nApps; i++ {
		owner := authors[r.IntN(len(authors))]
		created := maxTime(owner.joined, s.start.AddDate(0, 0, -30)).Add(time.Duration(r.Float64() * float64(s.now.Sub(maxTime(owner.joined, s.start.AddDate(0, 0, -30))))))
		name := appNames[i%len(appNames)]
		if i >= len(appNames) {
			name = fmt.Sprintf("%s %d", name, i/len(appNames)+1)
		}
		a := &App{ID: s.newID(), Name: name, Owner: owner, Created: created, Modified: created, FileSize: int64(100_000 + r.IntN(50_000_000)),
			Version: "12.2100.2", ModifiedBy: owner.Dir + "\\" + owner.UserID, LastReload: created}
		if r.Float64() < 0.6 {
			a.Published, a.Stream, a.PublishTime = true, every, created.Add(time.Duration(r.IntN(14*24))*time.Hour)
			if a.PublishTime.After(s.now) {
				a.PublishTime = s.now.Add(-time.Hour)
			}
		}
		s.apps = append(s.apps, a)
	}
	// authoring activity: sheets and stories by Professional authors only
	types := []string{"sheet", "sheet", "sheet", "story", "masterobject", "bookmark"}
	for _, a := range s.apps[7:] {
		n := 2 + r.IntN(6)
		if s.opts.ObjectsPerApp > 0 {
			n = s.opts.ObjectsPerApp/2 + r.IntN(s.opts.ObjectsPerApp+1)
		}
		for k := 0; k < n; k++ {
			owner := a.Owner
			if r.Float64() < 0.3 {
				owner = authors[r.IntN(len(authors))]
			}
			ot := types[r.IntN(len(types))]
			created := maxTime(a.Created, owner.joined).Add(time.Duration(r.IntN(30*24)) * time.Hour)
			if created.After(s.now) {
				created = s.now.Add(-time.Duration(r.IntN(48)+1) * time.Hour)
			}
			mod := created.Add(time.Duration(r.Float64() * float64(s.now.Sub(created))))
			o := &AppObject{ID: s.newID(), EngineID: hexID(a.ID + fmt.Sprint(k))[:10], Name: fmt.Sprintf("%s %d", titleCase(ot), k+1),
				ObjectType: ot, App: a, Owner: owner, Created: created, Modified: mod, Published: a.Published && r.Float64() < 0.7}
			if o.Published {
				o.PublishTime, o.Approved = mod, owner == a.Owner
			}
			s.objects = append(s.objects, o)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (s *Site) userByName(d, id string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.Dir, d) && strings.EqualFold(u.UserID, id) {
			return u
		}
	}
	return nil
}

// monitorConnections maps the monitor_apps_REST_* names to their QRS paths.
var monitorConnections = [][2]string{
	{"monitor_apps_REST_app", "app/full"},
	{"monitor_apps_REST_appobject", "app/object/full"},
	{"monitor_apps_REST_event", "event/full"},
	{"monitor_apps_REST_license", "license"},
	{"monitor_apps_REST_license_access", "license/accesstypeinfo"},
	{"monitor_apps_REST_license_analyzer", "license/analyzeraccesstype/full"},
	{"monitor_apps_REST_license_login", "license/loginaccesstype/full"},
	{"monitor_apps_REST_license_overview", "license/accesstypeoverview"},
	{"monitor_apps_REST_license_professional", "license/professionalaccesstype/full"},
	{"monitor_apps_REST_license_user", "license/useraccesstype/full"},
	{"monitor_apps_REST_task", "task/full"},
	{"monitor_apps_REST_user", "user/full"},
	{"monitor_apps_REST_user_condensed", "user"},
}

func (s *Site) buildConnections(installed time.Time) {
	saRepo := s.userByName("INTERNAL", "sa_repository")
	add := func(name, cs, typ, user string) {
		s.conns = append(s.conns, &DataConnection{ID: s.newID(), Name: name, ConnStr: cs, Type: typ, Username: user, Owner: saRepo,
			Created: installed, Modified: installed})
	}
	add("ServerLogFolder", `C:\ProgramData\Qlik\Sense\Log\`, "folder", "")
	add("ArchivedLogsFolder", `\\`+strings.SplitN(s.opts.Hostname, ".", 2)[0]+`\QlikShare\ArchivedLogs\`, "folder", "")
	missing := map[string]bool{}
	for _, m := range s.sc.Connections.Missing {
		missing[strings.ToLower(m)] = true
	}
	for _, c := range monitorConnections {
		if missing[strings.ToLower(c[0])] {
			continue
		}
		var cs, user string
		switch s.sc.Connections.Auth {
		case "certificate":
			cs = fmt.Sprintf("CUSTOM CONNECT TO 'provider=QvRestConnector.exe;url=https://%s:4242/qrs/%s;timeout=999;method=GET;sendExpect100Continue=true;autoDetectResponseType=true;keyGenerationStrategy=0;authSchema=anonymous;skipServerCertificateValidation=true;useCertificate=FromFile;certificateStoreLocation=LocalMachine;certificateStoreName=My;certificateFilePath=%s\\client.pfx;trustedLocations=qrs_proxy%%2https://localhost:4244;queryParameters=xrfkey%%20000000000000000;addMissingQueryParametersToFinalRequest=false;queryHeaders=X-Qlik-XrfKey%%20000000000000000%%1X-Qlik-User%%2UserDirectory%%%%2INTERNAL%%%%1 %%%%userid%%%%2sa_api;PaginationType=None;'",
				s.opts.Hostname, c[1], s.opts.Hostname)
		case "jwt":
			cs = fmt.Sprintf("CUSTOM CONNECT TO \"provider=QvRestConnector.exe;url=https://%s/jwt/qrs/%s;timeout=900;method=GET;autoDetectResponseType=true;keyGenerationStrategy=0;authSchema=anonymous;skipServerCertificateValidation=true;useCertificate=No;certificateStoreLocation=LocalMachine;certificateStoreName=My;queryParameters=xrfkey%%20000000000000000;addMissingQueryParametersToFinalRequest=false;queryHeaders=X-Qlik-XrfKey%%20000000000000000%%1Authorization%%2Bearer <token>;PaginationType=None;\"", s.opts.Hostname, c[1])
		default:
			cs = fmt.Sprintf("CUSTOM CONNECT TO \"provider=QvRestConnector.exe;url=https://localhost/qrs/%s;timeout=900;method=GET;autoDetectResponseType=true;keyGenerationStrategy=0;authSchema=ntlm;skipServerCertificateValidation=true;useCertificate=No;certificateStoreLocation=LocalMachine;certificateStoreName=My;trustedLocations=qrs-proxy%%2https://localhost:4244;queryParameters=xrfkey%%20000000000000000;addMissingQueryParametersToFinalRequest=false;queryHeaders=X-Qlik-XrfKey%%20000000000000000%%1User-Agent%%2Windows;PaginationType=None;\"", c[1])
			user = dir + `\qservice`
		}
		add(c[0], cs, "QvRestConnector.exe", user)
	}
	s.initCredentials()
}
