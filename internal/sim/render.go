package sim

import (
	"strings"
	"time"

	"github.com/licmon/licmon/internal/sim/filter"
)

// The functions here render entities with the QRS field names, types and
// member order. "Condensed" is what /qrs/{type} returns, "full" what
// /qrs/{type}/full and /qrs/{type}/{id} return.

func userCondensed(u *User) filter.Value {
	if u == nil {
		return vnull
	}
	return vo(obj{{"id", vs(u.ID)}, {"userId", vs(u.UserID)}, {"userDirectory", vs(u.Dir)},
		{"userDirectoryConnectorName", vs(connectorName(u))}, {"name", vs(u.Name)}, {"privileges", vnull}})
}

func connectorName(u *User) string {
	if u.Dir == "INTERNAL" {
		return ""
	}
	return u.Dir
}

func tagsValue(tags []*Tag) filter.Value {
	v := make([]filter.Value, len(tags))
	for i, t := range tags {
		v[i] = vo(obj{{"id", vs(t.ID)}, {"name", vs(t.Name)}, {"privileges", vnull}})
	}
	return va(v)
}

func propsValue(ps []propValue) filter.Value {
	v := make([]filter.Value, len(ps))
	for i, p := range ps {
		v[i] = vo(obj{{"id", vs(p.ID)}, {"createdDate", vt(p.Def.Created)}, {"modifiedDate", vt(p.Def.Created)},
			{"modifiedByUserName", vs("INTERNAL\\sa_repository")}, {"value", vs(p.Value)},
			{"definition", vo(obj{{"id", vs(p.Def.ID)}, {"name", vs(p.Def.Name)}, {"valueType", vs("Text")},
				{"choiceValues", strs(p.Def.Choices)}, {"privileges", vnull}})},
			{"schemaPath", vs("CustomPropertyValue")}, {"privileges", vnull}})
	}
	return va(v)
}

func strs(ss []string) filter.Value {
	v := make([]filter.Value, len(ss))
	for i, s := range ss {
		v[i] = vs(s)
	}
	return va(v)
}

// --- users (fast record: filters on 100k users must not build objects) ---

type userRec struct{ u *User }

func (r userRec) Field(name string) filter.Value {
	u := r.u
	switch strings.ToLower(name) {
	case "id":
		return vs(u.ID)
	case "userid":
		return vs(u.UserID)
	case "userdirectory":
		return vs(u.Dir)
	case "name":
		return vs(u.Name)
	case "inactive":
		return vb(u.Inactive)
	case "removedexternally":
		return vb(u.RemovedExternally)
	case "blacklisted":
		return vb(u.Blacklisted)
	case "createddate":
		return vt(u.Created)
	case "modifieddate":
		return vt(u.Modified)
	}
	return r.obj().Field(name)
}

func (r userRec) obj() obj {
	u := r.u
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return obj{{"id", vs(u.ID)}, {"createdDate", vt(u.Created)}, {"modifiedDate", vt(u.Modified)}, {"modifiedByUserName", vs(u.ModifiedBy)},
		{"customProperties", propsValue(u.Props)}, {"userId", vs(u.UserID)}, {"userDirectory", vs(u.Dir)},
		{"userDirectoryConnectorName", vs(connectorName(u))}, {"name", vs(u.Name)}, {"roles", strs(roles)}, {"attributes", va([]filter.Value{})},
		{"inactive", vb(u.Inactive)}, {"removedExternally", vb(u.RemovedExternally)}, {"blacklisted", vb(u.Blacklisted)},
		{"deleteProhibited", vb(u.DeleteProhibited)}, {"tags", tagsValue(u.Tags)}, {"favorites", va([]filter.Value{})},
		{"privileges", vnull}, {"schemaPath", vs("User")}}
}

func (r userRec) condensed() obj {
	u := r.u
	return obj{{"id", vs(u.ID)}, {"userId", vs(u.UserID)}, {"userDirectory", vs(u.Dir)},
		{"userDirectoryConnectorName", vs(connectorName(u))}, {"name", vs(u.Name)}, {"privileges", vnull}}
}

