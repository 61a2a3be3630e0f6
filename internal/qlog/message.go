package qlog

import (
	"bytes"
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
// in msg, whose ASCII-lower-cased copy is low: `Key: 'value'` or
// `Key: "value"`. The key must start a word, so "user:" does not match
// inside "AuditUser:".
func keyValue(msg, low []byte, key string) ([]byte, bool) {
	from := 0
	for {
		i := bytes.Index(low[from:], []byte(key))
		if i < 0 {
			return nil, false
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
		end := bytes.IndexAny(msg[j+1:], `'"`)
		if end < 0 {
			return nil, false
		}
		return msg[j+1 : j+1+end], true
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// asciiLower appends b with ASCII letters lower-cased to dst: the same
// length as b, so an index into it is an index into b (strings.ToLower can
// change the length of non-ASCII text).
func asciiLower(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// kindPrefixes maps the access kind a usage message starts with to a type;
// longer prefixes first ("Analyzer time" before "Analyzer").
var kindPrefixes = []struct {
	prefix []byte
	typ    license.Type
}{
	{[]byte("analyzer time access"), license.AnalyzerCapacity},
	{[]byte("analyzer capacity access"), license.AnalyzerCapacity},
	{[]byte("professional access"), license.Professional},
	{[]byte("analyzer access"), license.Analyzer},
	{[]byte("login access"), license.LoginAccess},
	{[]byte("user access pass"), license.UserAccess},
}

var accessTypeIDs = []struct {
	id  []byte
	typ license.Type
}{{[]byte("licenseprofessionalaccesstypeid"), license.Professional}, {[]byte("licenseanalyzeraccesstypeid"), license.Analyzer},
	{[]byte("licenseuseraccesstypeid"), license.UserAccess}, {[]byte("licenseloginaccesstypeid"), license.LoginAccess}}

// licenseMsg is LicenseMessage with its values as slices of the message.
type licenseMsg struct {
	typ                                  license.Type
	user, sessionID, operation, lastUsed []byte
	sessionLimit                         bool
}

func (m licenseMsg) denied() bool { return bytes.EqualFold(m.operation, []byte("UsageDenied")) }

// ParseLicenseMessage reads a security-audit Message. ok is false when the
// text is not a license usage message at all.
func ParseLicenseMessage(msg string) (m LicenseMessage, ok bool) {
	b := []byte(msg)
	lm, ok := parseLicenseMessage(b, asciiLower(nil, b))
	return LicenseMessage{Type: lm.typ, User: string(lm.user), SessionID: string(lm.sessionID), Operation: string(lm.operation),
		LastUsed: string(lm.lastUsed), SessionLimit: lm.sessionLimit}, ok
}

// parseLicenseMessage is ParseLicenseMessage over bytes, low being msg
// lower-cased by asciiLower; it copies nothing.
func parseLicenseMessage(msg, low []byte) (m licenseMsg, ok bool) {
	for _, k := range kindPrefixes {
		if bytes.HasPrefix(low, k.prefix) {
			m.typ = k.typ
			ok = true
			break
		}
	}
	if i := bytes.Index(low, bLicense); i >= 0 && bytes.Contains(low[i:], []byte("accesstypeid")) {
		// "User access, User: 'X', Last used: …, LicenseProfessionalAccessTypeId: …":
		// the allocation the use was recorded on names the type.
		for _, k := range accessTypeIDs {
			if bytes.Contains(low[i:], k.id) {
				m.typ, ok = k.typ, true
				break
			}
		}
	}
	if bytes.HasPrefix(low, []byte("access was denied for user")) {
		ok = true
		m.sessionLimit = bytes.Contains(low, []byte("sessioncount"))
	}
	if bytes.HasPrefix(low, []byte("user access")) && m.typ == "" {
		ok = true
	}
	if !ok {
		return m, false
	}
	m.user, _ = keyValue(msg, low, "user:")
	m.sessionID, _ = keyValue(msg, low, "sessionid:")
	m.operation, _ = keyValue(msg, low, "operationtype:")
	m.lastUsed, _ = keyValue(msg, low, "last used:")
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
