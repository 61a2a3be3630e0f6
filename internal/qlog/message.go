package qlog

import (
	"strings"

	"github.com/licmon/licmon/internal/license"
)

// LicenseMessage is what licmon reads from the Message of a repository
// security-audit row. The texts follow a loose grammar (reference §4.3):
// "<Kind> access <verb> … User: '<dir\user>' … SessionID: '<id>' …
// OperationType: '<Op>'"; quoting and key spelling vary, so each key is
// matched on its own.
type LicenseMessage struct {
	// Type is the access type the message names; "" when it names none.
	Type license.Type
	// User is the DIR\user named in the message ("" when absent or empty).
	User string
	// SessionID is the proxy session the message names.
	SessionID string
	// Operation is the OperationType value (UsageDenied, Timedout, Update, …).
	Operation string
	// LastUsed is the "Last used" value, when present.
	LastUsed string
	// SessionLimit is true for the five-parallel-sessions denial ("Access was
	// denied for User … SessionCount: '5'"): the user holds a seat, so it is
	// not unmet demand for one.
	SessionLimit bool
}

// keyValue returns the quoted value after key (lower case, ending in ':')
// in msg, whose lower-cased copy is low: `Key: 'value'` or `Key: "value"`.
// The key must start a word, so "user:" does not match inside "AuditUser:".
func keyValue(msg, low, key string) (string, bool) {
	from := 0
	for {
		i := strings.Index(low[from:], key)
		if i < 0 {
			return "", false
		}
		i += from
		from = i + len(key)
		if i > 0 && isLetter(low[i-1]) {
			continue
		}
		j := from
		for j < len(msg) && msg[j] == ' ' {
			j++
		}
		if j >= len(msg) || (msg[j] != '\'' && msg[j] != '"') {
			continue
		}
		end := strings.IndexAny(msg[j+1:], `'"`)
		if end < 0 {
			return "", false
		}
		return msg[j+1 : j+1+end], true
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// kindPrefixes maps the access kind a usage message starts with to a type;
// longer prefixes first ("Analyzer time" before "Analyzer").
var kindPrefixes = []struct {
	prefix string
	typ    license.Type
}{
	{"analyzer time access", license.AnalyzerCapacity},
	{"analyzer capacity access", license.AnalyzerCapacity},
	{"professional access", license.Professional},
	{"analyzer access", license.Analyzer},
	{"login access", license.LoginAccess},
	{"user access pass", license.UserAccess},
}

// ParseLicenseMessage reads a security-audit Message. ok is false when the
// text is not a license usage message at all.
func ParseLicenseMessage(msg string) (m LicenseMessage, ok bool) {
	low := strings.ToLower(msg)
	for _, k := range kindPrefixes {
		if strings.HasPrefix(low, k.prefix) {
			m.Type = k.typ
			ok = true
			break
		}
	}
	if i := strings.Index(low, "license"); i >= 0 && strings.Contains(low[i:], "accesstypeid") {
		// "User access, User: 'X', Last used: …, LicenseProfessionalAccessTypeId: …":
		// the allocation the use was recorded on names the type.
		for _, k := range []struct {
			id  string
			typ license.Type
		}{{"licenseprofessionalaccesstypeid", license.Professional}, {"licenseanalyzeraccesstypeid", license.Analyzer},
			{"licenseuseraccesstypeid", license.UserAccess}, {"licenseloginaccesstypeid", license.LoginAccess}} {
			if strings.Contains(low[i:], k.id) {
				m.Type, ok = k.typ, true
				break
			}
		}
	}
	if strings.HasPrefix(low, "access was denied for user") {
		ok = true
		m.SessionLimit = strings.Contains(low, "sessioncount")
	}
	if strings.HasPrefix(low, "user access") && m.Type == "" {
		ok = true
	}
	if !ok {
		return m, false
	}
	m.User, _ = keyValue(msg, low, "user:")
	m.SessionID, _ = keyValue(msg, low, "sessionid:")
	m.Operation, _ = keyValue(msg, low, "operationtype:")
	m.LastUsed, _ = keyValue(msg, low, "last used:")
	return m, true
}

// Denied reports whether the message records a denial.
func (m LicenseMessage) Denied() bool { return strings.EqualFold(m.Operation, "UsageDenied") }

// ParseDescription splits "Command=…;Result=…;ResultText=…" (ResultText may
// itself contain ';', so only the first two separators split).
func ParseDescription(s string) (command, result, text string) {
	parts := strings.SplitN(s, ";", 3)
	for _, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "command":
			command = v
		case "result":
			result = v
		case "resulttext":
			text = v
		}
	}
	return command, result, text
}
