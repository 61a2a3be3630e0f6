package sim

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/sim/filter"
)

// XSRFFailure is the body of the 403 QRS returns when the xrfkey check fails.
const XSRFFailure = "XSRF prevention check failed. Possible XSRF discovered."

// MissingUserText is the body of the 403 for a request on the certificate
// port without X-Qlik-User. What real QRS does is undocumented; the
// simulator refuses so that clients which forget the header find out.
const MissingUserText = "Forbidden: the X-Qlik-User header is missing. Send X-Qlik-User: UserDirectory=<dir>; UserId=<id> (for example UserDirectory=INTERNAL; UserId=sa_api)."

// Identity is the user a request runs as.
type Identity struct {
	UserDirectory, UserID string
}

type identityKey struct{}

// ParseQlikUser parses an X-Qlik-User header ("UserDirectory=INTERNAL;
// UserId=sa_api"): parts split on ';', trimmed, keys case-insensitive.
func ParseQlikUser(h string) (Identity, bool) {
	var id Identity
	for part := range strings.SplitSeq(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "userdirectory":
			id.UserDirectory = strings.TrimSpace(v)
		case "userid":
			id.UserID = strings.TrimSpace(v)
		}
	}
	return id, id.UserDirectory != "" && id.UserID != ""
}

// checkXrf enforces the xrfkey rule: query parameter xrfkey (any case) of
// exactly 16 [0-9A-Za-z] equal to the X-Qlik-Xrfkey header.
func checkXrf(r *http.Request) bool {
	var key string
	found := false
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, "xrfkey") && len(v) > 0 {
			key, found = v[0], true
		}
	}
	if !found || len(key) != 16 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return r.Header.Get("X-Qlik-Xrfkey") == key
}

func textError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprint(w, msg)
}

// Handler serves the QRS as on port 4242. The TLS layer (Serve) has checked
// the client certificate; the handler still requires the xrfkey pair and
// X-Qlik-User.
func (s *Site) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !checkXrf(r) {
			textError(w, http.StatusForbidden, XSRFFailure)
			return
		}
		id, ok := ParseQlikUser(r.Header.Get("X-Qlik-User"))
		if !ok {
			textError(w, http.StatusForbidden, MissingUserText)
			return
		}
		s.serveQRS(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)), r.URL.Path)
	})
}

// serveQRS dispatches a request whose xrfkey and identity were checked.
func (s *Site) serveQRS(w http.ResponseWriter, r *http.Request, path string) {
	lower := strings.ToLower(path)
	if !strings.HasPrefix(lower, "/qrs/") {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	s.sync()
	raw := strings.Split(strings.Trim(path[len("/qrs/"):], "/"), "/")
	segs := make([]string, len(raw))
	for i, p := range raw {
		segs[i] = strings.ToLower(p)
	}
	q := r.URL.Query()
	priv := strings.EqualFold(q.Get("privileges"), "true")
	switch {
	case segs[0] == "about":
		s.serveAbout(w, r, segs, priv)
		return
	case segs[0] == "license" && (len(segs) == 1 || segs[1] == "accesstypeoverview" || segs[1] == "accesstypeinfo"):
		s.serveLicense(w, r, segs, priv)
		return
	case segs[0] == "servernodeconfiguration" && len(segs) == 2 && segs[1] == "local":
		s.mu.RLock()
		o := obj{{"configuration", vo(obj{{"id", vs(s.node.ID)}, {"privileges", vnull}})}, {"repositoryServiceID", vs(s.node.ServiceIDs[0])},
			{"engineServiceID", vs(s.node.ServiceIDs[3])}, {"proxyServiceID", vs(s.node.ServiceIDs[1])}, {"schedulerServiceID", vs(s.node.ServiceIDs[2])},
			{"printingServiceID", vs(s.node.ServiceIDs[5])}}
		s.mu.RUnlock()
		writeJSON(w, http.StatusOK, vo(o), priv)
		return
	case segs[0] == "task" || segs[0] == "reloadtask":
		if s.serveTaskAction(w, r, segs, raw) {
			return
		}
	case segs[0] == "download" && len(segs) >= 3 && segs[1] == "reloadtask":
		s.serveDownload(w, r, raw[2])
		return
	case segs[0] == "selection":
		s.serveSelection(w, r, segs, raw, priv)
		return
	}
	// generic collections: longest known prefix
	for n := min(len(segs), 2); n >= 1; n-- {
		name := strings.Join(segs[:n], "/")
		if !contains(collectionNames, name) {
			continue
		}
		s.serveCollection(w, r, name, raw[n:], priv)
		return
	}
	textError(w, http.StatusNotFound, "Not found")
}

func writeJSON(w http.ResponseWriter, code int, v filter.Value, priv bool) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	bw := bufio.NewWriterSize(w, 32<<10)
	jw := &jsonWriter{w: bw, priv: priv}
	jw.value(v)
	bw.Flush()
}

