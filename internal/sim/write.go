package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultServicePassword is the service account's current password in the
// credential scenarios unless the scenario sets connections.password.
const DefaultServicePassword = "Qlik-Service-2026"

// staleServicePassword is what the monitor_apps_REST_* connections hold in
// lm-failing-rest-401: the password from before the last rotation.
const staleServicePassword = "Qlik-Service-2025"

// credentials models what the REST connector of the License Monitor needs
// from its monitor_apps_REST_* connections, so that a repair through the
// QRS changes what the next reload does.
type credentials struct {
	// on is true when the connections decide the License Monitor's REST
	// outcome: in the credential scenarios, and after any PUT of a monitor
	// connection. SetTaskOutcome turns it off (an explicit outcome wins).
	on bool
	// current is the service account's current password.
	current string
}

// serviceAccount is the account the NTLM connections log on as.
func serviceAccount() string { return dir + `\qservice` }

// initCredentials gives the NTLM connections their stored password: the
// current one, except in lm-failing-rest-401, whose connections still hold
// the password from before the service account's password was changed.
func (s *Site) initCredentials() {
	s.creds.current = s.sc.Connections.Password
	if s.creds.current == "" {
		s.creds.current = DefaultServicePassword
	}
	stale := false
	for _, t := range s.sc.Tasks {
		if (t.Name == "" || t.Name == lmTask) && (t.Failure == FailRest401 || t.Failure == FailRest404) {
			s.creds.on = true
			stale = t.Failure == FailRest401 && !s.sc.Proxy.Kerberos
		}
	}
	if s.sc.Proxy.Kerberos || s.sc.Proxy.Prefix != "" || s.sc.Connections.Password != "" {
		s.creds.on = true
	}
	for _, c := range s.conns {
		if c.Username == "" {
			continue
		}
		c.password = s.creds.current
		if stale {
			c.password = staleServicePassword
		}
	}
}

// restConn is what the simulated REST connector reads from a connection string.
type restConn struct {
	auth, host, prefix string
	port               string
}

