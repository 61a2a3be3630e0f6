package scriptlog

import (
	"regexp"
	"strconv"
	"strings"
)

// Severity ranks a diagnosis for alerting.
type Severity string

// Severities, from harmless to urgent.
const (
	SeverityOK       Severity = "ok"
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityError    Severity = "error"
	SeverityCritical Severity = "critical"
)

// Rule is one entry of the failure catalogue. A rule matches when at least
// one of its Error patterns matches the error text (or it has none) and at
// least one of its Statement patterns matches the failing statement (or it
// has none); rules without any pattern never match by pattern and are used
// for outcomes (ok, truncated, unknown, not-a-log). Rules are tried in order;
// several rules may share a code to give status-specific hints.
type Rule struct {
	// Code is the stable machine-readable identifier, e.g. "rest-auth".
	Code string `json:"code"`
	// Title is a one-line human summary.
	Title string `json:"title"`
	// Severity ranks the failure.
	Severity Severity `json:"severity"`
	// Error holds regular expressions (RE2) matched against the error text.
	Error []string `json:"error,omitempty"`
	// Statement holds regular expressions matched against the failing statement.
	Statement []string `json:"statement,omitempty"`
	// Hint is what to do. Placeholders {connection}, {file}, {field}, {table}
	// and {status} are filled from the diagnosis.
	Hint string `json:"hint"`
	// Unverified is true when the exact engine wording is not documented
	// (marked [U] in the reference): the patterns then accept several
	// plausible phrasings, case-insensitively.
	Unverified bool `json:"unverified,omitempty"`
	// Source names the reference row the rule comes from.
	Source string `json:"source,omitempty"`
}

const restAllHint = "update the user name and password on ALL monitor_apps_REST_* connections in the QMC " +
	"(Data connections; qs-cli-pwd_change.ps1 does it in bulk), or switch them to certificate or JWT " +
	"authentication (Qlik support article 000104165, required when the virtual proxy uses Kerberos). " +
	"\"Connected.\" after LIB CONNECT TO does not prove the credentials work: the HTTP call happens at the SELECT."

