package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// serveDelete releases an allocation following the quarantine rule.
func (s *Site) serveDelete(w http.ResponseWriter, name, id string) {
	var t AccessType
	switch name {
	case "license/professionalaccesstype":
		t = Professional
	case "license/analyzeraccesstype":
		t = Analyzer
	case "license/useraccesstype":
		t = UserAccess
	default:
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.allocByID[strings.ToLower(id)]
	if a == nil || a.Type != t {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	s.release(a)
	w.WriteHeader(http.StatusNoContent)
}

// release deallocates: quarantine if the model quarantines and the
// allocation was used within the quarantine period, else remove.
func (s *Site) release(a *Alloc) {
	q := time.Duration(s.opts.QuarantineDays) * 24 * time.Hour
	quarantines := s.opts.QuarantineModel == "lef" || a.Type == UserAccess
	if a.Quarantined {
		return
	}
	if quarantines && !a.LastUsed.Equal(Never) && s.now.Sub(a.LastUsed) < q {
		a.Quarantined = true
		a.QuarantineEnd = a.LastUsed.Add(q)
		a.Excess = false
		a.Modified = s.now
		a.ModifiedBy = "INTERNAL\\sa_api"
		if a.User != nil && a.User.alloc == a {
			a.User.alloc, a.User.held = nil, a
		}
	} else {
		s.removeAlloc(a)
	}
	s.recomputeExcess()
}

// servePost creates an allocation: body {"user":{"id":"<guid>"}}.
func (s *Site) servePost(w http.ResponseWriter, r *http.Request, name string, priv bool) {
	types := map[string]AccessType{"license/professionalaccesstype": Professional, "license/analyzeraccesstype": Analyzer, "license/useraccesstype": UserAccess}
	t, ok := types[name]
	if !ok {
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	var body struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		textError(w, http.StatusBadRequest, "Bad request: body must be {\"user\":{\"id\":\"<user id>\"}}")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userByID[strings.ToLower(body.User.ID)]
	if u == nil {
		textError(w, http.StatusBadRequest, "Bad request: unknown user id")
		return
	}
	if u.alloc != nil {
		textError(w, http.StatusConflict, "Conflict: the user already has an allocation")
		return
	}
	if a := s.reinstate(u, t); a != nil {
		u.deniedSince = time.Time{}
		s.recomputeExcess()
		writeJSON(w, http.StatusCreated, vo(allocRec{a}.obj()), priv)
		return
	}
	if !s.seatFree(t) {
		textError(w, http.StatusBadRequest, s.noSeatText(t))
		return
	}
	u.deniedSince = time.Time{}
	r2 := s.hourRand(s.now.UnixNano(), uint64(len(s.allocByID)))
	a := &Alloc{ID: guid(r2), Type: t, User: u, Created: s.now, Modified: s.now, LastUsed: Never, QuarantineEnd: Never, ModifiedBy: "INTERNAL\\sa_api"}
	s.addAlloc(a)
	s.recomputeExcess()
	writeJSON(w, http.StatusCreated, vo(allocRec{a}.obj()), priv)
}