func parseRestConn(cs string) restConn {
	s := strings.TrimSpace(cs)
	if i := strings.Index(strings.ToUpper(s), "CONNECT TO"); i >= 0 {
		s = strings.TrimSpace(s[i+len("CONNECT TO"):])
	}
	s = strings.Trim(s, `"'`)
	kv := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		if k, v, ok := strings.Cut(part, "="); ok {
			kv[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	rc := restConn{auth: strings.ToLower(kv["authschema"])}
	if u := kv["usecertificate"]; u != "" && !strings.EqualFold(u, "no") {
		rc.auth = "certificate"
	}
	if strings.Contains(strings.ToLower(kv["queryheaders"]), "authorization%2bearer") {
		rc.auth = "jwt"
	}
	if u, err := url.Parse(kv["url"]); err == nil {
		rc.host, rc.port = strings.ToLower(u.Hostname()), u.Port()
		if i := strings.Index(strings.ToLower(u.Path), "/qrs/"); i >= 0 {
			rc.prefix = strings.Trim(u.Path[:i], "/")
		} else {
			rc.prefix = "?"
		}
	}
	return rc
}

// connFailure is how the License Monitor's REST loads end with the current
// connections: "" when every one it reads works.
func (s *Site) connFailure() string {
	byName := map[string]*DataConnection{}
	for _, c := range s.conns {
		byName[strings.ToLower(c.Name)] = c
	}
	host := strings.ToLower(s.opts.Hostname)
	short := strings.SplitN(host, ".", 2)[0]
	for _, l := range lmRestLoads {
		c := byName[strings.ToLower(l.conn)]
		if c == nil {
			continue // a missing connection is its own scenario
		}
		rc := parseRestConn(c.ConnStr)
		if rc.host != "localhost" && rc.host != host && rc.host != short {
			return FailRestConnect
		}
		switch rc.auth {
		case "certificate":
			// Straight to the QRS on 4242 with the exported client certificate.
			if rc.port != "4242" || rc.prefix != "" {
				return FailRest404
			}
		case "ntlm":
			if rc.port == "4242" {
				return FailRestConnect
			}
			if !strings.EqualFold(rc.prefix, s.sc.Proxy.Prefix) {
				return FailRest404
			}
			if s.sc.Proxy.Kerberos || !strings.EqualFold(c.Username, serviceAccount()) || c.password != s.creds.current {
				return FailRest401
			}
		default:
			// JWT needs a token issued by a JWT virtual proxy, which the
			// simulated site does not have.
			return FailRest401
		}
	}
	return ""
}

// connectionOutcome lets the connections decide a License Monitor run's
// REST outcome when the site models credentials: a broken connection fails
// the run whatever the task outcome says, and a credential failure of the
// scenario ends once the connections are repaired.
func (s *Site) connectionOutcome(t *Task, o Outcome) Outcome {
	if !s.creds.on || t.App == nil || t.App.Name != "License Monitor" {
		return o
	}
	if f := s.connFailure(); f != "" {
		return Outcome{Failure: f}
	}
	if o.Failure == FailRest401 || o.Failure == FailRest404 || o.Failure == FailRestConnect {
		t.outcome, t.runsLeft = Outcome{}, -1
		return Outcome{}
	}
	return o
}

// servePutConnection updates a data connection: PUT
// /qrs/dataconnection/{id} with the whole entity. A modifiedDate older than
// the stored one is a 409, as on a real QRS.
func (s *Site) servePutConnection(w http.ResponseWriter, r *http.Request, id string, priv bool) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		textError(w, http.StatusBadRequest, "Bad request: the body must be the data connection entity as JSON")
		return
	}
	str := func(k string) (string, bool) {
		raw, ok := body[k]
		if !ok {
			return "", false
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "", false
		}
		return v, true
	}
	md, ok := str("modifiedDate")
	if !ok {
		textError(w, http.StatusBadRequest, "Bad request: modifiedDate is required on PUT")
		return
	}
	sent, err := time.Parse(time.RFC3339Nano, md)
	if err != nil {
		textError(w, http.StatusBadRequest, "Bad request: modifiedDate is not an ISO-8601 date")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var c *DataConnection
	for _, x := range s.conns {
		if strings.EqualFold(x.ID, id) {
			c = x
		}
	}
	if c == nil {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	if bid, ok := str("id"); ok && !strings.EqualFold(bid, c.ID) {
		textError(w, http.StatusBadRequest, "Bad request: the id in the body differs from the id in the path")
		return
	}
	if sent.Before(c.Modified.Truncate(time.Millisecond)) {
		textError(w, http.StatusConflict, fmt.Sprintf("Conflict: DataConnection %s was modified at %s, after the modifiedDate sent (%s)",
			c.ID, c.Modified.UTC().Format("2006-01-02T15:04:05.000Z"), sent.UTC().Format("2006-01-02T15:04:05.000Z")))
		return
	}
	if v, ok := str("connectionstring"); ok {
		c.ConnStr = v
	}
	if v, ok := str("username"); ok {
		c.Username = v
	}
	if v, ok := str("password"); ok {
		c.password = v
	}
	if strings.HasPrefix(strings.ToLower(c.Name), "monitor_apps_rest_") {
		s.creds.on = true
	}
	next := s.now.Truncate(time.Millisecond)
	if !next.After(c.Modified) {
		next = c.Modified.Add(time.Millisecond)
	}
	c.Modified = next
	writeJSON(w, http.StatusOK, vo(connFull(c)), priv)
}

// reinstate gives a user back their quarantined allocation of type t, as
// the QMC does when the same user is allocated again within the quarantine.
func (s *Site) reinstate(u *User, t AccessType) *Alloc {
	for _, a := range s.allocs[t] {
		if a.Quarantined && a.User == u {
			a.Quarantined, a.QuarantineEnd = false, Never
			a.Modified = s.now
			u.alloc = a
			return a
		}
	}
	return nil
}

// Use records a session of the user now: their allocation's lastUsed
// becomes the current simulated time (as when they open an app), which
// also reinstates a quarantined allocation. It errors for an unknown user
// or one without an allocation.
func (s *Site) Use(userGUID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID[strings.ToLower(userGUID)]
	if u == nil {
		return fmt.Errorf("use: no user %s", userGUID)
	}
	a := u.alloc
	if a == nil {
		for t := range s.allocs {
			if r := s.reinstate(u, AccessType(t)); r != nil {
				a = r
				break
			}
		}
	}
	if a == nil {
		return fmt.Errorf("use: user %s has no allocation", userGUID)
	}
	a.LastUsed, a.Modified = s.now, s.now
	u.lastActive = s.now
	return nil
}