// --- allocations (fast record) ---

type allocRec struct{ a *Alloc }

func (r allocRec) Field(name string) filter.Value {
	a := r.a
	switch strings.ToLower(name) {
	case "id":
		return vs(a.ID)
	case "lastused":
		return vt(a.LastUsed)
	case "createddate":
		return vt(a.Created)
	case "modifieddate":
		return vt(a.Modified)
	case "quarantined":
		return vb(a.Quarantined)
	case "quarantineend":
		return vt(a.QuarantineEnd)
	case "excess":
		if a.Type == UserAccess {
			return vnull
		}
		return vb(a.Excess)
	case "user":
		if a.User == nil {
			return vnull
		}
		return filter.Obj(userRec{a.User})
	case "deleteduserid":
		return vs(a.DeletedUserID)
	case "deleteduserdirectory":
		return vs(a.DeletedDir)
	}
	return r.obj().Field(name)
}

func (r allocRec) obj() obj {
	var sc allocScratch
	return r.appendFull(&sc)
}

// allocScratch holds reusable member lists so that streaming 60 000
// allocations does not allocate per row.
type allocScratch struct{ o, u obj }

func (r allocRec) appendFull(sc *allocScratch) obj {
	a := r.a
	user := vnull
	if u := a.User; u != nil {
		sc.u = append(sc.u[:0], kv{"id", vs(u.ID)}, kv{"userId", vs(u.UserID)}, kv{"userDirectory", vs(u.Dir)},
			kv{"userDirectoryConnectorName", vs(connectorName(u))}, kv{"name", vs(u.Name)}, kv{"privileges", vnull})
		user = filter.Obj(sharedObj{&sc.u})
	}
	o := append(sc.o[:0], kv{"id", vs(a.ID)}, kv{"createdDate", vt(a.Created)}, kv{"modifiedDate", vt(a.Modified)},
		kv{"modifiedByUserName", vs(a.ModifiedBy)}, kv{"user", user}, kv{"lastUsed", vt(a.LastUsed)})
	if a.Type != UserAccess {
		o = append(o, kv{"excess", vb(a.Excess)})
	}
	o = append(o, kv{"quarantined", vb(a.Quarantined)}, kv{"quarantineEnd", vt(a.QuarantineEnd)},
		kv{"deletedUserId", vs(a.DeletedUserID)}, kv{"deletedUserDirectory", vs(a.DeletedDir)},
		kv{"privileges", vnull}, kv{"schemaPath", vs(a.Type.schemaPath())})
	sc.o = o
	return o
}

func idOnly(id string) obj { return obj{{"id", vs(id)}, {"privileges", vnull}} }

// --- apps, streams, objects ---

func streamCondensed(st *Stream) filter.Value {
	if st == nil {
		return vnull
	}
	return vo(obj{{"id", vs(st.ID)}, {"name", vs(st.Name)}, {"privileges", vnull}})
}

func appCondensed(a *App) obj {
	if a == nil {
		return nil
	}
	return obj{{"id", vs(a.ID)}, {"name", vs(a.Name)}, {"appId", vs("")}, {"publishTime", vt(pub(a))}, {"published", vb(a.Published)},
		{"stream", streamCondensed(a.Stream)}, {"savedInProductVersion", vs(a.Version)}, {"migrationHash", vs("f0a8a7c4ab4b4d1b2f5e6d3c9b1a0e7d6c5b4a39")},
		{"availabilityStatus", filter.E(0, enumAvailability)}, {"privileges", vnull}}
}

func pub(a *App) time.Time {
	if !a.Published {
		return Never
	}
	return a.PublishTime
}