// query parses filter and orderby, writing the 400 on error.
func query(w http.ResponseWriter, r *http.Request) (*filter.Expr, []filter.OrderKey, bool) {
	q := r.URL.Query()
	fe, err := filter.Parse(q.Get("filter"))
	if err == nil {
		var keys []filter.OrderKey
		keys, err = filter.ParseOrderBy(q.Get("orderby"))
		if err == nil {
			return fe, keys, true
		}
	}
	textError(w, http.StatusBadRequest, err.Error())
	return nil, nil, false
}

func (s *Site) serveCollection(w http.ResponseWriter, r *http.Request, name string, rest []string, priv bool) {
	full := len(rest) > 0 && strings.EqualFold(rest[0], "full")
	count := len(rest) > 0 && strings.EqualFold(rest[0], "count")
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		if len(rest) == 1 {
			s.serveDelete(w, name, rest[0])
			return
		}
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	case http.MethodPost:
		if len(rest) == 0 {
			s.servePost(w, r, name, priv)
			return
		}
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	case http.MethodPut:
		if name == "dataconnection" && len(rest) == 1 && isGUID(rest[0]) {
			s.servePutConnection(w, r, rest[0], priv)
			return
		}
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	default:
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if len(rest) > 1 || (len(rest) == 1 && !full && !count && !isGUID(rest[0])) {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	fe, keys, ok := query(w, r)
	if !ok {
		return
	}
	id := ""
	if len(rest) == 1 && !full && !count {
		id = rest[0]
	}
	rows, one, n := s.listSnapshot(name, id, fe, keys, full, count)
	switch {
	case id != "" && one == nil:
		textError(w, http.StatusNotFound, "Not found")
		return
	case id != "":
		writeJSON(w, http.StatusOK, vo(one), priv)
		return
	case count:
		writeJSON(w, http.StatusOK, vo(obj{{"value", vi(n)}}), false)
		return
	}
	// The site lock is not held here: rows are detached copies, so a slow
	// client does not hold up writes, the clock or the other readers.
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	jw := &jsonWriter{w: bw, priv: priv}
	var sc allocScratch
	bw.WriteByte('[')
	for i, rw := range rows {
		if i > 0 {
			bw.WriteByte(',')
		}
		if ar, ok := rw.(allocRow); ok && full {
			jw.object(ar.appendFull(&sc))
		} else if full {
			jw.object(rw.full())
		} else {
			jw.object(rw.condensed())
		}
	}
	bw.WriteByte(']')
	bw.Flush()
}

// listSnapshot takes what a collection read needs under the read lock and
// releases it before anything is written: the entity with id (rendered
// full), the number of matching rows, or the matching rows, filtered,
// sorted and detached from the live site (see row.detach), so each answer
// is the site at one instant however long the client takes to read it.
func (s *Site) listSnapshot(name, id string, fe *filter.Expr, keys []filter.OrderKey, full, count bool) (rows []row, one obj, n int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows = s.rows(name)
	if id != "" {
		for _, rw := range rows {
			if strings.EqualFold(rw.rowID(), id) {
				return nil, rw.full(), 1
			}
		}
		return nil, nil, 0
	}
	if fe != nil {
		kept := rows[:0:0]
		for _, rw := range rows {
			if fe.Match(rw.record()) {
				kept = append(kept, rw)
			}
		}
		rows = kept
	}
	if count {
		return nil, nil, len(rows)
	}
	if len(keys) > 0 {
		recs := make([]sortable, len(rows))
		for i, rw := range rows {
			recs[i] = sortable{rw}
		}
		filter.Sort(recs, keys)
		for i := range recs {
			rows[i] = recs[i].row
		}
	}
	return detachRows(rows, full), nil, len(rows)
}

type sortable struct{ row }

func (s sortable) Field(n string) filter.Value { return s.record().Field(n) }

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *Site) serveAbout(w http.ResponseWriter, r *http.Request, segs []string, priv bool) {
	if len(segs) == 3 && segs[1] == "api" && segs[2] == "enums" {
		enums := []struct {
			name, usage string
			t           []string
		}{{"TaskExecutionStatus", "ExecutionResult.Status", enumTaskStatus}, {"TaskType", "ReloadTask.TaskType", enumTaskType},
			{"ExecutionResultDetailType", "ExecutionResultDetail.DetailsType", enumDetailsType}, {"ServiceType", "ServiceStatus.ServiceType", enumServiceType},
			{"ServiceState", "ServiceStatus.ServiceState", enumServiceState}, {"IncrementOption", "SchemaEvent.IncrementOption", enumIncrement}}
		var o obj
		for _, e := range enums {
			vals := make([]string, len(e.t))
			for i, n := range e.t {
				vals[i] = fmt.Sprintf("%d: %s", i, n)
			}
			o = append(o, kv{e.name, vo(obj{{"values", strs(vals)}, {"usages", strs([]string{e.usage})}})})
		}
		writeJSON(w, http.StatusOK, vo(o), false)
		return
	}
	if len(segs) != 1 {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	o := obj{{"buildVersion", vs(s.about.BuildVersion)}, {"buildDate", vs(s.about.BuildDate)}, {"databaseProvider", vs("Devart.Data.PostgreSql")},
		{"nodeType", filter.E(1, enumNodeType)}, {"sharedPersistence", vb(true)}, {"requiresBootstrap", vb(false)}, {"singleNodeOnly", vb(false)},
		{"schemaPath", vs("About")}}
	writeJSON(w, http.StatusOK, vo(o), priv)
}

func (s *Site) serveLicense(w http.ResponseWriter, r *http.Request, segs []string, priv bool) {
	if r.Method != http.MethodGet {
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.license
	if len(segs) == 1 {
		expired := !l.ValidTo.After(s.now)
		reason := ""
		if expired {
			reason = "License expired " + l.ValidTo.Format("2006-01-02")
		}
		o := obj{{"id", vs(l.ID)}, {"createdDate", vt(l.Created)}, {"modifiedDate", vt(l.Updated)}, {"modifiedByUserName", vs("CORP\\qlikadmin")},
			{"lef", vs(l.LEF)}, {"serial", vs(l.Serial)}, {"check", vs(l.Control)}, {"key", vs(l.Key)}, {"keyDetails", vs(l.KeyDetails)},
			{"name", vs(l.Name)}, {"organization", vs(l.Organization)}, {"product", filter.E(1, enumProduct)}, {"numberOfCores", vi(-1)},
			{"isExpired", vb(expired)}, {"expiredReason", vs(reason)}, {"isBlacklisted", vb(false)}, {"isInvalid", vb(false)},
			{"isSubscription", vb(l.Kind == "signed-key")}, {"isCloudServices", vb(false)}, {"isElastic", vb(false)}, {"updated", vt(l.Updated)},
			{"privileges", vnull}, {"schemaPath", vs("License")}}
		writeJSON(w, http.StatusOK, vo(o), priv)
		return
	}
	c := s.countsLocked()
	tokens := l.Kind == "tokens"
	if segs[1] == "accesstypeinfo" {
		o := obj{{"totalTokens", vi(c.UserAccess.Total)}, {"availableTokens", vi(c.UserAccess.Available)},
			{"professionalAccessType", vo(obj{{"tokenCost", filter.F(0)}, {"allocatedTokens", vi(c.Professional.Allocated)}, {"usedTokens", vi(c.Professional.Used)}, {"quarantinedTokens", vi(c.Professional.Quarantined)}})},
			{"userAccessType", vo(obj{{"tokenCost", filter.F(1)}, {"allocatedTokens", vi(c.UserAccess.Allocated)}, {"usedTokens", vi(c.UserAccess.Used)}, {"quarantinedTokens", vi(c.UserAccess.Quarantined)}})},
			{"loginAccessType", vo(obj{{"tokenCost", filter.F(0.1)}, {"allocatedTokens", vi(loginTokens(s))}, {"usedTokens", vi(loginUsedTokens(s))}, {"unavailableTokens", vi(0)}})},
			{"analyzerAccessType", vo(obj{{"tokenCost", filter.F(0)}, {"allocatedTokens", vi(c.Analyzer.Allocated)}, {"usedTokens", vi(c.Analyzer.Used)}, {"quarantinedTokens", vi(c.Analyzer.Quarantined)}})},
			{"schemaPath", vs("AccessTypesInfo")}}
		writeJSON(w, http.StatusOK, vo(o), priv)
		return
	}
	det := func(c Counts, on bool) filter.Value {
		if !on {
			c = Counts{}
		}
		return vo(obj{{"enabled", vb(on)}, {"total", vi(c.Total)}, {"allocated", vi(c.Allocated)}, {"used", vi(c.Used)},
			{"quarantined", vi(c.Quarantined)}, {"excess", vi(c.Excess)}, {"available", vi(c.Available)}, {"schemaPath", vs("AccessTypeOverview.Details")}})
	}
	capOn := !tokens && l.AnalyzerMinutes > 0
	o := obj{{"totalTokens", vi(c.UserAccess.Total)}, {"availableTokens", vi(c.UserAccess.Available)}, {"tokensEnabled", vb(tokens)},
		{"userAccess", vo(obj{{"enabled", vb(tokens)}, {"tokenCost", filter.F(1)}, {"allocatedTokens", vi(c.UserAccess.Allocated)},
			{"usedTokens", vi(c.UserAccess.Used)}, {"quarantinedTokens", vi(c.UserAccess.Quarantined)}, {"schemaPath", vs("AccessTypeOverview.UserAccessDetails")}})},
		{"loginAccess", vo(obj{{"enabled", vb(tokens)}, {"tokenCost", filter.F(0.1)}, {"allocatedTokens", vi(loginTokens(s))},
			{"usedTokens", vi(ifOn(tokens, loginUsedTokens(s)))}, {"unavailableTokens", vi(0)}, {"schemaPath", vs("AccessTypeOverview.LoginAccessDetails")}})},
		{"professionalAccess", det(c.Professional, !tokens)}, {"analyzerAccess", det(c.Analyzer, !tokens)},
		{"analyzerTimeAccess", vo(obj{{"enabled", vb(capOn)}, {"allocatedMinutes", vi(ifOn(capOn, c.AnalyzerMinutesAssigned))},
			{"usedMinutes", vi(ifOn(capOn, c.AnalyzerMinutesUsed))}, {"unavailableMinutes", vi(0)}, {"schemaPath", vs("AccessTypeOverview.AnalyzerTimeAccessDetails")}})},
		{"schemaPath", vs("AccessTypeOverview")}}
	writeJSON(w, http.StatusOK, vo(o), priv)
}

func ifOn(on bool, n int) int {
	if on {
		return n
	}
	return 0
}

func loginTokens(s *Site) int {
	n := 0
	for _, g := range s.loginGroups {
		n += g.Tokens
	}
	return n
}

func loginUsedTokens(s *Site) int {
	used := 0
	for _, u := range s.users {
		if u.kind == kindAnalyzer && !u.lastActive.IsZero() && s.now.Sub(u.lastActive) <= 28*24*time.Hour {
			used++
		}
	}
	return (used + 9) / 10
}

// serveDelete releases an allocation following the quarantine rule.
func (s *Site) serveDelete(w http.ResponseWriter, name, id string) {
	var t AccessType
	switch name {
	case "license/professionalaccesstype":
		t = Professional
	case "license/analyzeraccesstype":
		t = Analyzer
	case "license/useraccesstype":
		t = UserAccess
	default:
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.allocByID[strings.ToLower(id)]
	if a == nil || a.Type != t {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	s.release(a)
	w.WriteHeader(http.StatusNoContent)
}

// release deallocates: quarantine if the model quarantines and the
// allocation was used within the quarantine period, else remove.
func (s *Site) release(a *Alloc) {
	q := time.Duration(s.opts.QuarantineDays) * 24 * time.Hour
	quarantines := s.opts.QuarantineModel == "lef" || a.Type == UserAccess
	if a.Quarantined {
		return
	}
	if quarantines && !a.LastUsed.Equal(Never) && s.now.Sub(a.LastUsed) < q {
		a.Quarantined = true
		a.QuarantineEnd = a.LastUsed.Add(q)
		a.Excess = false
		a.Modified = s.now
		a.ModifiedBy = "INTERNAL\\sa_api"
		if a.User != nil && a.User.alloc == a {
			a.User.alloc, a.User.held = nil, a
		}
	} else {
		s.removeAlloc(a)
	}
	s.recomputeExcess()
}

// servePost creates an allocation: body {"user":{"id":"<guid>"}}.
func (s *Site) servePost(w http.ResponseWriter, r *http.Request, name string, priv bool) {
	types := map[string]AccessType{"license/professionalaccesstype": Professional, "license/analyzeraccesstype": Analyzer, "license/useraccesstype": UserAccess}
	t, ok := types[name]
	if !ok {
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	var body struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		textError(w, http.StatusBadRequest, "Bad request: body must be {\"user\":{\"id\":\"<user id>\"}}")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID[strings.ToLower(body.User.ID)]
	if u == nil {
		textError(w, http.StatusBadRequest, "Bad request: unknown user id")
		return
	}
	if u.alloc != nil {
		textError(w, http.StatusConflict, "Conflict: the user already has an allocation")
		return
	}
	if a := s.reinstate(u, t); a != nil {
		u.deniedSince = time.Time{}
		s.recomputeExcess()
		writeJSON(w, http.StatusCreated, vo(allocRec{a}.obj()), priv)
		return
	}
	if !s.seatFree(t) {
		textError(w, http.StatusBadRequest, s.noSeatText(t))
		return
	}
	u.deniedSince = time.Time{}
	r2 := s.hourRand(s.now.UnixNano(), uint64(len(s.allocByID)))
	a := &Alloc{ID: guid(r2), Type: t, User: u, Created: s.now, Modified: s.now, LastUsed: Never, QuarantineEnd: Never, ModifiedBy: "INTERNAL\\sa_api"}
	s.addAlloc(a)
	s.recomputeExcess()
	writeJSON(w, http.StatusCreated, vo(allocRec{a}.obj()), priv)
}

// serveTaskAction handles start, scriptlog and scriptlogfile. It reports
// whether it handled the request.
func (s *Site) serveTaskAction(w http.ResponseWriter, r *http.Request, segs, raw []string) bool {
	last := segs[len(segs)-1]
	// /task/start[/synchronous]?name= , /task/start/many
	if segs[0] == "task" && len(segs) >= 2 && segs[1] == "start" {
		if r.Method != http.MethodPost {
			textError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return true
		}
		if len(segs) == 3 && segs[2] == "many" {
			var ids []string
			if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
				textError(w, http.StatusBadRequest, "Bad request: body must be a JSON array of task ids")
				return true
			}
			s.mu.Lock()
			for _, id := range ids {
				if t := s.taskByID(id); t != nil && t.Enabled {
					s.runNow(t)
				}
			}
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		name := r.URL.Query().Get("name")
		s.mu.Lock()
		t := s.taskByName(name)
		s.startResponse(w, t, len(segs) == 3 && segs[2] == "synchronous")
		s.mu.Unlock()
		return true
	}
	if len(segs) < 3 || !isGUID(segs[1]) {
		return false
	}
	switch {
	case (last == "start" && len(segs) == 3) || (last == "synchronous" && len(segs) == 4 && segs[2] == "start"):
		if r.Method != http.MethodPost {
			textError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return true
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.startResponse(w, s.taskByID(segs[1]), last == "synchronous")
		return true
	case last == "scriptlog" || last == "scriptlogfile":
		s.mu.Lock()
		defer s.mu.Unlock()
		t := s.taskByID(segs[1])
		if t == nil {
			textError(w, http.StatusNotFound, "Not found")
			return true
		}
		var res *ExecResult
		q := r.URL.Query()
		for _, x := range t.Results {
			if (last == "scriptlogfile" && strings.EqualFold(x.ID, q.Get("executionResultId"))) ||
				(last == "scriptlog" && strings.EqualFold(x.FileRefID, q.Get("fileReferenceId"))) {
				res = x
			}
		}
		if res == nil || res.FileRefID == NullGUID || res.ScriptLogLocation == "" {
			textError(w, http.StatusNotFound, "Not found")
			return true
		}
		tk := guid(s.hourRand(s.now.UnixNano(), uint64(len(s.tickets))+99))
		s.tickets[tk] = ticket{taskID: t.ID, resultID: res.ID}
		writeJSON(w, http.StatusOK, vo(obj{{"value", vs(tk)}}), false)
		return true
	case last == "stop" && len(segs) == 3:
		s.mu.Lock()
		defer s.mu.Unlock()
		for id, ss := range s.sessions {
			if strings.EqualFold(ss.Task.ID, segs[1]) {
				ss.Result.failure = FailAborted
				ss.Result.Details = append(ss.Result.Details, Detail{ID: hexGUID(id + "stop"), Type: 2, Message: "Changing task state from Started to AbortInitiated", Created: s.now})
				ss.EndsAt = s.now
				s.finishRunAborted(ss)
				delete(s.sessions, id)
			}
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

func (s *Site) finishRunAborted(ss *session) {
	res := ss.Result
	res.Status = StatusAborted
	res.Stop = s.now
	res.Details = append(res.Details, Detail{ID: hexGUID(res.ID + "aborted"), Type: 2, Message: "Changing task state from Aborting to Aborted", Created: s.now})
	res.counts = s.countsAt(res.Start)
}

func (s *Site) taskByID(id string) *Task {
	for _, t := range s.tasks {
		if strings.EqualFold(t.ID, id) {
			return t
		}
	}
	return nil
}

// startResponse starts t and writes 204 (async) or 201 {"value": session}
// (sync; the empty GUID when the task cannot start).
func (s *Site) startResponse(w http.ResponseWriter, t *Task, sync bool) {
	if t == nil {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	sessID := NullGUID
	if t.Enabled {
		sessID = s.runNow(t).ID
	}
	if !sync {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusCreated, vo(obj{{"value", vs(sessID)}}), false)
}

// serveDownload serves a script log for a single-use ticket.
func (s *Site) serveDownload(w http.ResponseWriter, r *http.Request, tk string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[strings.ToLower(tk)]
	if !ok {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	delete(s.tickets, strings.ToLower(tk))
	res := s.results[t.resultID]
	if res == nil {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	if n := s.download404[res.ID]; n > 0 {
		s.download404[res.ID] = n - 1
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	body := s.scriptLog(res)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename=\""+url.PathEscape(res.Task.Name)+".log\"")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// serveSelection implements POST /qrs/selection, GET
// /qrs/selection/{id}/{type}[/full] and DELETE /qrs/selection/{id}.
func (s *Site) serveSelection(w http.ResponseWriter, r *http.Request, segs, raw []string, priv bool) {
	switch {
	case r.Method == http.MethodPost && len(segs) == 1:
		var body struct {
			Items []struct {
				Type     string `json:"type"`
				ObjectID string `json:"objectID"`
			} `json:"items"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			textError(w, http.StatusBadRequest, "Bad request: body must be {\"items\":[{\"type\":\"ReloadTask\",\"objectID\":\"<guid>\"}]}")
			return
		}
		s.mu.Lock()
		id := guid(s.hourRand(s.now.UnixNano(), uint64(len(s.selections))+500))
		var items []selectionItem
		var vals []filter.Value
		for _, it := range body.Items {
			items = append(items, selectionItem{Type: it.Type, ObjectID: strings.ToLower(it.ObjectID)})
			vals = append(vals, vo(obj{{"id", vs(hexGUID(id + it.ObjectID))}, {"type", vs(it.Type)}, {"objectID", vs(it.ObjectID)},
				{"objectName", vs("")}, {"privileges", vnull}, {"schemaPath", vs("SelectionItem")}}))
		}
		s.selections[id] = items
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, vo(obj{{"id", vs(id)}, {"createdDate", vt(s.Now())}, {"modifiedDate", vt(s.Now())},
			{"modifiedByUserName", vs("INTERNAL\\sa_api")}, {"items", va(vals)}, {"privileges", vnull}, {"schemaPath", vs("Selection")}}), priv)
	case r.Method == http.MethodDelete && len(segs) == 2:
		s.mu.Lock()
		_, ok := s.selections[segs[1]]
		delete(s.selections, segs[1])
		s.mu.Unlock()
		if !ok {
			textError(w, http.StatusNotFound, "Not found")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && len(segs) >= 3:
		s.mu.RLock()
		items, ok := s.selections[segs[1]]
		if !ok {
			s.mu.RUnlock()
			textError(w, http.StatusNotFound, "Not found")
			return
		}
		typ := segs[2]
		full := len(segs) == 4 && segs[3] == "full"
		fe, keys, ok := query(w, r)
		if !ok {
			s.mu.RUnlock()
			return
		}
		var out []filter.Value
		for _, it := range items {
			t := s.taskByID(it.ObjectID)
			switch typ {
			case "event", "schemaevent", "compositeevent":
				if t == nil {
					continue
				}
				if typ != "compositeevent" && t.Trigger != nil {
					out = append(out, vo(pick(s.schemaEventObj(t.Trigger, full), fe)))
				}
				if typ != "schemaevent" {
					for _, c := range s.composite {
						if c.Task == t {
							out = append(out, vo(pick(s.compositeEventObj(c, full), fe)))
						}
					}
				}
			case "reloadtask", "task":
				if t != nil {
					o := s.taskCondensed(t)
					if full {
						o = s.taskFull(t, typ == "task")
					}
					out = append(out, vo(pick(o, fe)))
				}
			}
		}
		s.mu.RUnlock()
		kept := out[:0:0]
		for _, v := range out {
			if v.Kind == filter.Object {
				kept = append(kept, v)
			}
		}
		if len(keys) > 0 {
			recs := make([]obj, len(kept))
			for i, v := range kept {
				recs[i] = v.Record().(obj)
			}
			filter.Sort(recs, keys)
			for i := range recs {
				kept[i] = vo(recs[i])
			}
		}
		if kept == nil {
			kept = []filter.Value{}
		}
		writeJSON(w, http.StatusOK, va(kept), priv)
	default:
		textError(w, http.StatusNotFound, "Not found")
	}
}

// pick returns o if it matches fe, else nil (dropped by the caller).
func pick(o obj, fe *filter.Expr) obj {
	if fe.Match(o) {
		return o
	}
	return nil
}

// RequestIdentity returns the user a request handled by Handler or
// ProxyHandler runs as (from X-Qlik-User, the JWT or the header).
func RequestIdentity(r *http.Request) (Identity, bool) {
	id, ok := r.Context().Value(identityKey{}).(Identity)
	return id, ok
}
