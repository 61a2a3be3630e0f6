package config

import (
	"fmt"
	"io"
	"net/url"

	"github.com/licmon/licmon/internal/qrs"
	"github.com/licmon/licmon/internal/store"
	"go.yaml.in/yaml/v3"
)

// Masked returns a copy with every secret replaced, for printing.
func (c *Config) Masked() *Config {
	m := *c
	m.DB = store.RedactDSN(c.DB)
	m.Sites = make([]Site, len(c.Sites))
	for i, s := range c.Sites {
		if u, err := url.Parse(s.Server); err == nil {
			if _, ok := u.User.Password(); ok {
				s.Server = u.Redacted()
			}
		}
		if s.JWT != "" {
			s.JWT = mask(s.JWT)
		}
		if s.HeaderValue != "" {
			s.HeaderValue = mask(s.HeaderValue)
		}
		s.Server = qrs.RedactURL(s.Server)
		m.Sites[i] = s
	}
	m.maskServe()
	return &m
}

func mask(string) string { return "*****" }

// WriteYAML prints the configuration as YAML.
func (c *Config) WriteYAML(w io.Writer) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return enc.Close()
}

// WithDefaults returns a copy with the defaults of every setting licmon
// reads filled in (the values the accessors return when a key is absent),
// so that `licmon config check --defaults` shows what is in force.
func (c *Config) WithDefaults() *Config {
	d := *c
	d.Sites = make([]Site, len(c.Sites))
	for i, s := range c.Sites {
		s.Auth = s.AuthMode()
		if s.Auth == AuthCertificate {
			s.User = s.UserOrDefault()
		}
		s.Task = c.TaskFor(&s)
		d.Sites[i] = s
	}
	if d.Serve.Listen == "" {
		d.Serve.Listen = DefaultListen
	}
	if d.Serve.ReadyTimeout == 0 {
		d.Serve.ReadyTimeout = Duration(DefaultReadyTimeout)
	}
	sc := &d.Schedule
	sc.CheckEvery, sc.CheckJitter, sc.CheckTimeout = Duration(sc.CheckInterval()), Duration(sc.CheckJitterOrDefault()), Duration(sc.CheckTimeoutOrDefault())
	sc.CollectJitter, sc.CollectTimeout, sc.LogsEvery = Duration(sc.CollectJitterOrDefault()), Duration(sc.CollectTimeoutOrDefault()), Duration(sc.LogsInterval())
	if sc.CollectAt == "" {
		sc.CollectAt = DefaultCollectAt
	}
	a := &d.Alerts
	a.ResendInterval = Duration(a.ResendOrDefault())
	resolved := a.Resolved()
	a.SendResolved = &resolved
	head, tail := a.LogLines()
	a.LogHeadLines, a.LogTailLines = head, tail
	if head == 0 {
		a.LogHeadLines = -1
	}
	if tail == 0 {
		a.LogTailLines = -1
	}
	return &d
}

// WriteSetYAML prints only the settings the file sets, with their values
// as licmon reads them (${ENV} expanded, relative paths resolved): what
// an admin wrote, without the defaults WriteYAML of WithDefaults adds.
func (c *Config) WriteSetYAML(w io.Writer) error {
	if c.doc == nil || len(c.doc.Content) == 0 {
		return nil
	}
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	keepSet(&n, c.doc.Content[0])
	if len(n.Content) == 0 {
		return nil
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return enc.Close()
}

// keepSet removes from the encoded configuration n every key the file's
// node set does not have, mapping by mapping and list item by list item.
func keepSet(n, set *yaml.Node) {
	for set.Kind == yaml.AliasNode && set.Alias != nil {
		set = set.Alias
	}
	switch {
	case n.Kind == yaml.MappingNode && set.Kind == yaml.MappingNode:
		given := map[string]*yaml.Node{}
		for i := 0; i+1 < len(set.Content); i += 2 {
			if set.Content[i].Value == "<<" {
				return // a merge key sets what it merges: keep the whole mapping
			}
			given[set.Content[i].Value] = set.Content[i+1]
		}
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v, ok := given[n.Content[i].Value]; ok {
				keepSet(n.Content[i+1], v)
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
	case n.Kind == yaml.SequenceNode && set.Kind == yaml.SequenceNode:
		for i := range min(len(n.Content), len(set.Content)) {
			keepSet(n.Content[i], set.Content[i])
		}
	}
}