func appFull(a *App) obj {
	return obj{{"id", vs(a.ID)}, {"createdDate", vt(a.Created)}, {"modifiedDate", vt(a.Modified)}, {"modifiedByUserName", vs(a.ModifiedBy)},
		{"customProperties", va([]filter.Value{})}, {"owner", userCondensed(a.Owner)}, {"name", vs(a.Name)}, {"appId", vs("")},
		{"sourceAppId", vs(NullGUID)}, {"targetAppId", vs(NullGUID)}, {"publishTime", vt(pub(a))}, {"published", vb(a.Published)},
		{"tags", va([]filter.Value{})}, {"description", vs(a.Description)}, {"stream", streamCondensed(a.Stream)},
		{"fileSize", filter.I(a.FileSize)}, {"lastReloadTime", vt(a.LastReload)}, {"thumbnail", vs("")},
		{"savedInProductVersion", vs(a.Version)}, {"migrationHash", vs("f0a8a7c4ab4b4d1b2f5e6d3c9b1a0e7d6c5b4a39")},
		{"dynamicColor", vs("")}, {"availabilityStatus", filter.E(0, enumAvailability)}, {"lastDataDistribution", vt(Never)},
		{"staticByteSize", filter.I(a.FileSize / 3)}, {"privileges", vnull}, {"schemaPath", vs("App")}}
}

func appObjectCondensed(o *AppObject) obj {
	return obj{{"id", vs(o.ID)}, {"engineObjectId", vs(o.EngineID)}, {"name", vs(o.Name)}, {"objectType", vs(o.ObjectType)},
		{"publishTime", vt(ifNever(o.Published, o.PublishTime))}, {"published", vb(o.Published)}, {"approved", vb(o.Approved)},
		{"privileges", vnull}}
}

func ifNever(ok bool, t time.Time) time.Time {
	if !ok {
		return Never
	}
	return t
}

func appObjectFull(o *AppObject) obj {
	return obj{{"id", vs(o.ID)}, {"createdDate", vt(o.Created)}, {"modifiedDate", vt(o.Modified)},
		{"modifiedByUserName", vs(o.Owner.Dir + "\\" + o.Owner.UserID)}, {"owner", userCondensed(o.Owner)}, {"name", vs(o.Name)},
		{"engineObjectId", vs(o.EngineID)}, {"contentHash", vs(hexID(o.ID))}, {"app", vo(appCondensed(o.App))},
		{"objectType", vs(o.ObjectType)}, {"engineObjectType", vs(o.ObjectType)}, {"description", vs("")}, {"attributes", vs("")},
		{"size", vi(len(o.ID) * 97)}, {"publishTime", vt(ifNever(o.Published, o.PublishTime))}, {"published", vb(o.Published)},
		{"approved", vb(o.Approved)}, {"sourceObject", vs("")}, {"draftObject", vs("")}, {"appObjectBlobId", vs(NullGUID)},
		{"tags", va([]filter.Value{})}, {"privileges", vnull}, {"schemaPath", vs("App.Object")}}
}

func streamFull(st *Stream) obj {
	return obj{{"id", vs(st.ID)}, {"createdDate", vt(st.Created)}, {"modifiedDate", vt(st.Created)},
		{"modifiedByUserName", vs("INTERNAL\\sa_repository")}, {"customProperties", va([]filter.Value{})},
		{"owner", userCondensed(st.Owner)}, {"name", vs(st.Name)}, {"tags", va([]filter.Value{})}, {"privileges", vnull}, {"schemaPath", vs("Stream")}}
}

// --- data connections ---

func connCondensed(c *DataConnection) obj {
	return obj{{"id", vs(c.ID)}, {"name", vs(c.Name)}, {"connectionstring", vs(c.ConnStr)}, {"type", vs(c.Type)},
		{"engineObjectId", vs(c.ID)}, {"username", vs(c.Username)}, {"password", vs("")}, {"logOn", filter.E(c.LogOn, enumLogOn)},
		{"architecture", filter.E(0, enumArchitecture)}, {"privileges", vnull}}
}

