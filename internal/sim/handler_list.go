package sim

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/licmon/licmon/internal/sim/filter"
)

func (s *Site) serveCollection(w http.ResponseWriter, r *http.Request, name string, rest []string, priv bool) {
	full := len(rest) > 0 && strings.EqualFold(rest[0], "full")
	count := len(rest) > 0 && strings.EqualFold(rest[0], "count")
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		if len(rest) == 1 {
			s.serveDelete(w, name, rest[0])
			return
		}
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	case http.MethodPost:
		if len(rest) == 0 {
			s.servePost(w, r, name, priv)
			return
		}
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	case http.MethodPut:
		if name == "dataconnection" && len(rest) == 1 && isGUID(rest[0]) {
			s.servePutConnection(w, r, rest[0], priv)
			return
		}
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	default:
		textError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if len(rest) > 1 || (len(rest) == 1 && !full && !count && !isGUID(rest[0])) {
		textError(w, http.StatusNotFound, "Not found")
		return
	}
	fe, keys, ok := query(w, r)
	if !ok {
		return
	}
	id := ""
	if len(rest) == 1 && !full && !count {
		id = rest[0]
	}
	rows, one, n := s.listSnapshot(name, id, fe, keys, full, count)
	switch {
	case id != "" && one == nil:
		textError(w, http.StatusNotFound, "Not found")
		return
	case id != "":
		writeJSON(w, http.StatusOK, vo(one), priv)
		return
	case count:
		writeJSON(w, http.StatusOK, vo(obj{{"value", vi(n)}}), false)
		return
	}
	// The site lock is not held here: rows are detached copies, so a slow
	// client does not hold up writes, the clock or the other readers.
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	jw := &jsonWriter{w: bw, priv: priv}
	var sc allocScratch
	bw.WriteByte('[')
	for i, rw := range rows {
		if i > 0 {
			bw.WriteByte(',')
		}
		if ar, ok := rw.(allocRow); ok && full {
			jw.object(ar.appendFull(&sc))
		} else if full {
			jw.object(rw.full())
		} else {
			jw.object(rw.condensed())
		}
	}
	bw.WriteByte(']')
	bw.Flush()
}

// listSnapshot takes what a collection read needs under the read lock and
// releases it before anything is written: the entity with id (rendered
// full), the number of matching rows, or the matching rows, filtered,
// sorted and detached from the live site (see row.detach), so each answer
// is the site at one instant however long the client takes to read it.
func (s *Site) listSnapshot(name, id string, fe *filter.Expr, keys []filter.OrderKey, full, count bool) (rows []row, one obj, n int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows = s.rows(name)
	if id != "" {
		for _, rw := range rows {
			if strings.EqualFold(rw.rowID(), id) {
				return nil, rw.full(), 1
			}
		}
		return nil, nil, 0
	}
	if fe != nil {
		kept := rows[:0:0]
		for _, rw := range rows {
			if fe.Match(rw.record()) {
				kept = append(kept, rw)
			}
		}
		rows = kept
	}
	if count {
		return nil, nil, len(rows)
	}
	if len(keys) > 0 {
		recs := make([]sortable, len(rows))
		for i, rw := range rows {
			recs[i] = sortable{rw}
		}
		filter.Sort(recs, keys)
		for i := range recs {
			rows[i] = recs[i].row
		}
	}
	return detachRows(rows, full), nil, len(rows)
}

type sortable struct{ row }

func (s sortable) Field(n string) filter.Value { return s.record().Field(n) }

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// serveSelection implements POST /qrs/selection, GET
// /qrs/selection/{id}/{type}[/full] and DELETE /qrs/selection/{id}.
func (s *Site) serveSelection(w http.ResponseWriter, r *http.Request, segs, raw []string, priv bool) {
	switch {
	case r.Method == http.MethodPost && len(segs) == 1:
		var body struct {
			Items []struct {
				Type     string `json:"type"`
				ObjectID string `json:"objectID"`
			} `json:"items"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			textError(w, http.StatusBadRequest, "Bad request: body must be {\"items\":[{\"type\":\"ReloadTask\",\"objectID\":\"<guid>\"}]}")
			return
		}
		s.mu.Lock()
		id := guid(s.hourRand(s.now.UnixNano(), uint64(len(s.selections))+500))
		var items []selectionItem
		var vals []filter.Value
		for _, it := range body.Items {
			items = append(items, selectionItem{Type: it.Type, ObjectID: strings.ToLower(it.ObjectID)})
			vals = append(vals, vo(obj{{"id", vs(hexGUID(id + it.ObjectID))}, {"type", vs(it.Type)}, {"objectID", vs(it.ObjectID)},
				{"objectName", vs("")}, {"privileges", vnull}, {"schemaPath", vs("SelectionItem")}}))
		}
		s.selections[id] = items
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, vo(obj{{"id", vs(id)}, {"createdDate", vt(s.Now())}, {"modifiedDate", vt(s.Now())},
			{"modifiedByUserName", vs("INTERNAL\\sa_api")}, {"items", va(vals)}, {"privileges", vnull}, {"schemaPath", vs("Selection")}}), priv)
	case r.Method == http.MethodDelete && len(segs) == 2:
		s.mu.Lock()
		_, ok := s.selections[segs[1]]
		delete(s.selections, segs[1])
		s.mu.Unlock()
		if !ok {
			textError(w, http.StatusNotFound, "Not found")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && len(segs) >= 3:
		s.mu.RLock()
		items, ok := s.selections[segs[1]]
		if !ok {
			s.mu.RUnlock()
			textError(w, http.StatusNotFound, "Not found")
			return
		}
		typ := segs[2]
		full := len(segs) == 4 && segs[3] == "full"
		fe, keys, ok := query(w, r)
		if !ok {
			s.mu.RUnlock()
			return
		}
		var out []filter.Value
		for _, it := range items {
			t := s.taskByID(it.ObjectID)
			switch typ {
			case "event", "schemaevent", "compositeevent":
				if t == nil {
					continue
				}
				if typ != "compositeevent" && t.Trigger != nil {
					out = append(out, vo(pick(s.schemaEventObj(t.Trigger, full), fe)))
				}
				if typ != "schemaevent" {
					for _, c := range s.composite {
						if c.Task == t {
							out = append(out, vo(pick(s.compositeEventObj(c, full), fe)))
						}
					}
				}
			case "reloadtask", "task":
				if t != nil {
					o := s.taskCondensed(t)
					if full {
						o = s.taskFull(t, typ == "task")
					}
					out = append(out, vo(pick(o, fe)))
				}
			}
		}
		s.mu.RUnlock()
		kept := out[:0:0]
		for _, v := range out {
			if v.Kind == filter.Object {
				kept = append(kept, v)
			}
		}
		if len(keys) > 0 {
			recs := make([]obj, len(kept))
			for i, v := range kept {
				recs[i] = v.Record().(obj)
			}
			filter.Sort(recs, keys)
			for i := range recs {
				kept[i] = vo(recs[i])
			}
		}
		if kept == nil {
			kept = []filter.Value{}
		}
		writeJSON(w, http.StatusOK, va(kept), priv)
	default:
		textError(w, http.StatusNotFound, "Not found")
	}
}

// pick returns o if it matches fe, else nil (dropped by the caller).
func pick(o obj, fe *filter.Expr) obj {
	if fe.Match(o) {
		return o
	}
	return nil
}