// catalogue is the failure catalogue, in matching order. The order matters:
// specific transport and HTTP texts are tried before the generic abort,
// timeout and connect rules (e.g. "The request was aborted: Could not create
// SSL/TLS secure channel" is rest-connect, not aborted).
var catalogue = []Rule{
	{
		Code: "connection-missing", Title: "Data connection not found", Severity: SeverityError,
		Error: []string{
			`(?i)connection\s+'[^']*'\s+(was\s+)?not\s+found`,
			`(?i)connection\s+"[^"]*"\s+(was\s+)?not\s+found`,
			`(?i)connector\s+('[^']*'\s+)?(was\s+)?not\s+found`,
			`(?i)(data\s+)?connection\s+(\S+\s+)?(does\s+not|doesn't)\s+exist`,
			`(?i)(unknown|invalid)\s+data\s+connection`,
			`(?i)connection\s+not\s+found`,
		},
		Hint: "The data connection '{connection}' does not exist or this user cannot read it. Create or update it " +
			"in the QMC (Data connections); License Monitor 7.18 needs monitor_apps_REST_user_condensed, " +
			"_license, _license_analyzer, _license_professional and _license_overview. Re-importing the app " +
			"recreates the shipped connections; the reload user needs Read on them.",
		Unverified: true, Source: "license-monitor-app.md §3 #13",
	},
	{
		Code: "rest-auth", Title: "REST connection refused: 401 Unauthorized", Severity: SeverityCritical,
		Error: []string{
			`(?i)HTTP\s+protocol\s+error\s+401\b`,
			`(?i)\(401\)\s*Unauthorized`,
			`(?i)status\s+code\b[^\n\d]{0,40}401\b`,
			`(?i)Requested\s+resource\s+requires\s+authentication`,
		},
		Hint: "HTTP 401 from the REST connection '{connection}': the proxy refused the stored credentials " +
			"(wrong or expired password, or the virtual proxy no longer accepts Windows/NTLM). Fix: " + restAllHint,
		Source: "license-monitor-app.md §0.3, §3 #1-2",
	},
	{
		Code: "rest-auth", Title: "REST connection forbidden: 403", Severity: SeverityError,
		Error: []string{
			`(?i)HTTP\s+protocol\s+error\s+403\b`,
			`(?i)\(403\)\s*Forbidden`,
			`(?i)status\s+code\b[^\n\d]{0,40}403\b`,
		},
		Hint: "HTTP 403 from the REST connection '{connection}': the user stored in the monitor_apps_REST_* " +
			"connections authenticated but lacks rights on the QRS. Give it the RootAdmin role or security " +
			"rules that allow Read on the license and user resources, then reload again.",
		Unverified: true, Source: "license-monitor-app.md §3 #23",
	},
	{
		Code: "rest-http", Title: "REST endpoint not found: 404", Severity: SeverityError,
		Error: []string{
			`(?i)HTTP\s+protocol\s+error\s+404\b`,
			`(?i)\(404\)\s*Not\s*Found`,
			`(?i)status\s+code\b[^\n\d]{0,40}404\b`,
		},
		Hint: "HTTP 404 from the REST connection '{connection}': the URL no longer exists. Usually the default " +
			"virtual proxy got a prefix or the URL/port changed: match the connection URL (https://localhost/qrs/…) " +
			"to the virtual proxy prefix in the QMC, or point it at https://<FQDN>:4242/qrs/… with a certificate.",
		Unverified: true, Source: "license-monitor-app.md §3 #23",
	},
	{
		Code: "rest-http", Title: "Proxy or Repository unavailable (HTTP 5xx)", Severity: SeverityError,
		Error: []string{
			`(?i)HTTP\s+protocol\s+error\s+50[0234]\b`,
			`(?i)\(50[0234]\)\s*(Bad\s*Gateway|Server\s*Unavailable|Service\s*Unavailable|Gateway\s*Time-?out|Internal\s*Server\s*Error)`,
			`(?i)status\s+code\b[^\n\d]{0,40}50[0234]\b`,
		},
		Hint: "HTTP {status} from the REST connection '{connection}': the Qlik Sense Proxy or Repository (QRS) " +
			"service was down or unhealthy. Check that both services run, the Repository System log (Web exception, " +
			"database connection), then reload again.",
		Unverified: true, Source: "license-monitor-app.md §3 #19, #23",
	},
	{
		Code: "rest-http", Title: "REST connector HTTP error", Severity: SeverityError,
		Error: []string{
			`(?i)HTTP\s+protocol\s+error\s+\d{3}`,
			`(?i)status\s+code\b[^\n\d]{0,40}[45]\d\d\b`,
			`(?i)the\s+remote\s+server\s+returned\s+an\s+error:\s*\(\d{3}\)`,
		},
		Hint: "HTTP {status} from the REST connection '{connection}': check the connection URL, the virtual proxy " +
			"and the QRS.",
		Unverified: true, Source: "license-monitor-app.md §3 #23",
	},
	{
		Code: "aborted", Title: "Reload aborted", Severity: SeverityWarning,
		Error: []string{
			`(?i)\b(execution|reload|script|task)\b[^\n]{0,40}\babort(ed|ing)?\b`,
			`(?i)\babort(ed)?\s+by\s+(the\s+)?(user|system|scheduler)`,
			`(?i)^\s*abort(ed)?\s*\.?\s*$`,
		},
		Hint: "The reload was stopped before it finished: by a user in the QMC or hub, or by the scheduler when the " +
			"task session timeout (default 1440 min) or the queue timeout was reached. If it ran long, archive or " +
			"clean old logs under ArchivedLogsFolder or raise the task timeout.",
		Unverified: true, Source: "license-monitor-app.md §3 #17-18",
	},
	{
		Code: "out-of-memory", Title: "Engine ran out of memory", Severity: SeverityCritical,
		Error: []string{
			`(?i)out\s+of\s+(virtual\s+and/or\s+logical\s+)?memory`,
			`(?i)engine\s+stopped\s+with\s+exit\s+code`,
			`(?i)(insufficient|not\s+enough)\s+memory`,
			`(?i)memory\s+(allocation\s+)?(failed|exceeded|limit\s+reached)`,
			`(?i)\bbad_alloc\b`,
		},
		Hint: "The engine could not allocate memory during the reload. Check the node's free RAM and the engine " +
			"working-set limits (QMC > Engines > Advanced), run fewer reloads at the same time, and reduce the " +
			"amount of log history loaded.",
		Unverified: true, Source: "license-monitor-app.md §3 #24",
	},
	{
		Code: "timeout", Title: "Connector timeout", Severity: SeverityWarning,
		Error: []string{
			`(?i)the\s+operation\s+has\s+timed\s*out`,
			`(?i)\btimed\s*out\b`,
			`(?i)\btime-?out\b`,
		},
		Hint: "The connection '{connection}' did not answer in time. The QRS may be slow or overloaded (large " +
			"license or user tables), or the proxy is hanging. Check the QRS and proxy health, and raise timeout= in " +
			"the connection string (default 900 s) if the requests are just slow.",
		Unverified: true, Source: "license-monitor-app.md §2.3 (timeout=900)",
	},
	{
		Code: "rest-connect", Title: "Could not connect to the REST endpoint", Severity: SeverityError,
		Error: []string{
			`QVX_UNEXPECTED_END_OF_DATA`,
			`(?i)QVX_[A-Z_]*(ERROR|FAILED)`,
			`(?i)(SSL|TLS)[^\n]{0,20}secure\s+channel`,
			`(?i)secure\s+channel`,
			`(?i)unable\s+to\s+connect\s+to\s+the\s+remote\s+server`,
			`(?i)(actively\s+refused|connection\s+refused)`,
			`(?i)(remote\s+name\s+could\s+not\s+be\s+resolved|no\s+such\s+host|name\s+resolution|could\s+not\s+resolve\s+host)`,
			`(?i)underlying\s+connection\s+was\s+closed`,
			`(?i)(certificate|trust\s+relationship)[^\n]{0,60}(invalid|failed|not\s+found|could\s+not|untrusted)`,
			`(?i)failed\s+to\s+connect`,
		},
		Hint: "The REST connection '{connection}' could not reach its URL (transport, TLS or DNS failure). Check " +
			"that the Proxy (443) or QRS (4242) answers on the URL in the connection, the certificates after a " +
			"hostname change or certificate regeneration (rerun fix_monitor_apps.ps1 for the new FQDN), and DNS.",
		Unverified: true, Source: "license-monitor-app.md §3 #20, #22",
	},
	{
		Code: "file-not-found", Title: "Log file or folder not found", Severity: SeverityError,
		Error: []string{
			`(?i)cannot\s+open\s+file`,
			`(?i)(cannot|could\s+not)\s+find\s+(the\s+)?(file|path|a\s+part\s+of\s+the\s+path)`,
			`(?i)system\s+cannot\s+find\s+the\s+(file|path)`,
			`(?i)path\s+not\s+found`,
		},
		Hint: "The script could not open '{file}'. Check the ArchivedLogsFolder and ServerLogFolder data " +
			"connection paths against the service cluster's Archived logs root folder (QMC > Service cluster), " +
			"that the reload service account can read the share, and that audit logging is on. On a fresh install " +
			"nothing is archived for up to 12 hours: wait, or guard the load with SET ErrorMode=0.",
		Source: "license-monitor-app.md §3 #7-8",
	},
	{
		Code: "field-not-found", Title: "Field missing after log-level change", Severity: SeverityError,
		Error: []string{
			`(?i)field\s+'?(CacheBytesAdded|CacheHit|CacheObjectAdded|CacheBytesTotal)'?\s+not\s+found`,
		},
		Hint: "Field '{field}' not found: the engine performance log level was lowered (Engine > Logging > " +
			"Performance = Warning instead of Info), so the expected columns are missing. Restore the default " +
			"log levels in the QMC and reload again.",
		Source: "license-monitor-app.md §3 #10",
	},
	{
		Code: "field-not-found", Title: "Field not found (log schema changed)", Severity: SeverityError,
		Error: []string{
			`(?i)field\s+'[^']*'\s+not\s+found`,
			`(?i)field\s+not\s+found\s*-\s*<[^>]*>`,
			`(?i)field\s+"[^"]*"\s+not\s+found`,
		},
		Hint: "Field '{field}' not found: the log schema changed after an upgrade (or old and new log files are " +
			"mixed), or a log level was lowered. Use the monitoring app version shipped with this Qlik Sense " +
			"release, update the monitor_apps_REST_* connections it lists, and restore default log levels.",
		Source: "license-monitor-app.md §3 #9-10",
	},
	{
		Code: "table-not-found", Title: "Table not found (no archived logs yet)", Severity: SeverityError,
		Error: []string{
			`(?i)table\s+'[^']*'\s+not\s+found`,
			`(?i)table\s+not\s+found`,
		},
		Hint: "Table '{table}' not found: a log-file list came back empty, typically on a fresh installation or " +
			"when archived logs are missing (no Service_* files under ArchivedLogs\\<node>\\…\\System yet). Wait " +
			"until every node has run for 12 hours (archiving happens on service restart, at 8 MB or after 12 h), " +
			"then check the ArchivedLogsFolder path.",
		Source: "license-monitor-app.md §3 #11",
	},
	{
		Code: "syntax-error", Title: "Script syntax error", Severity: SeverityError,
		Error: []string{
			`(?i)unexpected\s+token`,
			`(?i)syntax\s+error`,
			`(?i)script\s+line\s+error`,
			`(?i)unknown\s+statement`,
			`(?i)garbage\s+after\s+statement`,
		},
		Hint: "The script does not parse at script line {line}. If the app is a shipped monitoring app, it was " +
			"edited or does not match this Qlik Sense release: re-import the app version shipped with the release.",
		Unverified: true, Source: "brief (syntax errors)",
	},
	{
		Code: "connection-missing", Title: "LIB CONNECT TO failed", Severity: SeverityError,
		Statement: []string{`(?i)^\s*LIB\s+CONNECT\s+TO\b`},
		Hint: "The reload failed at LIB CONNECT TO '{connection}': the data connection is missing, renamed, or " +
			"not readable by the reload user. Create or fix it in the QMC (Data connections) or re-import the app to " +
			"recreate the shipped monitor_apps_REST_* connections.",
		Source: "license-monitor-app.md §3 #13",
	},
	{
		Code: "unknown", Title: "Unrecognised script error", Severity: SeverityError,
		Hint: "The reload failed with an error this catalogue does not know. Read the error and the failing " +
			"statement at script line {line}.",
	},
	{
		Code: "truncated", Title: "Script log ends before the reload finished", Severity: SeverityWarning,
		Hint: "The log has neither \"Execution finished.\" nor \"Execution Failed\": the reload is still running, " +
			"the engine stopped (check the Engine System log for 'Engine stopped with exit code'), or the log was " +
			"cut (disk full, partial download).",
	},
	{
		Code: "not-a-log", Title: "No script-log lines found", Severity: SeverityWarning,
		Hint: "No line starts with a script-log timestamp (YYYY-MM-DD hh:mm:ss or YYYYMMDDThhmmss.fff±hhmm). " +
			"Pass a reload script log (…\\Log\\Script\\*.log or the QMC \"Download script log\" file).",
	},
	{
		Code: "ok", Title: "Reload finished successfully", Severity: SeverityOK,
	},
}

