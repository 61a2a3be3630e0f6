package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/csvout"
	"github.com/licmon/licmon/internal/report"
)

// csvHeader is the header row of the candidates download; the columns are
// the candidate's JSON field names, so the CSV and the API agree.
var csvHeader = []string{"kind", "userGuid", "directory", "userId", "name", "type", "allocationId",
	"created", "lastUsed", "idleDays", "lastAuthored", "appsOwned", "objectsOwned",
	"dataConnectionsOwned", "minutes", "minutesMonth", "freesAfter", "reason"}

func (h *handler) candidatesCSV(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("site")
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = report.KindReclaim
	}
	if !validKind(kind) {
		h.errorPage(w, r, http.StatusBadRequest, "Unknown candidate list",
			"There is no candidate list "+quote(kind)+". Use kind="+kindNames()+".")
		return
	}
	if _, err := h.site(r, name); err != nil {
		h.backendError(w, r, name, err)
		return
	}
	rep, err := h.b.Report(r.Context(), name)
	if err != nil {
		h.backendError(w, r, name, err)
		return
	}
	if rep == nil {
		h.errorPage(w, r, http.StatusNotFound, "No license history yet",
			"Site "+quote(name)+" has no collected license history yet, so there are no candidates. Run licmon collect or wait for the daily collection.")
		return
	}
	body, err := h.heavy.bytes(rep, "csv/"+kind, func(w io.Writer) error { return writeCandidatesCSV(w, candidatesOf(rep, kind)) })
	if errors.Is(err, errEncoding) {
		h.busy(w, r, false)
		return
	}
	if err != nil {
		h.backendError(w, r, name, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+csvFileName(name, kind, rep.AsOf)+`"`)
	h.sendEncoded(w, r, false, "text/csv; charset=utf-8", body)
}

// writeCandidatesCSV writes the header and one row per candidate; csvout
// neutralises cells a spreadsheet would run as formulas.
func writeCandidatesCSV(w io.Writer, list []report.Candidate) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	row := make([]string, len(csvHeader))
	for i := range list {
		c := &list[i]
		row = append(row[:0], c.Kind, c.UserGUID, c.Directory, c.UserID, c.Name, string(c.Type),
			c.AllocationID, csvTime(c.Created), csvTime(c.LastUsed), strconv.Itoa(c.IdleDays), csvTime(c.LastAuthored),
			strconv.Itoa(c.AppsOwned), strconv.Itoa(c.ObjectsOwned), strconv.Itoa(c.Connections),
			strconv.FormatInt(c.Minutes, 10), c.MinutesMonth, csvTime(c.FreesAfter), c.Reason)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return cw.Flush()
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvFileName is e.g. "prod-reclaim-2026-11-26.csv", keeping only
// characters safe in a Content-Disposition header and a file name.
func csvFileName(site, kind string, asOf time.Time) string {
	var b strings.Builder
	for _, r := range site {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String() + "-" + kind
	if !asOf.IsZero() {
		name += "-" + day(asOf)
	}
	return name + ".csv"
}