func connFull(c *DataConnection) obj {
	return obj{{"id", vs(c.ID)}, {"createdDate", vt(c.Created)}, {"modifiedDate", vt(c.Modified)},
		{"modifiedByUserName", vs("INTERNAL\\sa_repository")}, {"customProperties", va([]filter.Value{})}, {"owner", userCondensed(c.Owner)},
		{"name", vs(c.Name)}, {"connectionstring", vs(c.ConnStr)}, {"type", vs(c.Type)}, {"engineObjectId", vs(c.ID)},
		{"username", vs(c.Username)}, {"password", vs("")}, {"logOn", filter.E(c.LogOn, enumLogOn)},
		{"architecture", filter.E(0, enumArchitecture)}, {"tags", va([]filter.Value{})}, {"privileges", vnull}, {"schemaPath", vs("DataConnection")}}
}

// --- tasks and executions ---

func detailsValue(ds []Detail, full bool) filter.Value {
	v := make([]filter.Value, len(ds))
	for i, d := range ds {
		o := obj{{"id", vs(d.ID)}}
		if full {
			o = append(o, kv{"createdDate", vt(d.Created)}, kv{"modifiedDate", vt(d.Created)}, kv{"modifiedByUserName", vs("INTERNAL\\sa_scheduler")})
		}
		o = append(o, kv{"detailsType", filter.E(d.Type, enumDetailsType)}, kv{"message", vs(d.Message)},
			kv{"detailCreatedDate", vt(d.Created)}, kv{"privileges", vnull})
		if full {
			o = append(o, kv{"schemaPath", vs("ExecutionResultDetail")})
		}
		v[i] = vo(o)
	}
	return va(v)
}

func (s *Site) resultCondensed(r *ExecResult) obj {
	if r == nil {
		return nil
	}
	return obj{{"id", vs(r.ID)}, {"executingNodeName", vs(r.NodeName)}, {"status", filter.E(r.Status, enumTaskStatus)},
		{"startTime", vt(r.Start)}, {"stopTime", vt(r.Stop)}, {"duration", vi(r.duration())}, {"fileReferenceID", vs(r.FileRefID)},
		{"scriptLogAvailable", vb(false)}, {"details", detailsValue(r.Details, false)}, {"scriptLogLocation", vs(r.ScriptLogLocation)},
		{"scriptLogSize", filter.I(s.scriptLogSize(r))}, {"privileges", vnull}}
}

func (r *ExecResult) duration() int {
	if r.Stop.Equal(Never) || r.Stop.IsZero() {
		return 0
	}
	return int(r.Stop.Sub(r.Start).Milliseconds())
}

func (s *Site) resultFull(r *ExecResult) obj {
	appID := NullGUID
	if r.Task.App != nil {
		appID = r.Task.App.ID
	}
	return obj{{"id", vs(r.ID)}, {"createdDate", vt(r.Start)}, {"modifiedDate", vt(maxTime(r.Start, r.Stop))},
		{"modifiedByUserName", vs("INTERNAL\\sa_scheduler")}, {"taskID", vs(r.Task.ID)}, {"executionID", vs(r.ExecutionID)},
		{"appID", vs(appID)}, {"executingNodeID", vs(s.node.ID)}, {"executingNodeName", vs(r.NodeName)},
		{"status", filter.E(r.Status, enumTaskStatus)}, {"startTime", vt(r.Start)}, {"stopTime", vt(r.Stop)},
		{"duration", vi(r.duration())}, {"fileReferenceID", vs(r.FileRefID)}, {"scriptLogAvailable", vb(false)},
		{"details", detailsValue(r.Details, false)}, {"scriptLogLocation", vs(r.ScriptLogLocation)},
		{"scriptLogSize", filter.I(s.scriptLogSize(r))}, {"privileges", vnull}, {"schemaPath", vs("ExecutionResult")}}
}

