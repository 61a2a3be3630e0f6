// Package qlog reads the Qlik Sense service logs (the tab-separated
// Audit/System/Trace files of every service, active `.txt` and rolled `.log`)
// and extracts what licmon needs from them: user sessions, access denials
// (unmet demand), license commands and task executions.
//
// It is pure: it reads an io.Reader and a file name and knows nothing of
// folders, zips or storage (internal/logimport walks those). Reading follows
// shared/reference/qlik-logs.md: columns are found by header name
// (case-insensitively, any order, missing or extra columns tolerated), the
// arrow escapes for tab, newline, form feed and carriage return are undone,
// both timestamp offset forms (+0200, +02:00) are accepted, an optional BOM
// is stripped, rows whose Sequence# is not a number are skipped as Qlik's own
// apps do, and every oddity is counted as a Warning instead of failing.
//
// Facts the reference marks uncertain are handled leniently: the message
// texts of license usage rows are matched by a tolerant grammar, the
// Session_Engine duration may be hh:mm:ss or a fraction of a day, the
// License_Repository trace and Qlik License Service logs are not required.
package qlog
