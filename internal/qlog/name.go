package qlog

import (
	"regexp"
	"strings"
	"time"
)

// Kind is what a service-log file holds, as far as licmon reads it.
type Kind int

// Kinds of files. KindOther files are valid service logs licmon has no use
// for (performance counters, traces); they are recognised and skipped.
const (
	KindOther             Kind = iota
	KindProxyActivity          // Proxy\Audit\<host>_AuditActivity_Proxy: Start/Stop session
	KindSecurity               // <Service>\Audit\<host>_AuditSecurity_<Service>: license checks, denials
	KindEngineSession          // Engine\Trace\<host>_Session_Engine: one row per ended engine session
	KindSchedulerActivity      // Scheduler\Audit\<host>_AuditActivity_Scheduler: task state changes
	KindSchedulerSystem        // Scheduler\Trace\<host>_System_Scheduler: execution state changes
	KindLicenseTrace           // Repository\Trace\<host>_License_Repository (content not published)
)

// String names the kind for warnings and summaries.
func (k Kind) String() string {
	switch k {
	case KindProxyActivity:
		return "proxy activity"
	case KindSecurity:
		return "security audit"
	case KindEngineSession:
		return "engine sessions"
	case KindSchedulerActivity:
		return "scheduler activity"
	case KindSchedulerSystem:
		return "scheduler system"
	case KindLicenseTrace:
		return "license trace"
	}
	return "other"
}

// FileName is what a service-log file name says:
// <host>_<LogType>_<Service>[_<YYYY-MM-DDTHH.mm.ss>Z].(txt|log).
type FileName struct {
	Host, LogType, Service string
	// Closed is when a rolled file was closed (UTC); zero for an active .txt.
	Closed time.Time
	// Rolled is true for the .log copy of a rolled file.
	Rolled bool
	Kind   Kind
}

var fileNameRE = regexp.MustCompile(`^(.+?)_([A-Za-z]+)_([A-Za-z]+)(?:_(\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2})Z)?\.(txt|log)$`)

// ParseFileName parses the base name of a service-log file. ok is false for
// a name that does not follow the pattern (script logs, node.js service
// logs, anything else).
func ParseFileName(base string) (FileName, bool) {
	m := fileNameRE.FindStringSubmatch(base)
	if m == nil {
		return FileName{}, false
	}
	f := FileName{Host: m[1], LogType: m[2], Service: m[3], Rolled: strings.EqualFold(m[5], "log")}
	if m[4] != "" {
		if t, err := time.Parse("2006-01-02T15.04.05", m[4]); err == nil {
			f.Closed = t
		}
	}
	f.Kind = kindOf(f.LogType, f.Service)
	return f, true
}

func kindOf(logType, service string) Kind {
	lt, svc := strings.ToLower(logType), strings.ToLower(service)
	switch {
	case lt == "auditactivity" && svc == "proxy":
		return KindProxyActivity
	case lt == "auditsecurity":
		return KindSecurity
	case lt == "session" && svc == "engine":
		return KindEngineSession
	case lt == "auditactivity" && svc == "scheduler":
		return KindSchedulerActivity
	case lt == "system" && svc == "scheduler":
		return KindSchedulerSystem
	case lt == "license" && svc == "repository":
		return KindLicenseTrace
	}
	return KindOther
}

// scriptLogRE matches a reload script log name: <AppId>.<YYYY_MM_DD_hh_mm_ss>.<hex>.log
// (the 3-part form seen on real files). Later versions may differ [U], so
// the hex part is optional and the time may be in the service-log form
// (20240305T091512.317+0000).
var scriptLogRE = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.(\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}|\d{8}T\d{6}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)(?:\.[0-9A-Fa-f]+)?\.log$`)

// ScriptLogName is what a reload script log's file name says.
type ScriptLogName struct {
	AppID string
	// Started is the time in the name, read as UTC (the reference finds it
	// is probably UTC; the log's own lines are local time).
	Started time.Time
}

// ParseScriptLogName parses a script-log base name.
func ParseScriptLogName(base string) (ScriptLogName, bool) {
	m := scriptLogRE.FindStringSubmatch(base)
	if m == nil {
		return ScriptLogName{}, false
	}
	t, err := time.Parse("2006_01_02_15_04_05", m[2])
	if err != nil {
		// Later versions may name the log by the service-log timestamp form.
		var ok bool
		if t, ok = ParseTime(m[2]); !ok {
			return ScriptLogName{}, false
		}
	}
	return ScriptLogName{AppID: strings.ToLower(m[1]), Started: t}, true
}