func (s *Site) operational(t *Task) filter.Value {
	var last filter.Value
	if t.Last != nil {
		last = vo(s.resultCondensed(t.Last))
	} else {
		last = vo(obj{{"id", vs(NullGUID)}, {"executingNodeName", vs("")}, {"status", filter.E(0, enumTaskStatus)},
			{"startTime", vt(Never)}, {"stopTime", vt(Never)}, {"duration", vi(0)}, {"fileReferenceID", vs(NullGUID)},
			{"scriptLogAvailable", vb(false)}, {"details", va([]filter.Value{})}, {"scriptLogLocation", vs("")},
			{"scriptLogSize", vi(0)}, {"privileges", vnull}})
	}
	return vo(obj{{"id", vs(t.OperationalID)}, {"lastExecutionResult", last}, {"nextExecution", vt(t.NextExecution)}, {"privileges", vnull}})
}

func (s *Site) taskCondensed(t *Task) obj {
	return obj{{"id", vs(t.ID)}, {"operational", s.operational(t)}, {"name", vs(t.Name)}, {"taskType", filter.E(t.TaskType, enumTaskType)},
		{"enabled", vb(t.Enabled)}, {"taskSessionTimeout", vi(t.SessionTimeout)}, {"maxRetries", vi(t.MaxRetries)}, {"privileges", vnull}}
}

func (s *Site) taskFull(t *Task, generic bool) obj {
	o := obj{{"id", vs(t.ID)}, {"createdDate", vt(t.Created)}, {"modifiedDate", vt(t.Modified)}, {"modifiedByUserName", vs(t.ModifiedBy)},
		{"customProperties", va([]filter.Value{})}}
	if t.TaskType == 0 {
		o = append(o, kv{"app", vo(appCondensed(t.App))}, kv{"isManuallyTriggered", vb(false)})
	}
	if t.TaskType == 2 {
		o = append(o, kv{"userDirectory", vo(obj{{"id", vs(hexGUID(t.ID + "ud"))}, {"name", vs(t.UserDirectory)},
			{"userDirectoryName", vs(t.UserDirectory)}, {"privileges", vnull}})})
	}
	o = append(o, kv{"operational", s.operational(t)}, kv{"name", vs(t.Name)}, kv{"taskType", filter.E(t.TaskType, enumTaskType)},
		kv{"enabled", vb(t.Enabled)}, kv{"taskSessionTimeout", vi(t.SessionTimeout)}, kv{"maxRetries", vi(t.MaxRetries)},
		kv{"tags", tagsValue(t.Tags)}, kv{"privileges", vnull})
	schema := "ReloadTask"
	if t.TaskType == 0 {
		o = append(o, kv{"isPartialReload", vb(false)}, kv{"timeToLive", vi(0)}, kv{"preloadNodes", va([]filter.Value{})})
	} else {
		schema = "UserSyncTask"
	}
	if generic {
		schema = "Task"
	}
	return append(o, kv{"schemaPath", vs(schema)})
}

