package teams

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
	"github.com/licmon/licmon/internal/notify/notifytest"
)

var now = time.Date(2026, 11, 26, 19, 0, 0, 0, time.UTC)

var tiny = notify.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxElapsed: time.Minute}

func TestTeamsPayloadGolden(t *testing.T) {
	rcv := notifytest.NewReceiver(t, "", 202, 202)
	n, err := New(Config{URL: rcv.URL + "/workflows/abc/triggers/manual/paths/invoke?sig=SECRET"}, httppost.Options{Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.Test(t.Context(), n, tiny, now); err != nil {
		t.Fatal(err)
	}
	res := notify.SampleAlert(now)
	res.Status, res.EndsAt = notify.StatusResolved, now.Add(time.Minute)
	res.Title = `Reload "fixed" <prod> & co`
	res.LogHead, res.LogTail, res.DashboardURL = nil, nil, ""
	if err := notify.Send(t.Context(), n, res, tiny); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.Requests()
	if len(reqs) != 2 || !strings.HasSuffix(reqs[0].Path, "sig=SECRET") {
		t.Fatalf("requests = %+v", reqs)
	}
	notifytest.Golden(t, "firing.json", reqs[0].Body)
	notifytest.Golden(t, "resolved.json", reqs[1].Body)

	// Shape check independent of the golden file: the Workflows envelope.
	var raw map[string]any
	if err := json.Unmarshal(reqs[0].Body, &raw); err != nil {
		t.Fatal(err)
	}
	att := raw["attachments"].([]any)[0].(map[string]any)
	card := att["content"].(map[string]any)
	if raw["type"] != "message" || att["contentType"] != "application/vnd.microsoft.card.adaptive" ||
		card["$schema"] != "http://adaptivecards.io/schemas/adaptive-card.json" || card["type"] != "AdaptiveCard" || card["version"] != "1.4" {
		t.Errorf("envelope = %s", reqs[0].Body)
	}
	act := card["actions"].([]any)[0].(map[string]any)
	if act["type"] != "Action.OpenUrl" || act["url"] != "http://localhost:8480/alerts/prod/lm-task-failed" {
		t.Errorf("action = %v", act)
	}
	if strings.Contains(string(reqs[0].Body), "MessageCard") {
		t.Error("legacy MessageCard format")
	}

	var p Payload
	json.Unmarshal(reqs[1].Body, &p)
	c := p.Attachments[0].Content
	if got := c.Body[0].Items[0]; got.Text != `✅ RESOLVED: Reload "fixed" <prod> & co` || got.Color != "Good" || c.Body[0].Style != "good" {
		t.Errorf("resolved title block = %+v", got)
	}
	if c.Actions != nil {
		t.Errorf("no dashboard URL but actions %v", c.Actions)
	}
}

func TestTeamsFitsSizeLimit(t *testing.T) {
	a := notify.SampleAlert(now)
	a.LogHead, a.LogTail = nil, nil
	for i := range 2000 {
		a.LogHead = append(a.LogHead, fmt.Sprintf("%04d head %s", i, strings.Repeat("h", 300)))
		a.LogTail = append(a.LogTail, fmt.Sprintf("%04d tail <&> %s", i, strings.Repeat("t", 300)))
	}
	a.LogTail = append(a.LogTail, "Execution Failed")
	for range 30 {
		a.Details = append(a.Details, strings.Repeat("detail ", 200))
	}
	body, err := Encode(a, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > maxPayload {
		t.Fatalf("payload %d bytes > %d", len(body), maxPayload)
	}
	s := string(body)
	if !strings.Contains(s, "earlier lines omitted") || !strings.Contains(s, "Execution Failed") {
		t.Errorf("truncated tail lacks note or last line")
	}
}

func TestTeamsErrorsAndConfig(t *testing.T) {
	rcv := notifytest.NewReceiver(t, `{"error":{"code":"InvalidRequestContent"}}`, 400)
	n, _ := New(Config{URL: rcv.URL + "/x?sig=SECRET"}, httppost.Options{})
	err := notify.Send(t.Context(), n, notify.SampleAlert(now), tiny)
	if err == nil || strings.Contains(err.Error(), "SECRET") || len(rcv.Requests()) != 1 {
		t.Fatalf("err = %v, requests %d", err, len(rcv.Requests()))
	}

	_, err = New(Config{URL: "https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def"}, httppost.Options{})
	var ce *notify.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "retired Office 365 connector URL") || strings.Contains(err.Error(), "IncomingWebhook") {
		t.Errorf("connector URL: %v", err)
	}
	if _, err := New(Config{}, httppost.Options{}); !errors.Is(err, notify.ErrMissing) {
		t.Errorf("missing url: %v", err)
	}
}
