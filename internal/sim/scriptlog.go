package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// siteZone is the local zone of the simulated server (script logs use local
// time with the offset).
var siteZone = time.FixedZone("CET", 3600)

// logWriter writes script log lines in the engine's format.
type logWriter struct {
	b      []byte
	t      time.Time
	old    bool
	indent string
	r      *rand.Rand
}

func (w *logWriter) ts() {
	w.t = w.t.Add(time.Duration(w.r.IntN(40)) * time.Millisecond)
	lt := w.t.In(siteZone)
	w.b = append(w.b, w.indent...)
	if w.old {
		w.b = lt.AppendFormat(w.b, "2006-01-02 15:04:05")
		return
	}
	w.b = lt.AppendFormat(w.b, "20060102T150405.000-0700")
}

// stmt writes a statement line with its 4-digit script line number.
func (w *logWriter) stmt(line int, text string) {
	w.ts()
	w.b = append(w.b, ' ', byte('0'+line/1000%10), byte('0'+line/100%10), byte('0'+line/10%10), byte('0'+line%10), ' ')
	w.b = append(w.b, text...)
	w.b = append(w.b, '\r', '\n')
}

// msg writes an engine message line (6 spaces instead of the line number).
func (w *logWriter) msg(text string) {
	w.ts()
	w.b = append(w.b, "      "...)
	w.b = append(w.b, text...)
	w.b = append(w.b, '\r', '\n')
}

func (w *logWriter) wait(d time.Duration) { w.t = w.t.Add(d) }

type restLoad struct {
	conn   string
	fields []string
	rows   func(c logCounts) int
}

var lmRestLoads = []restLoad{
	{"monitor_apps_REST_license_user", []string{"id", "lastUsed", "quarantined", "quarantineEnd", "user_id", "user_userId", "user_userDirectory", "__KEY_root"}, func(c logCounts) int { return c.UserAccess }},
	{"monitor_apps_REST_license_professional", []string{"id", "lastUsed", "excess", "quarantined", "quarantineEnd", "user_id", "user_userId", "user_userDirectory", "__KEY_root"}, func(c logCounts) int { return c.Professional }},
	{"monitor_apps_REST_license_analyzer", []string{"id", "lastUsed", "excess", "quarantined", "quarantineEnd", "user_id", "user_userId", "user_userDirectory", "__KEY_root"}, func(c logCounts) int { return c.Analyzer }},
	{"monitor_apps_REST_license_login", []string{"id", "name", "usedAccessTypes", "remainingAccessTypes", "assignedTokens", "__KEY_root"}, func(c logCounts) int { return c.Login }},
	{"monitor_apps_REST_license_overview", []string{"totalTokens", "availableTokens", "tokensEnabled", "professional_total", "professional_allocated", "analyzer_total", "analyzer_allocated", "__KEY_root"}, func(c logCounts) int { return 1 }},
	{"monitor_apps_REST_license", []string{"id", "serial", "keyDetails", "isExpired", "__KEY_root"}, func(c logCounts) int { return 1 }},
	{"monitor_apps_REST_user", []string{"id", "userId", "userDirectory", "name", "inactive", "removedExternally", "blacklisted", "__KEY_root"}, func(c logCounts) int { return c.Users }},
	{"monitor_apps_REST_app", []string{"id", "name", "publishTime", "published", "lastReloadTime", "stream_name", "owner_userId", "__KEY_root"}, func(c logCounts) int { return c.Apps }},
	{"monitor_apps_REST_task", []string{"id", "name", "taskType", "enabled", "app_id", "__KEY_root"}, func(c logCounts) int { return c.Tasks }},
}

// failure texts per kind, as the REST connector and engine print them
// (license-monitor-app.md §3).
var restErrors = map[string][]string{
	FailRest401:     {"HTTP protocol error 401 (Unauthorized):", "", "Requested resource requires authentication."},
	FailRest403:     {"HTTP protocol error 403 (Forbidden):", "", "The server refused to fulfill the request."},
	FailRest404:     {"HTTP protocol error 404 (Not Found):", "", "The requested resource does not exist on the server."},
	FailRest502:     {"HTTP protocol error 502 (Bad Gateway):", "", "The proxy server received an invalid response from an upstream server."},
	FailRestConnect: {"QVX_UNEXPECTED_END_OF_DATA: Failed to connect to server: The request was aborted: Could not create SSL/TLS secure channel."},
	FailTimeout:     {"QVX_UNEXPECTED_END_OF_DATA: The operation has timed out."},
}

