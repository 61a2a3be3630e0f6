package sim

import (
	"strings"
	"time"

	"github.com/licmon/licmon/internal/sim/filter"
)

// row is one entity of a collection.
type row interface {
	rowID() string
	record() filter.Record
	condensed() obj
	full() obj
}

// detachRows copies rows out of the live site, under the read lock, so they
// can be rendered after it is released: allocations and users are copied by
// value (their identity, roles, tags and custom properties never change
// after the site is built, so the copies may share them); rows that render
// from state the site mutates (execution results) are rendered now, in the
// variant the request asked for.
func detachRows(rows []row, full bool) []row {
	var nu, na int
	for _, rw := range rows {
		switch rw.(type) {
		case userRow:
			nu++
		case allocRow:
			na++
		}
	}
	users, allocs := make([]User, 0, nu), make([]Alloc, 0, na)
	out := make([]row, len(rows))
	for i, rw := range rows {
		switch x := rw.(type) {
		case userRow:
			users = append(users, *x.u)
			out[i] = userRow{userRec{&users[len(users)-1]}}
		case allocRow:
			allocs = append(allocs, *x.a)
			out[i] = allocRow{allocRec{&allocs[len(allocs)-1]}}
		case objRow:
			out[i] = x
		default:
			if full {
				out[i] = objRow{id: rw.rowID(), f: rw.full()}
			} else {
				out[i] = objRow{id: rw.rowID(), cond: rw.condensed()}
			}
		}
	}
	return out
}

type allocRow struct{ allocRec }

func (r allocRow) rowID() string         { return r.a.ID }
func (r allocRow) record() filter.Record { return r.allocRec }
func (r allocRow) condensed() obj        { return idOnly(r.a.ID) }
func (r allocRow) full() obj             { return r.allocRec.obj() }

type userRow struct{ userRec }

func (r userRow) rowID() string         { return r.u.ID }
func (r userRow) record() filter.Record { return r.userRec }
func (r userRow) condensed() obj        { return r.userRec.condensed() }
func (r userRow) full() obj             { return r.userRec.obj() }

// objRow is a small entity rendered eagerly.
type objRow struct {
	id      string
	f, cond obj
}

func (r objRow) rowID() string         { return r.id }
func (r objRow) record() filter.Record { return r.f }
func (r objRow) condensed() obj        { return r.cond }
func (r objRow) full() obj             { return r.f }

func mkRow(id string, full, cond obj) row {
	if cond == nil {
		cond = full
	}
	return objRow{id: id, f: full, cond: cond}
}

// collectionNames lists every generic /qrs/{type} collection (lower case).
var collectionNames = []string{
	"user", "license/professionalaccesstype", "license/analyzeraccesstype", "license/useraccesstype", "license/loginaccesstype",
	"license/analyzertimeaccesstype", "license/professionalaccessgroup", "license/analyzeraccessgroup", "license/useraccessgroup",
	"license/professionalaccessusage", "license/analyzeraccessusage", "license/useraccessusage", "license/loginaccessusage",
	"license/analyzertimeaccessusage", "app", "app/object", "stream", "tag", "custompropertydefinition", "dataconnection",
	"reloadtask", "task", "usersynctask", "externalprogramtask", "executionresult", "executionresult/detail", "executionsession",
	"schemaevent", "compositeevent", "event", "servicestatus", "servernodeconfiguration", "proxyservice", "virtualproxyconfig",
}

func stamp(id string, created time.Time, by string) obj {
	return obj{{"id", vs(id)}, {"createdDate", vt(created)}, {"modifiedDate", vt(created)}, {"modifiedByUserName", vs(by)}}
}

