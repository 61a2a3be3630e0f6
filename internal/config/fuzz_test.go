package config_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/config"
)

// fuzzSecret is what ${LICMON_FUZZ_SECRET} expands to.
const fuzzSecret = "fz-S3cr3t-9b1e7"

// FuzzParse feeds arbitrary YAML to the config loader: it must return a
// configuration or an error, never panic; an error never repeats a secret
// that came from the environment; a masked configuration shows no JWT or
// header value.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/good.yaml", "testdata/unknown-key.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("sites:\n  - name: a\n    server: https://q:4242\n    auth: jwt\n    jwt: ${LICMON_FUZZ_SECRET}\n"))
	f.Add([]byte("sites:\n  - name: a\n    server: https://q/hdr\n    auth: header\n    header_name: hdr-usr\n    header_value: ${LICMON_FUZZ_SECRET}\n    timeout: 1d\n"))
	f.Add([]byte("sites:\n  - name: a\n    server: ${LICMON_FUZZ_SECRET}\n    jwt: [${LICMON_FUZZ_SECRET}]\n"))
	f.Add([]byte("serve:\n  listen: :8080\nschedule:\n  collect_at: '06:00'\n"))
	env := func(k string) (string, bool) {
		if k == "LICMON_FUZZ_SECRET" {
			return fuzzSecret, true
		}
		return "", false
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, in []byte) {
		if bytes.Contains(in, []byte(fuzzSecret)) {
			return // a literal secret may be echoed; only expanded ones must not
		}
		// The secret goes only into secret fields (a site named after it may
		// rightly be named in an error).
		refs := bytes.Count(in, []byte("LICMON_FUZZ_SECRET"))
		inSecrets := bytes.Count(in, []byte("\n    jwt: ${LICMON_FUZZ_SECRET}\n")) +
			bytes.Count(in, []byte("\n    header_value: ${LICMON_FUZZ_SECRET}\n"))
		c, err := config.Parse(bytes.NewReader(in), dir, env)
		if err != nil {
			if refs == inSecrets && strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("error repeats a secret from the environment: %v", err)
			}
			return
		}
		for _, s := range c.Masked().Sites {
			if (s.JWT != "" && s.JWT != "*****") || (s.HeaderValue != "" && s.HeaderValue != "*****") {
				t.Fatalf("masked site %q shows a secret", s.Name)
			}
		}
		var out bytes.Buffer
		if err := c.Masked().WriteYAML(&out); err != nil {
			t.Fatalf("WriteYAML of a parsed config: %v", err)
		}
		if err := c.Masked().WriteSetYAML(&out); err != nil {
			t.Fatalf("WriteSetYAML of a parsed config: %v", err)
		}
		if err := c.WithDefaults().Masked().WriteYAML(&out); err != nil {
			t.Fatalf("WriteYAML of a parsed config with defaults: %v", err)
		}
	})
}
