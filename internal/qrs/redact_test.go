package qrs

import "testing"

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://admin:s3cret@qlik.example.com:4242", "https://*****@qlik.example.com:4242"},
		{"https://admin@qlik.example.com/prefix?x=1", "https://*****@qlik.example.com/prefix?x=1"},
		{"https://a:b@c@qlik.example.com/p@th", "https://*****@qlik.example.com/p@th"},
		{"https://qlik.example.com:4242/vp@x", "https://qlik.example.com:4242/vp@x"},
		{"https://qlik.example.com:4242", "https://qlik.example.com:4242"},
		{"https://u:p@[::1", "https://*****@[::1"}, // not parseable: still masked
		{"", ""},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
