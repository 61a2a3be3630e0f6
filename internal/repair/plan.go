// Package repair plans, applies and undoes changes to the monitoring apps'
// REST data connections (monitor_apps_REST_*): user, password, host,
// virtual-proxy prefix and authentication. Planning is pure; Apply and Undo
// talk to the QRS through a small Client interface, one PUT per
// connection with the modifiedDate that was read, so a connection someone
// changed meanwhile is left alone (409).
package repair

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/licmon/licmon/internal/qrs"
)

// MonitorPrefix starts the names of the monitoring apps' REST connections.
const MonitorPrefix = "monitor_apps_REST_"

// Side is one state of a connection: its string and user (never a password).
type Side struct {
	ConnectionString string   `json:"connectionString"`
	User             string   `json:"user"`
	Settings         Settings `json:"-"`
}

// Change is the planned change of one connection.
type Change struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Entity is the connection as read, with the modifiedDate the PUT sends.
	Entity qrs.DataConnection `json:"-"`
	Before Side               `json:"before"`
	After  Side               `json:"after"`
	// Password is true when a new password will be stored.
	Password bool `json:"setsPassword"`
	// Problem explains why the connection is left alone (empty when it is changed).
	Problem string `json:"problem,omitempty"`
}

// Changes reports whether applying c changes the connection.
func (c Change) Changes() bool {
	return c.Problem == "" && (c.Password || c.Before.ConnectionString != c.After.ConnectionString || c.Before.User != c.After.User)
}

// Plan is the change of every selected connection.
type Plan struct {
	Target  Target   `json:"-"`
	Changes []Change `json:"connections"`
}

// Selected reports whether a data connection is one a repair works on: a
// monitor_apps_REST_* connection, and with allApps any other REST connector
// connection that calls the QRS (the older qrs_* names and the other
// monitoring apps' connections).
func Selected(dc qrs.DataConnection, allApps bool) bool {
	if strings.HasPrefix(strings.ToLower(dc.Name), strings.ToLower(MonitorPrefix)) {
		return true
	}
	if !allApps || !strings.Contains(strings.ToLower(dc.Type), "qvrestconnector") {
		return false
	}
	st, err := ReadSettings(dc.ConnectionString)
	return err == nil && st.Path != ""
}

// Build plans t for the connections, sorted by name. A connection whose
// string cannot be read is listed with its Problem and left alone.
func Build(conns []qrs.DataConnection, t Target) *Plan {
	p := &Plan{Target: t}
	for _, dc := range conns {
		ch := Change{ID: dc.ID, Name: dc.Name, Entity: dc, Before: Side{ConnectionString: dc.ConnectionString, User: dc.Username}}
		ch.After = ch.Before
		st, err := ReadSettings(dc.ConnectionString)
		if err != nil {
			ch.Problem = err.Error()
			p.Changes = append(p.Changes, ch)
			continue
		}
		ch.Before.Settings = st
		after, err := Rewrite(dc.ConnectionString, t)
		if err != nil {
			ch.Problem = err.Error()
			p.Changes = append(p.Changes, ch)
			continue
		}
		ch.After.ConnectionString = after
		ch.After.Settings, _ = ReadSettings(after)
		if t.User != "" {
			ch.After.User = t.User
		}
		if t.Auth == "certificate" {
			// The certificate variant authenticates with the client
			// certificate; a stored Windows user would be misleading.
			ch.After.User = ""
		}
		ch.Password = t.Password && ch.After.Settings.Auth == "ntlm"
		p.Changes = append(p.Changes, ch)
	}
	sort.Slice(p.Changes, func(i, j int) bool { return strings.ToLower(p.Changes[i].Name) < strings.ToLower(p.Changes[j].Name) })
	return p
}

// ToChange counts the connections the plan changes.
func (p *Plan) ToChange() int {
	n := 0
	for _, c := range p.Changes {
		if c.Changes() {
			n++
		}
	}
	return n
}

// WriteText shows the plan as before → after per connection: the URL, the
// settings that change and the user. Passwords are never shown (only that
// one will be set) and a JWT in a connection string is masked.
func (p *Plan) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	same, left := 0, 0
	for _, c := range p.Changes {
		switch {
		case c.Problem != "":
			left++
		case !c.Changes():
			same++
		}
	}
	ew.printf("%d connection(s) to change, %d already as requested, %d left alone\n", p.ToChange(), same, left)
	for _, c := range p.Changes {
		if c.Problem != "" {
			ew.printf("\n  %s: left alone: %s\n", c.Name, c.Problem)
			continue
		}
		if !c.Changes() {
			continue
		}
		ew.printf("\n  %s  %s  as %s\n", c.Name, Mask(c.Before.Settings.URL), orNone(c.Before.User))
		if c.After.Settings.URL != c.Before.Settings.URL {
			ew.printf("    url       → %s\n", Mask(c.After.Settings.URL))
		}
		for _, d := range settingDiff(c.Before.ConnectionString, c.After.ConnectionString) {
			ew.printf("    %-9s %s → %s\n", d[0], Mask(orNone(d[1])), Mask(orNone(d[2])))
		}
		if c.Before.User != c.After.User {
			ew.printf("    user      %s → %s\n", orNone(c.Before.User), orNone(c.After.User))
		}
		if c.Password {
			ew.printf("    password  → the new one (not shown)\n")
		}
	}
	return ew.err
}

// settingDiff lists the settings other than url that differ: key, before, after.
func settingDiff(before, after string) [][3]string {
	b, err1 := parseConnString(before)
	a, err2 := parseConnString(after)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out [][3]string
	seen := map[string]bool{}
	for _, p := range append(append([]string(nil), a.parts...), b.parts...) {
		k, _, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || strings.EqualFold(k, "url") || seen[strings.ToLower(k)] {
			continue
		}
		seen[strings.ToLower(k)] = true
		bv, _ := b.get(k)
		av, _ := a.get(k)
		if bv != av {
			out = append(out, [3]string{k, bv, av})
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
