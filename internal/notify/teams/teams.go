// Package teams delivers licmon alerts to Microsoft Teams through a
// Workflows (Power Automate) "post to a channel when a webhook request is
// received" URL, as an Adaptive Card 1.4.
//
// The Office 365 connector MessageCard format is deliberately not supported:
// Microsoft retired those connectors, so only Workflows URLs keep working.
package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
)

const (
	// CardContentType is the attachment content type of an Adaptive Card.
	CardContentType = "application/vnd.microsoft.card.adaptive"
	// CardSchema and CardVersion identify the card format; 1.4 renders in
	// Teams desktop, web and mobile.
	CardSchema  = "http://adaptivecards.io/schemas/adaptive-card.json"
	CardVersion = "1.4"
	// maxPayload keeps the body under Teams' ~28 KB message limit with room
	// for the envelope Power Automate adds.
	maxPayload = 24 << 10
)

// Config is one Teams Workflows webhook in licmon.yaml.
type Config struct {
	// Name identifies this channel in logs and `licmon alert test`;
	// default "teams".
	Name string `yaml:"name"`
	// URL is the Workflows trigger URL (it carries a signature, so prefer
	// URLFile).
	URL     string `yaml:"url"`
	URLFile string `yaml:"url_file"`
	// Timeout bounds one attempt; default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Payload is the body posted to the Workflows URL.
type Payload struct {
	Type        string       `json:"type"`
	Attachments []Attachment `json:"attachments"`
}

// Attachment wraps the card.
type Attachment struct {
	ContentType string  `json:"contentType"`
	ContentURL  *string `json:"contentUrl"`
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	MSTeams MSTeams   `json:"msteams"`
	Body    []Element `json:"body"`
	Actions []Action  `json:"actions,omitempty"`
}

// MSTeams holds Teams-specific card options.
type MSTeams struct {
	Width string `json:"width"`
}

// Element is a card element (TextBlock, RichTextBlock, TextRun, FactSet,
// Container); only the properties licmon uses.
type Element struct {
	Type      string    `json:"type"`
	Text      string    `json:"text,omitempty"`
	Weight    string    `json:"weight,omitempty"`
	Size      string    `json:"size,omitempty"`
	Color     string    `json:"color,omitempty"`
	FontType  string    `json:"fontType,omitempty"`
	Wrap      bool      `json:"wrap,omitempty"`
	IsSubtle  bool      `json:"isSubtle,omitempty"`
	Separator bool      `json:"separator,omitempty"`
	Spacing   string    `json:"spacing,omitempty"`
	Style     string    `json:"style,omitempty"`
	Bleed     bool      `json:"bleed,omitempty"`
	Items     []Element `json:"items,omitempty"`
	Inlines   []Element `json:"inlines,omitempty"`
	Facts     []Fact    `json:"facts,omitempty"`
}

// Fact is one FactSet row.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action is an Action.OpenUrl button.
type Action struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Notifier posts alerts to one Teams Workflows URL.
type Notifier struct {
	target  *httppost.Target
	version string
}

// New validates cfg, reads url_file and returns a Notifier.
func New(cfg Config, opts httppost.Options) (*Notifier, error) {
	t, err := httppost.NewTarget(cfg.Name, "teams", cfg.URL, cfg.URLFile, cfg.Timeout, opts)
	if err != nil {
		return nil, err
	}
	if strings.Contains(strings.ToLower(t.URL.Host), "webhook.office.com") {
		return nil, &notify.ConfigError{Channel: t.Name, Field: "url", Err: fmt.Errorf(
			"%s is a retired Office 365 connector URL; create a Teams Workflow (\"Post to a channel when a webhook request is received\") and use its URL", t.URL.Host)}
	}
	return &Notifier{target: t, version: opts.Version}, nil
}

// Name implements notify.Notifier.
func (n *Notifier) Name() string { return n.target.Name }

// Notify implements notify.Notifier. Workflows answer 202 Accepted.
func (n *Notifier) Notify(ctx context.Context, a notify.Alert) (bool, error) {
	body, err := Encode(a, n.version)
	if err != nil {
		return false, err
	}
	return n.target.Post(ctx, nil, body)
}

// Encode returns the JSON payload for a, exactly as posted, shrinking the
// log excerpts until the body fits Teams' size limit.
func Encode(a notify.Alert, version string) ([]byte, error) {
	var last []byte
	for _, budget := range []int{4000, 2000, 800, 0} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(Build(a, version, budget)); err != nil {
			return nil, fmt.Errorf("encode teams payload: %w", err)
		}
		last = bytes.TrimRight(b.Bytes(), "\n")
		if len(last) <= maxPayload {
			return last, nil
		}
	}
	return nil, fmt.Errorf("encode teams payload: %d bytes even without log lines, over the %d-byte limit", len(last), maxPayload)
}

