// Package scriptlog reads Qlik Sense reload script logs (the files under
// %ProgramData%\Qlik\Sense\Log\Script\ or "Download script log" in the QMC) as a
// stream and diagnoses why a reload failed.
//
// It is pure logic: it reads an io.Reader and knows nothing of HTTP, storage or
// the terminal, so `licmon check`, `licmon diagnose`, alerts and offline import
// can all share it.
//
// # Line grammar
//
// Every physical line is one of
//
//	[indent]TIMESTAMP NNNN text      statement line (script line number, 4+ digits)
//	[indent]TIMESTAMP      text      message line (6 spaces instead of " NNNN ")
//	anything else                    garbage (counted and tolerated)
//
// where TIMESTAMP is either the old "YYYY-MM-DD hh:mm:ss" (local time, no zone)
// or the new "YYYYMMDDThhmmss.fff±hhmm" (local time with a UTC offset). The
// indent is 2 spaces per level of CALLed SUB. A statement line that repeats the
// script line number of the TRACE statement just before it is the TRACE echo
// (KindTrace). Input may be UTF-8 with or without BOM, or UTF-16 (LE or BE with
// BOM, or LE without BOM, detected from the zero bytes); UTF-16 is transcoded
// on the fly. CRLF and LF are both accepted. Lines longer than the maximum
// line length are cut (Line.Truncated) without failing.
//
// # Statements
//
// Qlik logs every physical script line of a statement on its own log line and
// drops the terminating ';', so statement boundaries are rebuilt with this rule
// (documented because it is a heuristic):
//
//  1. A statement line after a message line (or at the start) begins a new
//     statement.
//  2. Inside LOAD … INLINE [ … ] every line continues the statement until the
//     line that holds the closing ']'.
//  3. A line after a line that ends with ';' begins a new statement.
//  4. A line after a prefix-only line (a label such as "Users:", or prefixes
//     such as MAPPING, NOCONCATENATE, LEFT JOIN (T)) continues the statement.
//  5. A line whose first word is a control or statement keyword (SET, LET,
//     TRACE, CALL, SUB, IF, FOR, STORE, DROP, LIB CONNECT, "*** CONNECT TO ***",
//     …) or a label or prefix begins a new statement.
//  6. LOAD continues the statement while it is an open preceding-load chain
//     (a LOAD without FROM/RESIDENT/INLINE/AUTOGENERATE/EXTENSION yet); SQL and
//     SELECT continue an open LOAD chain; SELECT continues an SQL statement;
//     otherwise LOAD/SQL/SELECT begin a new statement.
//  7. Any other line continues the current statement.
//
// The failing statement is the statement that was current when the fatal
// error lines were printed.
//
// # Diagnosis JSON
//
// (*Diagnosis).MarshalJSON writes this stable schema (all fields always
// present; times are RFC 3339 with milliseconds and offset when the log has a
// zone, else "YYYY-MM-DDThh:mm:ss" local wall time, or null when unknown):
//
//	{
//	  "outcome":    "success" | "failed" | "aborted" | "truncated" | "unknown",
//	  "code":       catalogue code, e.g. "rest-auth" ("ok" on success),
//	  "title":      short human title,
//	  "severity":   "ok" | "info" | "warning" | "error" | "critical",
//	  "connection": name from the last LIB CONNECT TO before the failure or "",
//	  "connected":  true when "Connected." followed that LIB CONNECT TO,
//	  "line":       first script line number of the failing statement (0 if none),
//	  "statement":  the failing statement, its physical lines joined with "\n",
//	  "error":      full error text, multi-line errors joined with "\n",
//	  "httpStatus": HTTP status found in the error (0 if none),
//	  "file":       file path named by a file error ("" if none),
//	  "hint":       what to do, with connection name and file path filled in,
//	  "start", "end": first and last log timestamps, "durationMs": end-start,
//	  "header": {"serverVersion", "executedBy", "userDirectory", "userId",
//	             "processId", "other": {key: value}},
//	  "counts": {"lines", "statementLines", "messageLines", "traceLines",
//	             "garbageLines", "truncatedLines", "errorLines"},
//	  "context": [{"n", "time", "scriptLine", "kind", "text"}]
//	}
//
// # Memory
//
// Diagnose keeps only bounded state: a ring of the last lines (context), the
// current statement (capped), the header (capped), the last LIB CONNECT TO and
// the errors of the failing statement. A 500 MB log is streamed, never loaded.
package scriptlog
