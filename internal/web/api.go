package web

import (
	"bufio"
	_ "embed" // the OpenAPI document
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/report"
)

// apiError is the body of every API error.
type apiError struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"error"`
	Hint    string `json:"hint,omitempty"`
}

func writeJSONError(w http.ResponseWriter, status int, code, msg, hint string) {
	writeJSON(w, status, apiError{Status: status, Code: code, Message: msg, Hint: hint})
}

// WriteError answers an error in the API's JSON format
// ({"status","code","error","hint"}); licmon serve uses it for the errors
// it answers before the API (authentication, cross-origin requests).
func WriteError(w http.ResponseWriter, status int, code, msg, hint string) {
	writeJSONError(w, status, code, msg, hint)
}

// writeJSON encodes v the way `licmon check --format json` does (two-space
// indent, no HTML escaping: the content type and nosniff keep browsers from
// reading it as HTML).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := encodeJSON(bw, v); err != nil {
		return // the client went away or v cannot be encoded; the status is sent
	}
	_ = bw.Flush()
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

const jsonType = "application/json; charset=utf-8"

// apiTime is a time as every API answer gives it: check.UTCSecond, RFC
// 3339 in UTC to the second, so lastCheck (taken from the clock, with
// nanoseconds) and lastCollect (from the store) read alike and sort as
// strings; the check endpoint (`licmon check --format json` byte for byte)
// gives its times the same way.
func apiTime(t time.Time) time.Time { return check.UTCSecond(t) }

// writeHeavyJSON answers key of rep from the encoded bytes shared by every
// request for this model, encoding v() only when no request has yet.
func (h *handler) writeHeavyJSON(w http.ResponseWriter, r *http.Request, rep *report.Report, key string, v func() any) {
	body, err := h.heavy.bytes(rep, key, func(w io.Writer) error { return encodeJSON(w, v()) })
	if errors.Is(err, errEncoding) {
		h.busy(w, r, true)
		return
	}
	if err != nil {
		h.apiBackendError(w, r, rep.Site, err)
		return
	}
	h.sendEncoded(w, r, true, jsonType, body)
}

// apiBackendError maps a Backend error to a JSON error.
func (h *handler) apiBackendError(w http.ResponseWriter, r *http.Request, site string, err error) {
	if errors.Is(err, ErrUnknownSite) {
		writeJSONError(w, http.StatusNotFound, "unknown-site", "licmon monitors no site named \""+site+"\"",
			h.knownSites(r.Context())+" GET "+h.base+"/api/v1/sites lists them.")
		return
	}
	h.opts.Logger.Error("api backend", "path", r.URL.Path, "site", site, "err", err)
	writeJSONError(w, http.StatusInternalServerError, "backend-error", err.Error(), "see the licmon log")
}

func (h *handler) apiSites(w http.ResponseWriter, r *http.Request) {
	sites, err := h.b.Sites(r.Context())
	if err != nil {
		h.apiBackendError(w, r, "", err)
		return
	}
	for i := range sites {
		if sites[i].LastCheck.IsZero() {
			sites[i].Status = check.Unknown
		}
		sites[i] = sites[i].inAPITime()
	}
	if sites == nil {
		sites = []SiteInfo{}
	}
	writeJSON(w, http.StatusOK, struct {
		Sites []SiteInfo `json:"sites"`
	}{sites})
}

func (h *handler) apiSite(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("site")
	info, err := h.site(r, name)
	if err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	writeJSON(w, http.StatusOK, info.inAPITime())
}

// inAPITime is s with its times as the API gives them.
func (s SiteInfo) inAPITime() SiteInfo {
	s.LastCheck, s.LastCollect = apiTime(s.LastCheck), apiTime(s.LastCollect)
	return s
}

func (h *handler) apiCheck(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("site")
	if _, err := h.site(r, name); err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	rep, err := h.b.Check(r.Context(), name)
	if err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	if rep == nil {
		writeJSONError(w, http.StatusNotFound, "no-check", "site \""+name+"\" has not been checked yet",
			"the first check runs shortly after licmon serve starts")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	// The same writer as `licmon check --format json`, byte for byte.
	if err := check.WriteJSON(w, []*check.Report{rep}); err != nil {
		h.opts.Logger.Warn("api check", "site", name, "err", err)
	}
}

func (h *handler) apiChecks(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("site")
	if _, err := h.site(r, name); err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	limit, ok := intParam(w, r, "limit", 100, 1, 10000)
	if !ok {
		return
	}
	hist, err := h.b.CheckHistory(r.Context(), name, limit)
	if err != nil {
		h.apiBackendError(w, r, name, err)
		return
	}
	if hist == nil {
		hist = []CheckSummary{}
	}
	for i := range hist {
		hist[i].At = apiTime(hist[i].At)
	}
	writeJSON(w, http.StatusOK, struct {
		Site   string         `json:"site"`
		Checks []CheckSummary `json:"checks"`
	}{name, hist})
}

// reportFor loads the site's report model, answering the error itself when
// there is none; ok is false then.
func (h *handler) reportFor(w http.ResponseWriter, r *http.Request) (*report.Report, bool) {
	name := r.PathValue("site")
	if _, err := h.site(r, name); err != nil {
		h.apiBackendError(w, r, name, err)
		return nil, false
	}
	rep, err := h.b.Report(r.Context(), name)
	if err != nil {
		h.apiBackendError(w, r, name, err)
		return nil, false
	}
	if rep == nil {
		writeJSONError(w, http.StatusNotFound, "no-history", "site \""+name+"\" has no collected license history yet",
			"run licmon collect or wait for the daily collection")
		return nil, false
	}
	return rep, true
}

// licenseType is one type in the /licenses answer: the report model's
// TypeReport without the forecast (see /forecast).
type licenseType struct {
	Type             license.Type          `json:"type"`
	Label            string                `json:"label"`
	PerUser          bool                  `json:"perUser"`
	Licensed         int64                 `json:"licensed"`
	Allocated        int64                 `json:"allocated"`
	Quarantined      int64                 `json:"quarantined"`
	Excess           int64                 `json:"excess"`
	Remaining        int64                 `json:"remaining"`
	Usage            *report.Usage         `json:"usage,omitempty"`
	Growth30PerMonth *float64              `json:"growth30PerMonth"`
	Growth90PerMonth *float64              `json:"growth90PerMonth"`
	History          []report.HistoryPoint `json:"history"`
}

type licensesResponse struct {
	SchemaVersion int                   `json:"schemaVersion"`
	Site          string                `json:"site"`
	AsOf          time.Time             `json:"asOf"`
	DataAt        time.Time             `json:"dataAt"`
	License       *report.LicenseInfo   `json:"license,omitempty"`
	Types         []licenseType         `json:"types"`
	Capacity      *report.CapacityMonth `json:"capacity,omitempty"`
	UnmetDemand   report.UnmetDemand    `json:"unmetDemand"`
}

func (h *handler) apiLicenses(w http.ResponseWriter, r *http.Request) {
	rep, ok := h.reportFor(w, r)
	if !ok {
		return
	}
	h.writeHeavyJSON(w, r, rep, "licenses", func() any { return licensesOf(rep) })
}

func licensesOf(rep *report.Report) licensesResponse {
	out := licensesResponse{SchemaVersion: rep.SchemaVersion, Site: rep.Site, AsOf: apiTime(rep.AsOf), DataAt: apiTime(rep.DataAt),
		License: rep.License, Types: make([]licenseType, 0, len(rep.Types)), Capacity: rep.Capacity, UnmetDemand: unmet(rep)}
	for _, t := range rep.Types {
		hist := t.History
		if hist == nil {
			hist = []report.HistoryPoint{}
		}
		out.Types = append(out.Types, licenseType{Type: t.Type, Label: t.Label, PerUser: t.PerUser, Licensed: t.Licensed,
			Allocated: t.Allocated, Quarantined: t.Quarantined, Excess: t.Excess, Remaining: t.Remaining, Usage: t.Usage,
			Growth30PerMonth: t.Growth30PerMonth, Growth90PerMonth: t.Growth90PerMonth, History: hist})
	}
	return out
}

// forecastType is one type in the /forecast answer.
type forecastType struct {
	Type             license.Type    `json:"type"`
	Label            string          `json:"label"`
	Licensed         int64           `json:"licensed"`
	Allocated        int64           `json:"allocated"`
	Remaining        int64           `json:"remaining"`
	Growth30PerMonth *float64        `json:"growth30PerMonth"`
	Growth90PerMonth *float64        `json:"growth90PerMonth"`
	Forecast         report.Forecast `json:"forecast"`
}

type forecastResponse struct {
	SchemaVersion int                   `json:"schemaVersion"`
	Site          string                `json:"site"`
	AsOf          time.Time             `json:"asOf"`
	DataAt        time.Time             `json:"dataAt"`
	HorizonEnd    time.Time             `json:"horizonEnd"`
	HorizonDays   int                   `json:"horizonDays"`
	Settings      report.Settings       `json:"settings"`
	Types         []forecastType        `json:"types"`
	Plan          report.Plan           `json:"plan"`
	WhatIf        []report.WhatIf       `json:"whatIf"`
	Capacity      *report.CapacityMonth `json:"capacity,omitempty"`
	UnmetDemand   report.UnmetDemand    `json:"unmetDemand"`
	Notes         []string              `json:"notes"`
}

func (h *handler) apiForecast(w http.ResponseWriter, r *http.Request) {
	rep, ok := h.reportFor(w, r)
	if !ok {
		return
	}
	h.writeHeavyJSON(w, r, rep, "forecast", func() any { return forecastOf(rep) })
}

func forecastOf(rep *report.Report) forecastResponse {
	out := forecastResponse{SchemaVersion: rep.SchemaVersion, Site: rep.Site, AsOf: apiTime(rep.AsOf), DataAt: apiTime(rep.DataAt),
		HorizonEnd: apiTime(rep.HorizonEnd), HorizonDays: rep.HorizonDays, Settings: rep.Settings,
		Types: make([]forecastType, 0, len(rep.Types)), Plan: rep.Plan, WhatIf: rep.WhatIf,
		Capacity: rep.Capacity, UnmetDemand: unmet(rep), Notes: rep.Notes}
	for _, t := range rep.Types {
		out.Types = append(out.Types, forecastType{Type: t.Type, Label: t.Label, Licensed: t.Licensed, Allocated: t.Allocated,
			Remaining: t.Remaining, Growth30PerMonth: t.Growth30PerMonth, Growth90PerMonth: t.Growth90PerMonth, Forecast: t.Forecast})
	}
	if out.WhatIf == nil {
		out.WhatIf = []report.WhatIf{}
	}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	return out
}

// unmet is the report's unmet demand with an empty list rather than null
// (a report model built by hand may lack it).
func unmet(rep *report.Report) report.UnmetDemand {
	u := rep.UnmetDemand
	if u.Types == nil {
		u.Types = []report.UnmetType{}
	}
	return u
}

type candidatesResponse struct {
	SchemaVersion int             `json:"schemaVersion"`
	Site          string          `json:"site"`
	AsOf          time.Time       `json:"asOf"`
	Kind          string          `json:"kind"`
	Settings      report.Settings `json:"settings"`
	Total         int             `json:"total"`
	Offset        int             `json:"offset"`
	// Limit is the page size asked for (DefaultCandidatePage when none
	// was); Next is the offset of the next page, null on the last.
	Limit      int                `json:"limit"`
	Next       *int               `json:"next"`
	Candidates []report.Candidate `json:"candidates"`
}

// DefaultCandidatePage is the page size of /candidates without a limit:
// a 100k-user site has tens of thousands of candidates, which no client
// gets unless it asks for them (a limit of at least the total).
const DefaultCandidatePage = 100

func (h *handler) apiCandidates(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind != "" && !validKind(kind) {
		writeJSONError(w, http.StatusBadRequest, "bad-kind", "unknown candidate kind \""+kind+"\"",
			"use kind="+strings.ReplaceAll(kindNames(), ", ", "|")+", or leave it out for all kinds")
		return
	}
	limit, ok := intParam(w, r, "limit", DefaultCandidatePage, 0, 1<<31-1)
	if !ok {
		return
	}
	offset, ok := intParam(w, r, "offset", 0, 0, 1<<31-1)
	if !ok {
		return
	}
	rep, ok := h.reportFor(w, r)
	if !ok {
		return
	}
	if offset == 0 && limit >= candidatesTotal(rep, kind) {
		// The whole list: shared bytes, whatever limit covers it.
		h.writeHeavyJSON(w, r, rep, "candidates/"+kind, func() any { return candidatesPage(rep, kind, -1, 0) })
		return
	}
	// A page is encoded for this request alone, so it takes a slot while
	// it is encoded and sent.
	if !h.heavySlot(w, r, true) {
		return
	}
	defer h.heavy.release()
	writeJSON(w, http.StatusOK, candidatesPage(rep, kind, limit, offset))
}

// candidatesTotal is the number of candidates of kind ("" for all).
func candidatesTotal(rep *report.Report, kind string) int {
	n := 0
	for _, k := range candidateKinds {
		if kind == "" || kind == k.kind {
			n += len(candidatesOf(rep, k.kind))
		}
	}
	return n
}

// candidatesPage is the /candidates answer for kind ("" for all): limit
// entries from offset, or all of them from offset when limit < 0.
func candidatesPage(rep *report.Report, kind string, limit, offset int) candidatesResponse {
	var list []report.Candidate
	if kind != "" {
		list = candidatesOf(rep, kind)
	} else {
		kind = "all"
		for _, k := range candidateKinds {
			list = append(list, candidatesOf(rep, k.kind)...)
		}
	}
	out := candidatesResponse{SchemaVersion: rep.SchemaVersion, Site: rep.Site, AsOf: apiTime(rep.AsOf), Kind: kind,
		Settings: rep.Settings, Total: len(list), Offset: offset, Limit: limit}
	page := list[min(offset, len(list)):]
	if limit >= 0 {
		page = page[:min(limit, len(page))]
	} else {
		out.Limit = len(page)
	}
	if end := offset + len(page); end < len(list) {
		out.Next = &end
	}
	out.Candidates = page
	if out.Candidates == nil {
		out.Candidates = []report.Candidate{}
	}
	return out
}

func (h *handler) apiReport(w http.ResponseWriter, r *http.Request) {
	rep, ok := h.reportFor(w, r)
	if !ok {
		return
	}
	// The same writer as `licmon report --format json`, with the same
	// candidates: the counts and the first DefaultCandidateLimit of each
	// list (the rest is paged by /candidates).
	body, err := h.heavy.bytes(rep, "report", func(w io.Writer) error {
		return report.WriteJSON(w, rep.WithCandidateLimit(report.DefaultCandidateLimit))
	})
	if errors.Is(err, errEncoding) {
		h.busy(w, r, true)
		return
	}
	if err != nil {
		h.apiBackendError(w, r, rep.Site, err)
		return
	}
	h.sendEncoded(w, r, true, jsonType, body)
}

func (h *handler) apiAlerts(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status != "" && status != AlertFiring && status != AlertResolved {
		writeJSONError(w, http.StatusBadRequest, "bad-status", "unknown alert status \""+status+"\"",
			"use status=firing or status=resolved, or leave it out for all")
		return
	}
	alerts, err := h.b.Alerts(r.Context())
	if err != nil {
		h.apiBackendError(w, r, "", err)
		return
	}
	out := make([]AlertState, 0, len(alerts))
	for _, a := range alerts {
		if status == "" || a.Status == status {
			a.Since, a.LastSent = apiTime(a.Since), apiTime(a.LastSent)
			out = append(out, a)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Alerts []AlertState `json:"alerts"`
	}{out})
}

// intParam reads an integer query parameter in [lo, hi]; it answers a 400
// itself and returns ok false when the value is bad.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		writeJSONError(w, http.StatusBadRequest, "bad-parameter",
			name+" must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+", not \""+s+"\"", "")
		return 0, false
	}
	return n, true
}

//go:embed openapi.yaml
var openAPIYAML []byte

func (h *handler) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(openAPIYAML)
}
