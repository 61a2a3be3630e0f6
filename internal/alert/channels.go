package alert

import (
	"errors"
	"fmt"
	"strings"

	"github.com/licmon/licmon/internal/config"
	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/email"
	"github.com/licmon/licmon/internal/notify/httppost"
	"github.com/licmon/licmon/internal/notify/slack"
	"github.com/licmon/licmon/internal/notify/teams"
	"github.com/licmon/licmon/internal/notify/webhook"
)

// Notifiers builds the channels of the configuration; every invalid channel
// is reported at once.
func Notifiers(ch config.Channels, opts httppost.Options) ([]notify.Notifier, error) {
	var out []notify.Notifier
	var errs []error
	add := func(n notify.Notifier, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, n)
	}
	for _, c := range ch.Webhook {
		n, err := webhook.New(c, opts)
		add(n, err)
	}
	for _, c := range ch.Slack {
		n, err := slack.New(c, opts)
		add(n, err)
	}
	for _, c := range ch.Teams {
		n, err := teams.New(c, opts)
		add(n, err)
	}
	for _, c := range ch.Email {
		n, err := email.New(c, opts)
		add(n, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("alert channels: %w", err)
	}
	return out, nil
}

// Find returns the channel named name (case-insensitive).
func Find(ns []notify.Notifier, name string) (notify.Notifier, error) {
	var names []string
	for _, n := range ns {
		if strings.EqualFold(n.Name(), name) {
			return n, nil
		}
		names = append(names, n.Name())
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no channel named %q: the configuration defines no channels (see README, Alerts)", name)
	}
	return nil, fmt.Errorf("no channel named %q (channels: %s)", name, strings.Join(names, ", "))
}