// Build renders a as a Workflows payload; logBudget caps each log excerpt
// in characters (0 leaves the excerpts out).
func Build(a notify.Alert, version string, logBudget int) Payload {
	m := notify.Render(a)
	style, colour := "attention", "Attention"
	switch {
	case m.Resolved || m.Severity == notify.SeverityOK:
		style, colour = "good", "Good"
	case m.Severity == notify.SeverityWarning:
		style, colour = "warning", "Warning"
	}
	var body []Element
	body = append(body, Element{Type: "Container", Style: style, Bleed: true, Items: []Element{
		{Type: "TextBlock", Text: notify.Truncate(m.TitleLine(), 300), Weight: "Bolder", Size: "Medium", Color: colour, Wrap: true},
	}})
	if m.Summary != "" {
		body = append(body, richText(notify.Truncate(m.Summary, 2000), ""))
	}
	if len(m.Fields) > 0 {
		body = append(body, factSet(m.Fields))
	}
	if len(m.Diagnosis) > 0 {
		body = append(body, heading("Diagnosis"))
		var facts []notify.Field
		var long []Element
		for _, f := range m.Diagnosis {
			switch f.Name {
			case "Code", "Connection", "Line":
				facts = append(facts, f)
			default:
				// Free text goes into a TextRun, which Teams does not parse
				// as markdown, so "*" or "_" in an error stay literal.
				long = append(long, Element{Type: "RichTextBlock", Inlines: []Element{
					{Type: "TextRun", Text: f.Name + ": ", Weight: "Bolder"},
					{Type: "TextRun", Text: notify.Truncate(f.Value, 1500), FontType: monoIf(f.Name == "Statement")},
				}})
			}
		}
		if len(facts) > 0 {
			body = append(body, factSet(facts))
		}
		body = append(body, long...)
	}
	if len(m.Details) > 0 {
		text, _ := notify.FitLines(m.Details, 2000, false, func(l string) string { return "• " + l })
		body = append(body, heading("Details"), richText(text, ""))
	}
	addLog := func(title string, lines []string, keepEnd bool) {
		if len(lines) == 0 || logBudget <= 0 {
			return
		}
		text, _ := notify.FitLines(lines, logBudget, keepEnd, nil)
		body = append(body, heading(title), Element{Type: "Container", Style: "emphasis", Items: []Element{richText(text, "Monospace")}})
	}
	addLog("Script log, first lines", m.LogHead, false)
	addLog("Script log, last lines", m.LogTail, true)

	var ctxParts []string
	for _, l := range m.Labels {
		ctxParts = append(ctxParts, l.Name+"="+l.Value)
	}
	if a.Key != "" {
		ctxParts = append(ctxParts, "key "+a.Key)
	}
	if version != "" {
		ctxParts = append(ctxParts, "licmon "+version)
	}
	if len(ctxParts) > 0 {
		body = append(body, Element{Type: "RichTextBlock", Separator: true, Inlines: []Element{
			{Type: "TextRun", Text: notify.Truncate(strings.Join(ctxParts, " · "), 1000), Size: "Small", IsSubtle: true},
		}})
	}
	card := Card{Schema: CardSchema, Type: "AdaptiveCard", Version: CardVersion, MSTeams: MSTeams{Width: "Full"}, Body: body}
	if m.DashboardURL != "" {
		card.Actions = []Action{{Type: "Action.OpenUrl", Title: "Open dashboard", URL: m.DashboardURL}}
	}
	return Payload{Type: "message", Attachments: []Attachment{{ContentType: CardContentType, Content: card}}}
}

func heading(s string) Element {
	return Element{Type: "TextBlock", Text: s, Weight: "Bolder", Wrap: true, Separator: true, Spacing: "Medium"}
}

func richText(s, font string) Element {
	return Element{Type: "RichTextBlock", Inlines: []Element{{Type: "TextRun", Text: s, FontType: font}}}
}

func factSet(fs []notify.Field) Element {
	e := Element{Type: "FactSet"}
	for _, f := range fs {
		e.Facts = append(e.Facts, Fact{Title: f.Name, Value: notify.Truncate(f.Value, 500)})
	}
	return e
}

func monoIf(b bool) string {
	if b {
		return "Monospace"
	}
	return ""
}
