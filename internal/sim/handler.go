package sim

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/licmon/licmon/internal/sim/filter"
)

// XSRFFailure is the body of the 403 QRS returns when the xrfkey check fails.
const XSRFFailure = "XSRF prevention check failed. Possible XSRF discovered."

// MissingUserText is the body of the 403 for a request on the certificate
// port without X-Qlik-User. What real QRS does is undocumented; the
// simulator refuses so that clients which forget the header find out.
const MissingUserText = "Forbidden: the X-Qlik-User header is missing. Send X-Qlik-User: UserDirectory=<dir>; UserId=<id> (for example UserDirectory=INTERNAL; UserId=sa_api)."

// Identity is the user a request runs as.
type Identity struct {
	UserDirectory, UserID string
}

type identityKey struct{}

// ParseQlikUser parses an X-Qlik-User header ("UserDirectory=INTERNAL;
// UserId=sa_api"): parts split on ';', trimmed, keys case-insensitive.
func ParseQlikUser(h string) (Identity, bool) {
	var id Identity
	for part := range strings.SplitSeq(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "userdirectory":
			id.UserDirectory = strings.TrimSpace(v)
		case "userid":
			id.UserID = strings.TrimSpace(v)
		}
	}
	return id, id.UserDirectory != "" && id.UserID != ""
}

// checkXrf enforces the xrfkey rule: query parameter xrfkey (any case) of
// exactly 16 [0-9A-Za-z] equal to the X-Qlik-Xrfkey header.
func checkXrf(r *http.Request) bool {
	var key string
	found := false
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, "xrfkey") && len(v) > 0 {
			key, found = v[0], true
		}
	}
	if !found || len(key) != 16 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return r.Header.Get("X-Qlik-Xrfkey") == key
}

func textError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprint(w, msg)
}

// Handler serves the QRS as on port 4242. The TLS layer (Serve) has checked
// the client certificate; the handler still requires the xrfkey pair and
// X-Qlik-User.
func (s *Site) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !checkXrf(r) {
			textError(w, http.StatusForbidden, XSRFFailure)
			return
		}
		id, ok := ParseQlikUser(r.Header.Get("X-Qlik-User"))
		if !ok {
			textError(w, http.StatusForbidden, MissingUserText)
			return
		}
		s.serveQRS(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)), r.URL.Path)
	})
}

// serveQRS dispatches a request whose xrfkey and identity were checked.
func (s *Site) serveQRS(w http.ResponseWriter, r *http.Request, path string) {
	lower := strings.ToLower(path)
	if !strings.HasPrefix(lower, "/qrs/") {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	s.sync()
	raw := strings.Split(strings.Trim(path[len("/qrs/"):], "/"), "/")
	segs := make([]string, len(raw))
	for i, p := range raw {
		segs[i] = strings.ToLower(p)
	}
	q := r.URL.Query()
	priv := strings.EqualFold(q.Get("privileges"), "true")
	switch {
	case segs[0] == "about":
		s.serveAbout(w, r, segs, priv)
		return
	case segs[0] == "license" && (len(segs) == 1 || segs[1] == "accesstypeoverview" || segs[1] == "accesstypeinfo"):
		s.serveLicense(w, r, segs, priv)
		return
	case segs[0] == "servernodeconfiguration" && len(segs) == 2 && segs[1] == "local":
		s.mu.RLock()
		o := obj{{"configuration", vo(obj{{"id", vs(s.node.ID)}, {"privileges", vnull}})}, {"repositoryServiceID", vs(s.node.ServiceIDs[0])},
			{"engineServiceID", vs(s.node.ServiceIDs[3])}, {"proxyServiceID", vs(s.node.ServiceIDs[1])}, {"schedulerServiceID", vs(s.node.ServiceIDs[2])},
			{"printingServiceID", vs(s.node.ServiceIDs[5])}}
		s.mu.RUnlock()
		writeJSON(w, http.StatusOK, vo(o), priv)
		return
	case segs[0] == "task" || segs[0] == "reloadtask":
		if s.serveTaskAction(w, r, segs, raw) {
			return
		}
	case segs[0] == "download" && len(segs) >= 3 && segs[1] == "reloadtask":
		s.serveDownload(w, r, raw[2])
		return
	case segs[0] == "selection":
		s.serveSelection(w, r, segs, raw, priv)
		return
	}
	// generic collections: longest known prefix
	for n := min(len(segs), 2); n >= 1; n-- {
		name := strings.Join(segs[:n], "/")
		if !slices.Contains(collectionNames, name) {
			continue
		}
		s.serveCollection(w, r, name, raw[n:], priv)
		return
	}
	textError(w, http.StatusNotFound, "Not found")
}

func writeJSON(w http.ResponseWriter, code int, v filter.Value, priv bool) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	bw := bufio.NewWriterSize(w, 32<<10)
	jw := &jsonWriter{w: bw, priv: priv}
	jw.value(v)
	bw.Flush()
}

// query parses filter and orderby, writing the 400 on error.
func query(w http.ResponseWriter, r *http.Request) (*filter.Expr, []filter.OrderKey, bool) {
	q := r.URL.Query()
	fe, err := filter.Parse(q.Get("filter"))
	if err == nil {
		var keys []filter.OrderKey
		keys, err = filter.ParseOrderBy(q.Get("orderby"))
		if err == nil {
			return fe, keys, true
		}
	}
	textError(w, http.StatusBadRequest, err.Error())
	return nil, nil, false
}

// RequestIdentity returns the user a request handled by Handler or
// ProxyHandler runs as (from X-Qlik-User, the JWT or the header).
func RequestIdentity(r *http.Request) (Identity, bool) {
	id, ok := r.Context().Value(identityKey{}).(Identity)
	return id, ok
}