// hexGUID derives a stable GUID from a string.
func hexGUID(seed string) string {
	h := strings.ToLower(hexID(seed) + hexID(seed+"x"))
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

func taskCondensedRef(t *Task) filter.Value {
	if t == nil {
		return vnull
	}
	return vo(obj{{"id", vs(t.ID)}, {"name", vs(t.Name)}, {"taskType", filter.E(t.TaskType, enumTaskType)}, {"enabled", vb(t.Enabled)},
		{"taskSessionTimeout", vi(t.SessionTimeout)}, {"maxRetries", vi(t.MaxRetries)}, {"privileges", vnull}})
}

func schemaTaskRefs(t *Task) []kv {
	rt, us := vnull, vnull
	if t.TaskType == 2 {
		us = taskCondensedRef(t)
	} else {
		rt = taskCondensedRef(t)
	}
	return []kv{{"reloadTask", rt}, {"userSyncTask", us}, {"externalProgramTask", vnull}}
}

func (s *Site) schemaEventObj(e *SchemaEvent, full bool) obj {
	o := obj{{"id", vs(e.ID)}}
	if full {
		o = append(o, kv{"createdDate", vt(e.Created)}, kv{"modifiedDate", vt(e.Modified)}, kv{"modifiedByUserName", vs("INTERNAL\\sa_repository")})
	}
	next := Never
	if e.Enabled && e.Task.Enabled {
		next = e.Task.NextExecution
	}
	o = append(o, kv{"operational", vo(obj{{"id", vs(e.OperationalID)}, {"nextExecution", vt(next)},
		{"timesTriggered", vi(e.TimesTriggered)}, {"privileges", vnull}})}, kv{"name", vs(e.Name)}, kv{"enabled", vb(e.Enabled)},
		kv{"eventType", filter.E(0, enumEventType)})
	if full {
		o = append(o, schemaTaskRefs(e.Task)...)
		o = append(o, kv{"timeZone", vs("UTC")}, kv{"daylightSavingTime", filter.E(0, enumDaylight)}, kv{"startDate", vt(e.StartDate)},
			kv{"expirationDate", vs("9999-01-01T00:00:00.000")}, kv{"schemaFilterDescription", strs([]string{"* * - * * * * *"})},
			kv{"incrementDescription", vs(e.IncrementDescription)}, kv{"incrementOption", filter.E(e.Increment, enumIncrement)},
			kv{"privileges", vnull}, kv{"schemaPath", vs("SchemaEvent")})
	} else {
		o = append(o, kv{"privileges", vnull})
	}
	return o
}

func (s *Site) compositeEventObj(c *CompositeEvent, full bool) obj {
	o := obj{{"id", vs(c.ID)}}
	if full {
		o = append(o, kv{"createdDate", vt(c.Created)}, kv{"modifiedDate", vt(c.Modified)}, kv{"modifiedByUserName", vs("INTERNAL\\sa_repository")})
	}
	o = append(o, kv{"operational", vo(obj{{"id", vs(c.OperationalID)}, {"timesTriggered", vi(len(c.Task.Results))}, {"privileges", vnull}})},
		kv{"name", vs(c.Name)}, kv{"enabled", vb(c.Enabled)}, kv{"eventType", filter.E(1, enumEventType)})
	if full {
		o = append(o, schemaTaskRefs(c.Task)...)
		state := 0
		if c.After.Last != nil {
			state = c.After.Last.Status
		}
		o = append(o, kv{"timeConstraint", vo(obj{{"id", vs(hexGUID(c.ID + "tc"))}, {"days", vi(0)}, {"hours", vi(0)}, {"minutes", vi(360)}, {"seconds", vi(0)}, {"privileges", vnull}})},
			kv{"compositeRules", va([]filter.Value{vo(obj{{"id", vs(hexGUID(c.ID + "rule"))}, {"ruleState", filter.E(1, enumRuleState)},
				{"reloadTask", taskCondensedRef(c.After)}, {"userSyncTask", vnull}, {"externalProgramTask", vnull},
				{"operational", vo(obj{{"id", vs(hexGUID(c.ID + "ro"))}, {"timeStamp", vt(lastStop(c.After))}, {"currentState", filter.E(state, enumTaskStatus)}, {"privileges", vnull}})},
				{"privileges", vnull}})})},
			kv{"privileges", vnull}, kv{"schemaPath", vs("CompositeEvent")})
	} else {
		o = append(o, kv{"privileges", vnull})
	}
	return o
}

func lastStop(t *Task) time.Time {
	if t.Last == nil {
		return Never
	}
	return t.Last.Stop
}

// scriptLogSize is the byte size of a finished run's script log, computed
// once (atomically, as renders run under the read lock).
func (s *Site) scriptLogSize(r *ExecResult) int64 {
	if r.ScriptLogLocation == "" || r.Status == StatusStarted {
		return 0
	}
	if n := r.logSize.Load(); n > 0 {
		return n
	}
	n := int64(len(s.scriptLog(r)))
	r.logSize.Store(n)
	return n
}