type compiledRule struct {
	Rule
	err, stmt []*regexp.Regexp
}

var compiled = func() []compiledRule {
	out := make([]compiledRule, len(catalogue))
	for i, r := range catalogue {
		out[i].Rule = r
		for _, p := range r.Error {
			out[i].err = append(out[i].err, regexp.MustCompile(p))
		}
		for _, p := range r.Statement {
			out[i].stmt = append(out[i].stmt, regexp.MustCompile(p))
		}
	}
	return out
}()

// Catalogue returns a copy of the failure catalogue in matching order, for
// documentation (README table) and for consumers that list codes.
func Catalogue() []Rule {
	out := make([]Rule, len(catalogue))
	for i, r := range catalogue {
		r.Error = append([]string(nil), r.Error...)
		r.Statement = append([]string(nil), r.Statement...)
		out[i] = r
	}
	return out
}

func ruleByCode(code string) *compiledRule {
	for i := range compiled {
		if compiled[i].Code == code {
			return &compiled[i]
		}
	}
	panic("scriptlog: catalogue has no rule " + code)
}

// classify returns the first rule that matches the error text and statement.
func classify(errText, stmt string) *compiledRule {
	for i := range compiled {
		r := &compiled[i]
		if len(r.err) == 0 && len(r.stmt) == 0 {
			continue
		}
		if len(r.err) > 0 && !anyMatch(r.err, errText) {
			continue
		}
		if len(r.stmt) > 0 && !anyMatch(r.stmt, stmt) {
			continue
		}
		return r
	}
	return ruleByCode("unknown")
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	if s == "" {
		return false
	}
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

var (
	reHTTPStatus = []*regexp.Regexp{
		regexp.MustCompile(`(?i)HTTP\s+protocol\s+error\s+(\d{3})\b`),
		regexp.MustCompile(`(?i)status\s+code\b[^\n\d]{0,40}(\d{3})\b`),
		regexp.MustCompile(`\(([1-5]\d\d)\)\s*[A-Z]`),
	}
	reFile       = regexp.MustCompile(`(?i)(?:cannot\s+open\s+file|find\s+(?:the\s+)?(?:file|path))[:\s]*'([^']*)'`)
	reNativePath = regexp.MustCompile(`(?i)\(Native\s+Path:\s*([^)]*)\)`)
	reField      = regexp.MustCompile(`(?i)field\s+(?:'([^']*)'|"([^"]*)"|not\s+found\s*-\s*<([^>]*)>)`)
	reTable      = regexp.MustCompile(`(?i)table\s+'([^']*)'`)
)

func httpStatus(errText string) int {
	for _, re := range reHTTPStatus {
		if m := re.FindStringSubmatch(errText); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

func firstGroup(re *regexp.Regexp, s string) string {
	m := re.FindStringSubmatch(s)
	for _, g := range m[min(1, len(m)):] {
		if g != "" {
			return g
		}
	}
	return ""
}

// fileOf returns the path named by a file error: the native path when the
// engine gives one (it shows the real share), else the lib:// path.
func fileOf(errText string) string {
	if p := strings.TrimSpace(firstGroup(reNativePath, errText)); p != "" {
		return p
	}
	return firstGroup(reFile, errText)
}

func fillHint(h string, d *Diagnosis) string {
	if h == "" {
		return ""
	}
	conn := d.Connection.Name
	if conn == "" {
		conn = "(unknown)"
	}
	file := d.File
	if file == "" {
		file = "(unknown)"
	}
	status := "(none)"
	if d.HTTPStatus != 0 {
		status = strconv.Itoa(d.HTTPStatus)
	}
	line := "(unknown)"
	if d.Statement.ScriptLine != 0 {
		line = strconv.Itoa(d.Statement.ScriptLine)
	}
	field := firstGroup(reField, d.Error)
	table := firstGroup(reTable, d.Error)
	return strings.NewReplacer("{connection}", conn, "{file}", file, "{status}", status, "{line}", line,
		"{field}", orUnknown(field), "{table}", orUnknown(table)).Replace(h)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
