package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
	"github.com/licmon/licmon/internal/notify/notifytest"
)

var now = time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)

var tiny = notify.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxElapsed: time.Minute}

func TestSlackPayloadGolden(t *testing.T) {
	rcv := notifytest.NewReceiver(t, "ok")
	n, err := New(Config{URL: rcv.URL + "/services/T0/B0/SECRET"}, httppost.Options{Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Test(t.Context(), n, tiny, now); err != nil {
		t.Fatal(err)
	}
	res := notify.SampleAlert(now)
	res.Status, res.EndsAt, res.Severity = notify.StatusResolved, now.Add(time.Minute), notify.SeverityOK
	res.LogHead, res.LogTail = nil, nil
	if err := notify.Send(t.Context(), n, res, tiny); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/services/T0/B0/SECRET" || reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("requests = %+v", reqs)
	}
	notifytest.Golden(t, "firing.json", reqs[0].Body)
	notifytest.Golden(t, "resolved.json", reqs[1].Body)

	var m Message
	if err := json.Unmarshal(reqs[1].Body, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "✅ RESOLVED: License Monitor reload failed") || m.Blocks[0].Type != "header" {
		t.Errorf("resolved text %q", m.Text)
	}
}

func TestSlackEscapesMrkdwn(t *testing.T) {
	a := notify.SampleAlert(now)
	a.Summary = `<!channel> "quoted" & <https://evil.example|click>`
	a.LogTail = []string{"x > y && <z>", "```break out```"}
	m := Build(a, "")
	body, _ := json.Marshal(m)
	if strings.Contains(string(body), "<!channel>") || strings.Contains(string(body), `\u003c`) {
		t.Fatalf("unescaped mention or HTML-escaped JSON: %s", body)
	}
	if got := m.Blocks[1].Text.Text; got != `&lt;!channel&gt; "quoted" &amp; &lt;https://evil.example|click&gt;` {
		t.Errorf("summary = %q", got)
	}
	var logText string
	for _, b := range m.Blocks {
		if b.Text != nil && strings.HasPrefix(b.Text.Text, "*Script log, last lines*") {
			logText = b.Text.Text
		}
	}
	if want := "*Script log, last lines*\n```\nx &gt; y &amp;&amp; &lt;z&gt;\n'''break out'''\n```"; logText != want {
		t.Errorf("log block = %q, want %q", logText, want)
	}
}

func TestSlackTruncatesLongLogTail(t *testing.T) {
	a := notify.SampleAlert(now)
	a.LogTail = nil
	for i := range 400 {
		a.LogTail = append(a.LogTail, fmt.Sprintf("20261126T185703.000+0000 %04d <Error> & \"stuff\" %s", i, strings.Repeat("é", 40)))
	}
	a.LogTail = append(a.LogTail, strings.Repeat("L", 5000), "Execution Failed")
	a.Title = strings.Repeat("T", 400)
	a.Details = []string{strings.Repeat("d", 4000)}
	m := Build(a, "1.2.3")
	if len(m.Blocks) > maxBlocks {
		t.Fatalf("%d blocks", len(m.Blocks))
	}
	if n := utf8.RuneCountInString(m.Blocks[0].Text.Text); n > maxHeaderText {
		t.Errorf("header has %d chars", n)
	}
	var tail string
	for _, b := range m.Blocks {
		if b.Text != nil {
			if n := utf8.RuneCountInString(b.Text.Text); n > maxSectionText {
				t.Errorf("%s block has %d chars > %d", b.Type, n, maxSectionText)
			}
			if strings.HasPrefix(b.Text.Text, "*Script log, last lines*") {
				tail = b.Text.Text
			}
		}
		for _, f := range b.Fields {
			if utf8.RuneCountInString(f.Text) > maxFieldText {
				t.Errorf("field too long")
			}
		}
	}
	if !strings.Contains(tail, "earlier lines omitted") || !strings.HasSuffix(tail, "Execution Failed\n```") {
		t.Errorf("tail block does not keep the end with a note:\n%s", tail)
	}
	if !strings.Contains(tail, "&lt;Error&gt; &amp;") {
		t.Errorf("tail not escaped")
	}
}

func TestSlackErrors(t *testing.T) {
	t.Run("404 no_service is permanent and the URL stays secret", func(t *testing.T) {
		rcv := notifytest.NewReceiver(t, "no_service", 404)
		n, _ := New(Config{URL: rcv.URL + "/services/T0/B0/SECRET"}, httppost.Options{})
		err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny)
		if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "HTTP 404 Not Found: no_service") {
			t.Fatalf("err = %v", err)
		}
		if len(rcv.Requests()) != 1 {
			t.Errorf("retried a 404")
		}
	})
	t.Run("500 then ok", func(t *testing.T) {
		rcv := notifytest.NewReceiver(t, "", 500)
		n, _ := New(Config{URL: rcv.URL}, httppost.Options{})
		if err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny); err != nil || len(rcv.Requests()) != 2 {
			t.Fatalf("err = %v, requests = %d", err, len(rcv.Requests()))
		}
	})
	t.Run("missing url", func(t *testing.T) {
		_, err := New(Config{Name: "ops-slack"}, httppost.Options{})
		if !errors.Is(err, notify.ErrMissing) || err.Error() != "ops-slack config: url: required setting is empty" {
			t.Errorf("err = %v", err)
		}
	})
}
