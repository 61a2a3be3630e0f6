package termtext

import (
	"bytes"
	"testing"
)

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text, ünïcode and 中文", "plain text, ünïcode and 中文"},
		{"line 1\n\tline 2", "line 1\n\tline 2"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b[2J\x1b[Hcleared", "cleared"},
		{"\x1b]0;pwned title\x07after", "after"},
		{"\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"\x1bPdcs payload\x1b\\ok", "ok"},
		{"bell\x07 back\x08space\rcarriage", "bell backspacecarriage"},
		{"c1 \u009b31m csi", "c1 31m csi"},
		{"del\x7f", "del"},
		{"bidi \u202eevil\u202c", "bidi evil"},
		{"trailing \x1b[", "trailing "},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"\x1bc reset", " reset"},
	} {
		if got := Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := Writer(&b)
	in := []byte("task \x1b[8mhidden\x1b[0m name\n")
	n, err := w.Write(in)
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v; want %d", n, err, len(in))
	}
	if b.String() != "task hidden name\n" {
		t.Errorf("wrote %q", b.String())
	}
}
