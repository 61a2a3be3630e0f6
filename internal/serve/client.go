package serve

import (
	"log/slog"

	"github.com/licmon/licmon/internal/config"
)

// QRSClient builds the QRS client of a configured site, as the other
// commands do; it is the usual Options.NewClient.
func QRSClient(version string, log *slog.Logger) func(s config.Site) (Client, error) {
	return func(s config.Site) (Client, error) {
		c, err := s.Client(version, log)
		if err != nil {
			return nil, err // not a typed nil inside the interface
		}
		return c, nil
	}
}
