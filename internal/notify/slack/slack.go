// Package slack delivers licmon alerts to a Slack incoming webhook as a
// Block Kit message: a header with a colour emoji, the site/rule/since
// fields, the script-log diagnosis, the log tail in a code block and a
// button to the dashboard.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/licmon/licmon/internal/notify"
	"github.com/licmon/licmon/internal/notify/httppost"
)

// Slack Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxHeaderText  = 150
	maxButtonText  = 75
	maxBlocks      = 50
	maxFields      = 10
	maxFallback    = 3000 // "text" may be longer, but it is shown in notifications only
)

// Config is one Slack incoming webhook in licmon.yaml.
type Config struct {
	// Name identifies this channel in logs and `licmon alert test`;
	// default "slack".
	Name string `yaml:"name"`
	// URL is the incoming-webhook URL (https://hooks.slack.com/services/…);
	// it is a secret, so prefer URLFile.
	URL     string `yaml:"url"`
	URLFile string `yaml:"url_file"`
	// Timeout bounds one attempt; default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// Message is the incoming-webhook payload.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is one Block Kit layout block; only the fields licmon uses.
type Block struct {
	Type     string    `json:"type"`
	Text     *Text     `json:"text,omitempty"`
	Fields   []Text    `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Text is a Block Kit text object ("plain_text" or "mrkdwn").
type Text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Element is a context text or an actions button.
type Element struct {
	Type  string `json:"type"`
	Text  any    `json:"text"`
	URL   string `json:"url,omitempty"`
	Style string `json:"style,omitempty"`
}

// Notifier posts alerts to one Slack incoming webhook.
type Notifier struct {
	target  *httppost.Target
	version string
}

// New validates cfg, reads url_file and returns a Notifier.
func New(cfg Config, opts httppost.Options) (*Notifier, error) {
	t, err := httppost.NewTarget(cfg.Name, "slack", cfg.URL, cfg.URLFile, cfg.Timeout, opts)
	if err != nil {
		return nil, err
	}
	return &Notifier{target: t, version: opts.Version}, nil
}

// Name implements notify.Notifier.
func (n *Notifier) Name() string { return n.target.Name }

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, a notify.Alert) (bool, error) {
	body, err := Encode(a, n.version)
	if err != nil {
		return false, err
	}
	return n.target.Post(ctx, nil, body)
}

// Encode returns the JSON payload for a, exactly as posted.
func Encode(a notify.Alert, version string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Slack wants its own &amp;/&lt;/&gt;, not \u0026
	if err := enc.Encode(Build(a, version)); err != nil {
		return nil, fmt.Errorf("encode slack payload: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Build renders a as a Slack message within Slack's size limits.
func Build(a notify.Alert, version string) Message {
	m := notify.Render(a)
	title := m.TitleLine()
	msg := Message{Text: truncEscaped(escape(title), maxFallback)}
	add := func(b Block) { msg.Blocks = append(msg.Blocks, b) }

	add(Block{Type: "header", Text: &Text{Type: "plain_text", Text: notify.Truncate(title, maxHeaderText), Emoji: true}})
	if m.Summary != "" {
		add(section(escape(m.Summary)))
	}
	if len(m.Fields) > 0 {
		b := Block{Type: "section"}
		for i, f := range m.Fields {
			if i == maxFields {
				break
			}
			b.Fields = append(b.Fields, Text{Type: "mrkdwn", Text: truncEscaped("*"+f.Name+"*\n"+escape(f.Value), maxFieldText)})
		}
		add(b)
	}
	if len(m.Diagnosis) > 0 {
		var s strings.Builder
		s.WriteString("*Diagnosis*")
		for _, f := range m.Diagnosis {
			v := escape(f.Value)
			switch f.Name {
			case "Code", "Connection", "Statement":
				v = "`" + strings.ReplaceAll(notify.Truncate(f.Value, 500), "`", "'") + "`"
				v = escape(v)
			}
			fmt.Fprintf(&s, "\n*%s:* %s", f.Name, v)
		}
		add(section(s.String()))
	}
	if len(m.Details) > 0 {
		text, _ := notify.FitLines(m.Details, maxSectionText-len("*Details*\n"), false, func(l string) string { return "• " + escape(l) })
		add(section("*Details*\n" + text))
	}
	addLog := func(title string, lines []string, keepEnd bool) {
		if len(lines) == 0 {
			return
		}
		head := "*" + title + "*\n```\n"
		tail := "\n```"
		body, _ := notify.FitLines(lines, maxSectionText-utf8.RuneCountInString(head+tail), keepEnd, codeEscape)
		add(section(head + body + tail))
	}
	addLog("Script log, first lines", m.LogHead, false)
	addLog("Script log, last lines", m.LogTail, true)

	var ctxParts []string
	for _, l := range m.Labels {
		ctxParts = append(ctxParts, escape(l.Name+"="+l.Value))
	}
	if a.Key != "" {
		ctxParts = append(ctxParts, "key "+escape(a.Key))
	}
	if version != "" {
		ctxParts = append(ctxParts, "licmon "+escape(version))
	}
	if len(ctxParts) > 0 {
		add(Block{Type: "context", Elements: []Element{{Type: "mrkdwn", Text: truncEscaped(strings.Join(ctxParts, " · "), maxSectionText)}}})
	}
	if m.DashboardURL != "" && len(m.DashboardURL) <= 3000 {
		btn := Element{Type: "button", Text: Text{Type: "plain_text", Text: notify.Truncate("Open dashboard", maxButtonText)}, URL: m.DashboardURL}
		if !m.Resolved && m.Severity == notify.SeverityCritical {
			btn.Style = "danger"
		}
		add(Block{Type: "actions", Elements: []Element{btn}})
	}
	if len(msg.Blocks) > maxBlocks { // cannot happen with the blocks above; keeps the limit explicit
		msg.Blocks = msg.Blocks[:maxBlocks]
	}
	return msg
}

func section(text string) Block {
	return Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: truncEscaped(text, maxSectionText)}}
}

// escape applies Slack's three mandatory mrkdwn escapes. Besides rendering
// "<Unauthorized>" correctly, it stops alert text from forming
// <!channel> mentions or <url|links>.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// codeEscape escapes a log line for a ``` block: a ``` inside the log would
// end the block early.
func codeEscape(s string) string {
	return escape(strings.ReplaceAll(s, "```", "'''"))
}

// truncEscaped cuts escaped text to max runes without leaving half an
// entity such as "&am" behind.
func truncEscaped(s string, max int) string {
	t := notify.Truncate(s, max)
	if t == s {
		return s
	}
	body := strings.TrimSuffix(t, "…")
	if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
		body = body[:i]
	}
	return body + "…"
}