// rows returns the entities of a collection; s.mu must be held.
func (s *Site) rows(name string) []row {
	var out []row
	sa := "INTERNAL\\sa_repository"
	switch name {
	case "user":
		out = make([]row, len(s.users))
		for i, u := range s.users {
			out[i] = userRow{userRec{u}}
		}
	case "license/professionalaccesstype", "license/analyzeraccesstype", "license/useraccesstype":
		t := map[string]AccessType{"license/professionalaccesstype": Professional, "license/analyzeraccesstype": Analyzer, "license/useraccesstype": UserAccess}[name]
		out = make([]row, len(s.allocs[t]))
		for i, a := range s.allocs[t] {
			out[i] = allocRow{allocRec{a}}
		}
	case "license/loginaccesstype":
		for _, g := range s.loginGroups {
			f := append(stamp(g.ID, g.Created, sa), kv{"name", vs(g.Name)}, kv{"usedAccessTypes", vi(g.Used)},
				kv{"remainingAccessTypes", vi(g.Assigned - g.Used)}, kv{"assignedAccessTypes", vi(g.Assigned)},
				kv{"assignedTokens", vi(g.Tokens)}, kv{"privileges", vnull}, kv{"schemaPath", vs("License.LoginAccessType")})
			out = append(out, mkRow(g.ID, f, idOnly(g.ID)))
		}
	case "license/analyzertimeaccesstype":
		if p := s.timePool; p != nil && s.license.Kind != "tokens" {
			used := s.countsLocked().AnalyzerMinutesUsed
			f := append(stamp(p.ID, p.Created, sa), kv{"name", vs(p.Name)}, kv{"usedMinutes", vi(used)},
				kv{"remainingMinutes", vi(max(p.AssignedMinutes-used, 0))}, kv{"assignedMinutes", vi(p.AssignedMinutes)},
				kv{"assignedUnits", vi(p.AssignedMinutes / 6)}, kv{"privileges", vnull}, kv{"schemaPath", vs("License.AnalyzerTimeAccessType")})
			out = append(out, mkRow(p.ID, f, idOnly(p.ID)))
		}
	case "license/professionalaccessgroup", "license/analyzeraccessgroup", "license/useraccessgroup":
		kind := strings.TrimSuffix(strings.TrimPrefix(name, "license/"), "accessgroup")
		for _, g := range s.accessGroups {
			if g.Kind == kind {
				f := append(stamp(g.ID, g.Created, sa), kv{"name", vs(g.Name)}, kv{"privileges", vnull}, kv{"schemaPath", vs("License." + titleCase(kind) + "AccessGroup")})
				out = append(out, mkRow(g.ID, f, obj{{"id", vs(g.ID)}, {"name", vs(g.Name)}, {"privileges", vnull}}))
			}
		}
	case "license/professionalaccessusage", "license/analyzeraccessusage", "license/useraccessusage":
		t := map[string]AccessType{"license/professionalaccessusage": Professional, "license/analyzeraccessusage": Analyzer, "license/useraccessusage": UserAccess}[name]
		key := t.String() + "AccessType"
		for _, a := range s.allocs[t] {
			if a.Quarantined || s.now.Sub(a.LastUsed) > 24*time.Hour || a.LastUsed.After(s.now) {
				continue
			}
			id := hexGUID(a.ID + a.LastUsed.String())
			f := append(stamp(id, a.LastUsed, "INTERNAL\\sa_proxy"), kv{"useStartTime", vt(a.LastUsed.Add(-20 * time.Minute))},
				kv{"latestActivity", vt(a.LastUsed)}, kv{"hostName", vs(s.opts.Hostname)}, kv{"serverNodeConfigurationId", vs(s.node.ID)},
				kv{"sessionID", vs(hexGUID(id))}, kv{"user", userCondensed(a.User)}, kv{key, vo(idOnly(a.ID))},
				kv{"privileges", vnull}, kv{"schemaPath", vs("License." + titleCase(t.String()) + "AccessUsage")})
			out = append(out, mkRow(id, f, idOnly(id)))
		}
	case "license/loginaccessusage", "license/analyzertimeaccessusage":
		login := name == "license/loginaccessusage"
		if login && len(s.loginGroups) == 0 || !login && (s.timePool == nil || s.license.Kind == "tokens") {
			break
		}
		for _, u := range s.users {
			var ok bool
			if login {
				ok = u.kind == kindAnalyzer && s.now.Sub(u.lastActive) <= 28*24*time.Hour
			} else {
				ok = u.kind == kindCapacity && u.capacityMinutesThisMonth > 0
			}
			if !ok || u.lastActive.IsZero() {
				continue
			}
			id := hexGUID(u.ID + name)
			sid := hexGUID(id + "s")
			sess := vo(obj{{"id", vs(sid)}, {"createdDate", vt(u.lastActive.Add(-30 * time.Minute))}, {"modifiedDate", vt(u.lastActive)},
				{"modifiedByUserName", vs("INTERNAL\\sa_proxy")}, {"sessionID", vs(hexGUID(sid))}, {"latestActivity", vt(u.lastActive)},
				{"serverNodeConfigurationId", vs(s.node.ID)}, {"schemaPath", vs("License.UsageSession")}, {"privileges", vnull}})
			var ref kv
			if login {
				g := s.loginGroups[0]
				ref = kv{"loginAccessType", vo(obj{{"id", vs(g.ID)}, {"name", vs(g.Name)}, {"privileges", vnull}})}
			} else {
				ref = kv{"analyzerTimeAccessType", vo(obj{{"id", vs(s.timePool.ID)}, {"name", vs(s.timePool.Name)}, {"privileges", vnull}})}
			}
			stop := u.lastActive.Add(6 * time.Minute)
			if login {
				stop = u.lastActive.Add(time.Hour)
			}
			f := append(stamp(id, u.lastActive.Add(-30*time.Minute), "INTERNAL\\sa_proxy"), kv{"useStartTime", vt(u.lastActive.Add(-30 * time.Minute))},
				kv{"latestActivity", vt(u.lastActive)}, kv{"useStopTime", vt(stop)}, kv{"hostName", vs(s.opts.Hostname)},
				kv{"serverNodeConfigurationId", vs(s.node.ID)}, kv{"sessions", va([]filter.Value{sess})}, kv{"user", userCondensed(u)}, ref,
				kv{"privileges", vnull}, kv{"schemaPath", vs(map[bool]string{true: "License.LoginAccessUsage", false: "License.AnalyzerTimeAccessUsage"}[login])})
			out = append(out, mkRow(id, f, idOnly(id)))
		}
	case "app":
		for _, a := range s.apps {
			out = append(out, mkRow(a.ID, appFull(a), appCondensed(a)))
		}
	case "app/object":
		for _, o := range s.objects {
			out = append(out, mkRow(o.ID, appObjectFull(o), appObjectCondensed(o)))
		}
	case "stream":
		for _, st := range s.streams {
			out = append(out, mkRow(st.ID, streamFull(st), obj{{"id", vs(st.ID)}, {"name", vs(st.Name)}, {"privileges", vnull}}))
		}
	case "tag":
		for _, t := range s.tags {
			out = append(out, mkRow(t.ID, append(stamp(t.ID, t.Created, sa), kv{"name", vs(t.Name)}, kv{"privileges", vnull}, kv{"schemaPath", vs("Tag")}),
				obj{{"id", vs(t.ID)}, {"name", vs(t.Name)}, {"privileges", vnull}}))
		}
	case "custompropertydefinition":
		for _, d := range s.propDefs {
			f := append(stamp(d.ID, d.Created, sa), kv{"name", vs(d.Name)}, kv{"valueType", vs("Text")}, kv{"choiceValues", strs(d.Choices)},
				kv{"objectTypes", strs(d.ObjectTypes)}, kv{"description", vs("")}, kv{"privileges", vnull}, kv{"schemaPath", vs("CustomPropertyDefinition")})
			out = append(out, mkRow(d.ID, f, obj{{"id", vs(d.ID)}, {"name", vs(d.Name)}, {"valueType", vs("Text")}, {"choiceValues", strs(d.Choices)}, {"privileges", vnull}}))
		}
	case "dataconnection":
		for _, c := range s.conns {
			out = append(out, mkRow(c.ID, connFull(c), connCondensed(c)))
		}
	case "reloadtask", "task", "usersynctask":
		for _, t := range s.tasks {
			if (name == "reloadtask" && t.TaskType != 0) || (name == "usersynctask" && t.TaskType != 2) {
				continue
			}
			out = append(out, mkRow(t.ID, s.taskFull(t, name == "task"), s.taskCondensed(t)))
		}
	case "executionresult", "executionresult/detail":
		for _, t := range s.tasks {
			for _, r := range t.Results {
				if name == "executionresult" {
					out = append(out, resultRow{s, r})
					continue
				}
				for _, d := range detailsValue(r.Details, true).Elems() {
					o := append(d.Record().(obj), kv{"executionResult", vo(obj{{"id", vs(r.ID)}, {"privileges", vnull}})})
					out = append(out, mkRow(o.Field("id").S, o, nil))
				}
			}
		}
	case "executionsession":
		for _, t := range s.tasks {
			for _, ss := range s.sessions {
				if ss.Task != t {
					continue
				}
				f := append(stamp(ss.ID, ss.Result.Start, "INTERNAL\\sa_scheduler"),
					kv{"executingNode", vo(obj{{"id", vs(s.node.ServiceIDs[2])}, {"privileges", vnull}})},
					kv{"executionResult", vo(s.resultCondensed(ss.Result))}, kv{"abortAt", vt(ss.Result.Start.Add(time.Duration(t.SessionTimeout) * time.Minute))},
					kv{"abortReason", filter.E(0, enumAbortReason)}, kv{"reloadTask", taskCondensedRef(t)}, kv{"userSyncTask", vnull},
					kv{"externalProgramTask", vnull}, kv{"privileges", vnull}, kv{"schemaPath", vs("ExecutionSession")})
				out = append(out, mkRow(ss.ID, f, nil))
			}
		}
	case "schemaevent", "compositeevent", "event":
		if name != "compositeevent" {
			for _, e := range s.schema {
				out = append(out, mkRow(e.ID, s.schemaEventObj(e, true), s.schemaEventObj(e, false)))
			}
		}
		if name != "schemaevent" {
			for _, c := range s.composite {
				out = append(out, mkRow(c.ID, s.compositeEventObj(c, true), s.compositeEventObj(c, false)))
			}
		}
	case "servicestatus":
		snc := vo(obj{{"id", vs(s.node.ID)}, {"name", vs(s.node.Name)}, {"hostName", vs(s.node.HostName)}, {"privileges", vnull}})
		for i, id := range s.node.ServiceIDs {
			f := append(stamp(id, s.node.Created, sa), kv{"serverNodeConfiguration", snc}, kv{"serviceType", filter.E(i, enumServiceType)},
				kv{"serviceState", filter.E(2, enumServiceState)}, kv{"timestamp", vt(s.now.Add(-time.Duration(i+1) * 7 * time.Second))},
				kv{"privileges", vnull}, kv{"schemaPath", vs("ServiceStatus")})
			out = append(out, mkRow(id, f, obj{{"id", vs(id)}, {"serviceType", filter.E(i, enumServiceType)}, {"serviceState", filter.E(2, enumServiceState)}, {"privileges", vnull}}))
		}
	case "servernodeconfiguration":
		n := s.node
		cluster := vo(obj{{"id", vs(n.ClusterID)}, {"name", vs(n.ClusterName)}, {"privileges", vnull}})
		tmp := vs(`C:\Windows\TEMP\`)
		f := append(stamp(n.ID, n.Created, sa), kv{"customProperties", va([]filter.Value{})}, kv{"name", vs(n.Name)},
			kv{"hostName", vs(n.HostName)}, kv{"isCentral", vb(true)}, kv{"nodePurpose", filter.E(0, enumNodePurpose)},
			kv{"engineEnabled", vb(true)}, kv{"proxyEnabled", vb(true)}, kv{"schedulerEnabled", vb(true)}, kv{"printingEnabled", vb(true)},
			kv{"failoverCandidate", vb(true)}, kv{"schedulerReloadEnabled", vb(true)}, kv{"schedulerPreloadEnabled", vb(false)},
			kv{"temporaryfilepath", tmp}, kv{"roles", va([]filter.Value{vo(obj{{"id", vs(hexGUID(n.ID + "role"))}, {"definition", vi(0)}, {"privileges", vnull}})})},
			kv{"serviceCluster", cluster}, kv{"tags", va([]filter.Value{})}, kv{"privileges", vnull}, kv{"schemaPath", vs("ServerNodeConfiguration")})
		out = append(out, mkRow(n.ID, f, obj{{"id", vs(n.ID)}, {"name", vs(n.Name)}, {"hostName", vs(n.HostName)}, {"temporaryfilepath", tmp},
			{"serviceCluster", cluster}, {"privileges", vnull}}))
	case "proxyservice":
		id := s.node.ServiceIDs[1]
		settings := vo(obj{{"id", vs(hexGUID(id + "settings"))}, {"listenPort", vi(443)}, {"allowHttp", vb(false)}, {"unencryptedListenPort", vi(80)},
			{"authenticationListenPort", vi(4244)}, {"kerberosAuthentication", vb(s.sc.Proxy.Kerberos)}, {"unencryptedAuthenticationListenPort", vi(4248)},
			{"sslBrowserCertificateThumbprint", vs("")}, {"keepAliveTimeoutSeconds", vi(10)}, {"maxHeaderSizeBytes", vi(16384)},
			{"maxHeaderLines", vi(100)}, {"restListenPort", vi(4243)}, {"privileges", vnull}})
		f := append(stamp(id, s.node.Created, sa), kv{"serverNodeConfiguration", vo(obj{{"id", vs(s.node.ID)}, {"name", vs(s.node.Name)}, {"hostName", vs(s.node.HostName)}, {"privileges", vnull}})},
			kv{"settings", settings}, kv{"privileges", vnull}, kv{"schemaPath", vs("ProxyService")})
		out = append(out, mkRow(id, f, obj{{"id", vs(id)}, {"privileges", vnull}}))
	case "virtualproxyconfig":
		id := hexGUID(s.node.ID + "vp")
		f := append(stamp(id, s.node.Created, sa), kv{"prefix", vs("")}, kv{"description", vs("Central Proxy (Default)")},
			kv{"authenticationModuleRedirectUri", vs("")}, kv{"sessionModuleBaseUri", vs("")}, kv{"loadBalancingModuleBaseUri", vs("")},
			kv{"useStickyLoadBalancing", vb(false)}, kv{"authenticationMethod", vi(0)}, kv{"windowsAuthenticationEnabledDevicePattern", vs("Windows")},
			kv{"sessionCookieHeaderName", vs("X-Qlik-Session")}, kv{"sessionInactivityTimeout", vi(30)}, kv{"defaultVirtualProxy", vb(true)},
			kv{"privileges", vnull}, kv{"schemaPath", vs("VirtualProxyConfig")})
		out = append(out, mkRow(id, f, obj{{"id", vs(id)}, {"prefix", vs("")}, {"description", vs("Central Proxy (Default)")}, {"privileges", vnull}}))
	}
	return out
}

// resultRow renders lazily: filters on taskID, status, executionID or
// startTime must not build (and size the script log of) every result.
type resultRow struct {
	s *Site
	r *ExecResult
}

func (x resultRow) rowID() string         { return x.r.ID }
func (x resultRow) record() filter.Record { return x }
func (x resultRow) condensed() obj        { return x.s.resultCondensed(x.r) }
func (x resultRow) full() obj             { return x.s.resultFull(x.r) }

func (x resultRow) Field(name string) filter.Value {
	r := x.r
	switch strings.ToLower(name) {
	case "id":
		return vs(r.ID)
	case "taskid":
		return vs(r.Task.ID)
	case "executionid":
		return vs(r.ExecutionID)
	case "status":
		return filter.E(r.Status, enumTaskStatus)
	case "starttime":
		return vt(r.Start)
	case "stoptime":
		return vt(r.Stop)
	case "filereferenceid":
		return vs(r.FileRefID)
	}
	return x.full().Field(name)
}
