package config

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/licmon/licmon/internal/qrs"
)

// QRS returns the QRS client configuration of the site: the certificate
// files (from cert_dir with the QMC export names unless set one by one), the
// X-Qlik-User identity, or the proxy credentials.
func (s *Site) QRS(userAgent string, log *slog.Logger) (qrs.Config, error) {
	mode, err := qrs.ParseAuthMode(s.AuthMode())
	if err != nil {
		return qrs.Config{}, err
	}
	cfg := qrs.Config{
		Server: s.Server, Insecure: s.Insecure, ServerName: s.ServerName, Auth: mode,
		JWT: s.JWT, HeaderName: s.HeaderName, HeaderValue: s.HeaderValue,
		Timeout: time.Duration(s.Timeout), UserAgent: userAgent, Logger: log,
		Limits: qrs.Limits{ScriptLog: s.MaxScriptLogMB << 20},
	}
	if mode == qrs.AuthCertificate {
		cfg.CertFile, cfg.KeyFile, cfg.CAFile = s.Files()
		if cfg.UserDirectory, cfg.UserID, err = SplitUser(s.UserOrDefault()); err != nil {
			return qrs.Config{}, err
		}
	} else if _, _, ca := s.Files(); ca != "" {
		cfg.CAFile = ca // a proxy with the site's own certificate
	}
	return cfg, nil
}

// Client builds the site's QRS client, identified to the server as
// licmon/version: the one way every command and the daemon connect to a
// site.
func (s *Site) Client(version string, log *slog.Logger) (*qrs.Client, error) {
	cfg, err := s.QRS("licmon/"+version, log)
	if err != nil {
		return nil, err
	}
	c, err := qrs.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("site %s: %w", s.Name, err)
	}
	return c, nil
}
