package serve

import (
	"context"
	"errors"
	"time"

	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/logimport"
	"github.com/licmon/licmon/internal/metrics"
	"github.com/licmon/licmon/internal/store"
)

// maxLoggedWarnings bounds the import warnings written to the daemon's log
// per run; the rest are counted.
const maxLoggedWarnings = 20

// runLogs imports what is new in the site's log folders (files already
// imported are skipped by size and checksum, so a run reads only the grown
// active files and the newly rolled ones) and refreshes the figures
// /metrics shows.
func (s *Server) runLogs(ctx context.Context, st *siteState) error {
	start := time.Now()
	// The import saves in batches under the write lock, so collections and
	// check saves interleave with it instead of timing out behind it.
	res, err := logimport.Import(ctx, s.st, st.cfg.Logs, logimport.Options{Site: st.cfg.Name, WriteLock: &s.writeMu})
	l := &metrics.Logs{Import: &metrics.Run{Success: err == nil, Duration: time.Since(start)}}
	if res != nil {
		for i, w := range res.Warnings {
			if i == maxLoggedWarnings {
				s.log.Warn("log import: more warnings", "site", st.cfg.Name, "count", len(res.Warnings)-i+res.DroppedWarnings)
				break
			}
			s.log.Warn("log import", "site", st.cfg.Name, "file", w.File, "warning", w.Text)
		}
		s.log.Info("log import", "site", st.cfg.Name, "read", res.Read, "skipped", res.Skipped, "rows", res.Rows,
			"denials", res.Denials, "took", time.Since(start).Round(time.Millisecond))
	}
	if err == nil {
		s.logsDay(ctx, st.cfg.Name, l)
	}
	st.mu.Lock()
	st.logs = l
	st.mu.Unlock()
	return err
}

// logsDay fills the figures of the latest complete UTC day (yesterday):
// today's are partial until the day ends.
func (s *Server) logsDay(ctx context.Context, site string, l *metrics.Logs) {
	day := license.Day(s.opts.Now()).AddDate(0, 0, -1)
	act, err := s.st.LogActivity(ctx, site, day, day)
	if err != nil {
		if !errors.Is(err, store.ErrUnknownSite) {
			s.log.Warn("read log activity", "site", site, "err", err)
		}
		return
	}
	l.DayKnown, l.DayUnix = true, day.Unix()
	l.ActiveUsers, l.Denials = map[license.Type]int64{}, map[license.Type]int64{}
	for _, a := range act {
		l.ActiveUsers[a.Type] += a.Users
	}
	for _, typ := range license.Types() {
		den, err := s.st.Denials(ctx, site, typ, day, day)
		if err != nil {
			s.log.Warn("read denials", "site", site, "err", err)
			return
		}
		for _, d := range den {
			if d.Source == license.DenialsFromLogs {
				l.Denials[typ] = d.Denials
			}
		}
		if _, ok := l.Denials[typ]; !ok && typ.PerUser() {
			l.Denials[typ] = 0 // measured: the logs show no denial that day
		}
	}
}

// Logs implements web.LogsBackend.
func (b *backend) Logs(ctx context.Context, site string) (*logimport.Summary, error) {
	st, err := b.site(site)
	if err != nil {
		return nil, err
	}
	sum, err := logimport.Summarize(ctx, b.s.st, st.cfg.Name)
	if errors.Is(err, store.ErrUnknownSite) {
		return nil, nil
	}
	return sum, err
}
