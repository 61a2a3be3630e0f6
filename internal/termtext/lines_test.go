package termtext

import "testing"

func TestFirstLine(t *testing.T) {
	for in, want := range map[string]string{"": "", "one": "one", "one\ntwo": "one", "\nx": "", "a\r\nb": "a\r"} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	cases := []struct {
		in    string
		limit int
		want  string
	}{
		{"  a\n\tb  c \r\n", 0, "a b c"},
		{"SQL SELECT\n  x\nFROM y", 10, "SQL SELECT…"},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		// A cut inside "é" (2 bytes at 2–3) backs off to the rune's start.
		{"abé", 3, "ab…"},
	}
	for _, c := range cases {
		if got := OneLine(c.in, c.limit); got != c.want {
			t.Errorf("OneLine(%q, %d) = %q, want %q", c.in, c.limit, got, c.want)
		}
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"Reload License Monitor": "Reload License Monitor",
		`a/b\c:d*e?f"g<h>i|j`:    "a_b_c_d_e_f_g_h_i_j",
		"x\x00y\x1bz\x7f":        "x_y_z_",
		"..":                     "_",
		".":                      "_",
		"":                       "_",
		"../x":                   ".._x",
	} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}
