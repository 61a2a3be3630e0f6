package license

import (
	"fmt"
	"strings"
)

// Type is a license access type. Its string value is stable: it is written to
// the history store and appears in JSON output and metric labels.
type Type string

// The access types licmon tracks. Professional and Analyzer are per-user
// allocations of the user-based model; AnalyzerCapacity is a pool of minutes
// per calendar month; UserAccess and LoginAccess are the token model's passes.
const (
	Professional     Type = "professional"
	Analyzer         Type = "analyzer"
	AnalyzerCapacity Type = "analyzer-capacity"
	UserAccess       Type = "user-access"
	LoginAccess      Type = "login-access"
)

// Types returns every access type in display order (the order of the QMC
// license pages), so reports and metrics list them consistently.
func Types() []Type {
	return []Type{Professional, Analyzer, AnalyzerCapacity, UserAccess, LoginAccess}
}

// AllocationTypes returns the types whose licenses are allocated per user and
// therefore appear as Allocation values.
func AllocationTypes() []Type {
	return []Type{Professional, Analyzer, UserAccess}
}

// Label returns the human name of the type as shown in reports.
func (t Type) Label() string {
	switch t {
	case Professional:
		return "Professional"
	case Analyzer:
		return "Analyzer"
	case AnalyzerCapacity:
		return "Analyzer Capacity (minutes)"
	case UserAccess:
		return "User access passes"
	case LoginAccess:
		return "Login access passes"
	}
	return string(t)
}

// Valid reports whether t is one of the known types.
func (t Type) Valid() bool {
	for _, k := range Types() {
		if t == k {
			return true
		}
	}
	return false
}

// PerUser reports whether licenses of this type are allocated to individual
// users (and so have Allocation rows with lastUsed).
func (t Type) PerUser() bool {
	return t == Professional || t == Analyzer || t == UserAccess
}

// ParseType parses a type name as typed by a user on the command line. It
// accepts the stable value ("analyzer-capacity") case-insensitively, with
// underscores for dashes, and the short aliases "prof", "capacity", "user" and
// "login".
func ParseType(s string) (Type, error) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	switch n {
	case "prof", "professional":
		return Professional, nil
	case "analyzer":
		return Analyzer, nil
	case "capacity", "analyzer-capacity", "analyzertime", "analyzer-time":
		return AnalyzerCapacity, nil
	case "user", "user-access", "useraccess":
		return UserAccess, nil
	case "login", "login-access", "loginaccess":
		return LoginAccess, nil
	}
	names := make([]string, 0, 5)
	for _, t := range Types() {
		names = append(names, string(t))
	}
	return "", fmt.Errorf("parse license type %q: unknown type (use one of %s)", s, strings.Join(names, ", "))
}