// scriptLog returns the script log of an execution: the scenario's file if
// one was given, else the generated log. Bytes: UTF-8 with BOM, CRLF.
func (s *Site) scriptLog(res *ExecResult) []byte {
	if res.logPath != "" {
		if b, err := os.ReadFile(res.logPath); err == nil {
			return b
		}
	}
	h := fnv.New64a()
	h.Write([]byte(res.ID))
	w := &logWriter{t: res.Start.Add(2 * time.Second), old: res.oldFormat, r: rand.New(rand.NewPCG(h.Sum64(), 3)), b: make([]byte, 0, 8192)}
	w.b = append(w.b, "\uFEFF"...)
	version := "14.254.6"
	if res.oldFormat {
		version = "12.44.1"
	}
	exec := "UserDirectory=INTERNAL; UserId=sa_scheduler"
	header := [][2]string{
		{"Execution started.", ""}, {"Qlik Sense Server Version", version}, {"CPU Target", "x64"},
		{"Operating System", "Windows Server 2019 Standard  (64 bit edition)"}, {"Wow64 mode", "Not using Wow64"},
		{"Language", "0409 English (United States) English"}, {"Country", "1 United States United States"},
		{"MDAC Version", "10.0.17763.1"}, {"MDAC Full Install Version", "10.0.17763.1"}, {"PreferredCompression", "2"},
		{"EnableParallelReload", "1"}, {"ParallelizeQvdLoads", "1"}, {"EnableFlushLog", "0"}, {"UserLogfileCharset", "65001"},
		{"OdbcLoginTimeout", "-1"}, {"OdbcConnectionTimeout", "-1"}, {"LongestPossibleLine", "1048576"},
		{"ScriptWantsDbWrite", "false"}, {"ScriptWantsExe", "false"}, {"LogFile CodePage Used:", "65001"},
		{"UseMemoryFillPattern", "1"}, {"ScriptMode", "Standard (limits system access)"}, {"SequentialThreadCount", "7"},
		{"NumberOfCores (effective)", "8"}, {"ReloadCodebase", "Classic"}, {"Reload Executed By", exec},
		{"Process Executing", "Qlik Sense Server"}, {"Process ID", fmt.Sprint(2000 + w.r.IntN(9000))},
	}
	for _, h := range header {
		if h[1] == "" {
			w.msg(h[0])
			continue
		}
		w.msg(fmt.Sprintf("%-30s%s", h[0], h[1]))
	}
	for i, set := range []string{"SET ThousandSep=','", "SET DecimalSep='.'", "SET MoneyThousandSep=','", "SET MoneyDecimalSep='.'",
		"SET MoneyFormat='$#,##0.00;-$#,##0.00'", "SET TimeFormat='h:mm:ss TT'", "SET DateFormat='M/D/YYYY'",
		"SET TimestampFormat='M/D/YYYY h:mm:ss[.fff] TT'", "SET FirstWeekDay=6", "SET BrokenWeeks=1", "SET ReferenceDay=0",
		"SET FirstMonthOfYear=1", "SET CollationLocale='en-US'"} {
		w.stmt(i+2, set)
	}
	t := res.Task
	if t.App == nil || (t.App.Name != "License Monitor" && t.App.Name != "Operations Monitor") {
		return s.genericLog(w, res)
	}
	isLM := t.App.Name == "License Monitor"
	w.stmt(20, "SET ErrorMode=1;")
	w.stmt(22, "LET vAppVersion = '7.18.0';")
	w.stmt(24, "TRACE Reloading "+t.App.Name+" $(vAppVersion);")
	w.stmt(24, "Reloading "+t.App.Name+" 7.18.0")
	failAt := ""
	switch res.failure {
	case FailRest401, FailRest403, FailRest404, FailRest502, FailRestConnect:
		failAt = "monitor_apps_REST_license_user"
	case FailTimeout:
		failAt = "monitor_apps_REST_license_professional"
	case FailConnMissing:
		failAt = "monitor_apps_REST_license_overview"
	}
	loads := lmRestLoads
	if !isLM {
		loads = []restLoad{lmRestLoads[6], lmRestLoads[7], lmRestLoads[8]}
	}
	line := 697
	w.indent = "  "
	for li, l := range loads {
		w.stmt(line, "LIB CONNECT TO '"+l.conn+"'")
		if res.failure == FailConnMissing && l.conn == failAt {
			w.msg("Error: Connection '" + l.conn + "' not found")
			return w.fail(res)
		}
		w.wait(300 * time.Millisecond)
		w.msg("Connected.")
		w.stmt(line+1, "trace connect to "+l.conn)
		w.stmt(line+1, "connect to "+l.conn)
		w.stmt(line+8, "RestConnectorMasterTable:")
		w.stmt(line+9, "SQL SELECT ")
		for fi, f := range l.fields {
			sep := ","
			if fi == len(l.fields)-1 {
				sep = ""
			}
			w.stmt(line+10+fi, "\t\""+f+"\""+sep)
		}
		w.stmt(line+10+len(l.fields), "FROM JSON (wrap on) \"root\" PK \"__KEY_root\";")
		if l.conn == failAt {
			if res.failure == FailTimeout {
				w.wait(900 * time.Second)
			}
			lines := restErrors[res.failure]
			for _, m := range lines {
				w.msg(m)
			}
			w.msg("Error: " + lines[0])
			for _, m := range lines[1:] {
				w.msg(m)
			}
			return w.fail(res)
		}
		n := l.rows(res.counts)
		w.wait(time.Duration(50+n/20) * time.Millisecond)
		w.msg(fmt.Sprintf("\t%d fields found: %s, ", len(l.fields), strings.Join(l.fields, ", ")))
		w.msg(fmt.Sprintf("%d lines fetched", n))
		line += 40 + li
	}
	w.indent = ""
	archived := fmt.Sprintf(`lib://ArchivedLogsFolder\%s\Repository\System\`, s.opts.Hostname)
	w.stmt(1102, "FOR each node in 'ServerLogFolder','ArchivedLogsFolder'")
	w.stmt(1104, "FileListTemp:")
	w.stmt(1105, "LOAD FileName() as LogFile, FileTime() as LogTime")
	w.stmt(1106, "FROM ["+archived+"*.log]")
	w.stmt(1107, "(txt, utf8, embedded labels, delimiter is '\\t', msq)")
	if res.failure == FailFileNotFound {
		host := strings.SplitN(s.opts.Hostname, ".", 2)[0]
		w.msg(fmt.Sprintf(`Error: Cannot open file: '%s' (Native Path: \\%s\QlikShare\ArchivedLogs\%s\Repository\System\).`, archived, host, s.opts.Hostname))
		return w.fail(res)
	}
	w.msg("\t2 fields found: LogFile, LogTime, ")
	w.msg(fmt.Sprintf("%d lines fetched", 20+w.r.IntN(200)))
	if res.failure == FailTableNotFound {
		w.stmt(1112, "LOAD LogFile RESIDENT FileListTemp WHERE LogTime >= $(vLastReload)")
		w.msg("Error: Table 'FileListTemp' not found")
		return w.fail(res)
	}
	w.stmt(1120, "AuditSecurity:")
	w.stmt(1121, "LOAD Timestamp, Hostname, Description, UserDirectory, UserId, SessionId, Command, Result")
	w.stmt(1122, "FROM [lib://ServerLogFolder/Repository\\Audit\\*Security*.txt]")
	w.stmt(1123, "(txt, utf8, embedded labels, delimiter is '\\t', msq) WHERE isnum(Sequence#)")
	switch res.failure {
	case FailFieldNotFound:
		w.msg("Error: Field 'SessionId' not found")
		return w.fail(res)
	case FailSyntax:
		w.stmt(1130, "LET vDays = Floor(Today() - $(vLastReload)), );")
		w.msg("Error: Unexpected token: ')', expected one of: '(', 'ZTWF', 'OPERATOR_PLUS', 'OPERATOR_MINUS', 'not', 'bitnot', 'LITERAL_NUMBER', ...")
		return w.fail(res)
	case FailOutOfMemory:
		w.wait(40 * time.Second)
		w.msg("Error: Out of memory")
		return w.fail(res)
	}
	n := 1000 + w.r.IntN(100000)
	w.wait(time.Duration(n/50) * time.Millisecond)
	w.msg("\t8 fields found: Timestamp, Hostname, Description, UserDirectory, UserId, SessionId, Command, Result, ")
	w.msg(fmt.Sprintf("%d lines fetched", n))
	if res.failure == FailAborted {
		w.stmt(1140, "Concatenate(AuditSecurity)")
		w.stmt(1141, "LOAD * FROM [lib://ArchivedLogsFolder/*/Repository/Audit/*Security*.log]")
		return w.b // the engine was stopped: the log just ends
	}
	w.msg("Creating search index")
	for _, f := range []string{"LogFile", "Hostname", "UserId", "UserDirectory", "Command"} {
		w.msg("Indexing field: " + f)
	}
	w.msg("Search index creation completed successfully")
	w.msg("Execution finished.")
	return w.b
}

// fail writes the failure tail.
func (w *logWriter) fail(res *ExecResult) []byte {
	w.indent = ""
	w.msg("Execution Failed")
	if res.oldFormat {
		w.msg("Execution finished.")
	}
	return w.b
}

func (s *Site) genericLog(w *logWriter, res *ExecResult) []byte {
	w.stmt(20, "LIB CONNECT TO 'ServerLogFolder';")
	w.msg("Connected.")
	w.stmt(22, "Sales:")
	w.stmt(23, "LOAD OrderID, CustomerID, OrderDate, Amount")
	w.stmt(24, "FROM [lib://DataFiles/Sales.qvd] (qvd);")
	if res.failure != "" {
		w.msg("Error: Field 'SessionId' not found")
		return w.fail(res)
	}
	w.msg("\t4 fields found: OrderID, CustomerID, OrderDate, Amount, ")
	w.msg(fmt.Sprintf("%d lines fetched", 1000+w.r.IntN(90000)))
	w.msg("Creating search index")
	w.msg("Search index creation completed successfully")
	w.msg("Execution finished.")
	return w.b
}
