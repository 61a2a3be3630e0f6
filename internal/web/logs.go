package web

import (
	"context"
	"net/http"

	"github.com/licmon/licmon/internal/logimport"
)

// LogsBackend is implemented by a Backend that imports the sites' Qlik
// Sense logs (licmon serve with `logs:` folders): the API then answers
// /api/v1/sites/{site}/logs with what `licmon logs summary --format json`
// prints.
type LogsBackend interface {
	// Logs returns the summary of the site's imported logs, nil when none
	// were imported.
	Logs(ctx context.Context, site string) (*logimport.Summary, error)
}

func (h *handler) apiLogs(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("site")
	if _, err := h.site(r, name); err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	lb, ok := h.b.(LogsBackend)
	var sum *logimport.Summary
	if ok {
		var err error
		if sum, err = lb.Logs(r.Context(), name); err != nil {
			h.apiBackendError(w, r, name, err)
			return
		}
	}
	if sum == nil {
		writeJSONError(w, http.StatusNotFound, "no-logs", "no Qlik Sense logs imported for site \""+name+"\"",
			"list the site's log folders under logs: in its sites entry, or run licmon logs import --site "+name+" PATH")
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

type logsView struct {
	page
	Site string
	Sum  *logimport.Summary
}

// logsPage shows what the imported logs of a site say.
func (h *handler) logsPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("site")
	info, err := h.site(r, name)
	if err != nil {
		h.backendError(w, r, name, err)
		return
	}
	v := &logsView{page: h.page(info.Name + " logs"), Site: info.Name}
	if lb, ok := h.b.(LogsBackend); ok {
		if v.Sum, err = lb.Logs(r.Context(), info.Name); err != nil {
			h.backendError(w, r, name, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "logs", v)
}
