package samples

import "testing"

func TestPythonRepr(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`[{'a': 'it\'s', 'b': None, 'c': True, 'd': False, 'e': 1.5, 'f': "say \"x\"", 'g': 'd:\\QVD\\'}]`,
			`[{"a":"it's","b":null,"c":true,"d":false,"e":1.5,"f":"say \"x\"","g":"d:\\QVD\\"}]`},
		// Cut inside a string value: the unfinished pair is dropped.
		{`[{'id': 'x', 'name': 'qrs_ta`, `[{"id":"x"}]`},
		// Cut after a key: the key is dropped.
		{`[{'id': 'x', 'name'`, `[{"id":"x"}]`},
		// Cut after a comma in a list, inside a nested object.
		{`[{'id': 'x', 'details': [{'m': 'a'}, {'m': 'b`, `[{"id":"x","details":[{"m":"a"},{}]}]`},
		// Cut inside a number.
		{`[{'n': 12`, `[{}]`},
	} {
		got, err := PythonRepr(c.in)
		if err != nil {
			t.Errorf("PythonRepr(%q): %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("PythonRepr(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	if _, err := PythonRepr(`[{'a': bogus}]`); err == nil {
		t.Error("a word that is not None/True/False/a number was accepted")
	}
}
