package sim

import (
	"fmt"
	"net/http"
	"time"

	"github.com/licmon/licmon/internal/sim/filter"
)

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
