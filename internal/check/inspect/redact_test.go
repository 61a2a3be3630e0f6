package inspect_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/check/inspect"
)

// TestServerUserinfoNotPrinted checks that a server URL with user:password@
// appears masked in the check report and its text and JSON output.
func TestServerUserinfoNotPrinted(t *testing.T) {
	r := inspect.Failed(inspect.Options{Site: "prod", Server: "https://admin:s3cret@qlik.example.com:4242"}, errors.New("no certificate"))
	var text, js bytes.Buffer
	if err := check.WriteText(&text, []*check.Report{r}); err != nil {
		t.Fatal(err)
	}
	if err := check.WriteJSON(&js, []*check.Report{r}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"report": r.Server, "text": text.String(), "json": js.String()} {
		if strings.Contains(out, "s3cret") || strings.Contains(out, "admin:") {
			t.Errorf("%s shows the server's user info: %s", name, out)
		}
	}
	if !strings.Contains(text.String(), "https://*****@qlik.example.com:4242") {
		t.Errorf("text does not name the server:\n%s", text.String())
	}
}
