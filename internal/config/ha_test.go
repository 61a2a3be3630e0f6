package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/config"
)

const fleetYAML = `
sites:
  - {name: prod-emea, server: 'https://emea:4242', cert_dir: c, labels: {env: prod, region: emea}}
  - {name: prod-amer, server: 'https://amer:4242', cert_dir: c, labels: {env: prod, region: amer}}
  - {name: test, server: 'https://test:4242', cert_dir: c, labels: {env: test}}
serve:
  instance: licmon-a
  leader_poll: 5s
  sites:
    names: [Test]
    labels: {env: prod, region: emea}
`

func TestServeSitesSelectByNameOrLabels(t *testing.T) {
	c, err := parse(t, fleetYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Serve.Sites.Select(c.Sites) {
		got = append(got, s.Name)
	}
	if strings.Join(got, " ") != "prod-emea test" {
		t.Fatalf("selected %v, want prod-emea (labels) and test (name)", got)
	}
	if c.Serve.Instance != "licmon-a" || c.Serve.LeaderPollOrDefault() != 5*time.Second {
		t.Fatalf("instance %q poll %s", c.Serve.Instance, c.Serve.LeaderPollOrDefault())
	}
	if sh := c.Serve.Sites.Shard(); sh != "names=test labels=env=prod,region=emea" {
		t.Fatalf("shard %q", sh)
	}
}

// Two instances that list the same sites in another order or case are one
// group, so they compete for one lock; another selection is another shard.
func TestShardNameIgnoresOrder(t *testing.T) {
	a := config.SiteSelector{Names: []string{"b", "A"}, Labels: map[string]string{"env": "prod", "region": "emea"}}
	b := config.SiteSelector{Names: []string{"a", "B", "a"}, Labels: map[string]string{"region": "emea", "env": "prod"}}
	if a.Shard() != b.Shard() {
		t.Fatalf("%q != %q", a.Shard(), b.Shard())
	}
	if (config.SiteSelector{}).Shard() != "all" || a.Shard() == (config.SiteSelector{Names: []string{"a"}}).Shard() {
		t.Fatal("different selections share a shard")
	}
	if !(config.SiteSelector{}).Match(config.Site{Name: "x"}) {
		t.Fatal("an empty selection must select every site")
	}
}

func TestServeSitesDefaultsAndErrors(t *testing.T) {
	c, err := parse(t, "sites:\n- {name: a, server: 'https://h:4242', cert_dir: c}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Serve.LeaderPollOrDefault() != config.DefaultLeaderPoll || !c.Serve.Sites.Empty() {
		t.Fatal("defaults: poll and every site")
	}
	const site = "sites:\n- {name: a, server: 'https://h:4242', cert_dir: c, labels: {env: prod}}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown name", site + "serve:\n  sites: {names: [b]}\n", `serve.sites.names: "b" is not a site of this configuration (sites: a)`},
		{"selects none", site + "serve:\n  sites: {labels: {env: test}}\n", "serve.sites: selects none of the sites (a)"},
		{"empty label value", site + "serve:\n  sites: {labels: {env: ''}}\n", `serve.sites.labels: label "env"`},
		{"bad site label", "sites:\n- {name: a, server: 'https://h:4242', cert_dir: c, labels: {'1x': y}}\n", `sites[a].labels: label "1x"`},
		{"poll too long", site + "serve:\n  leader_poll: 2m\n", "serve.leader_poll: 2m0s must be within 1s–30s"},
		{"poll too short", site + "serve:\n  leader_poll: 100ms\n", "serve.leader_poll"},
		{"instance control char", site + "serve:\n  instance: \"a\\tb\"\n", "serve.instance: must be at most 50 printable"},
		{"unknown key", site + "serve:\n  sites: {name: [a]}\n", `unknown key "name" in serve.sites`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.yaml, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
