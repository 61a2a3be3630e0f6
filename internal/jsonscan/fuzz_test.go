package jsonscan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzScan: any input is refused by the scanner exactly when encoding/json
// refuses it, and decodes to what encoding/json decodes, read whole or a
// byte at a time; Skip agrees with it.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`[{"id":"a","createdDate":"2025-02-17T19:34:26.000Z","user":{"id":"u","privileges":null},"n":-1.5e3,"ok":true}]`,
		`{"a":[1,{"b":"c\u00e9\"\\"}],"d":false}`, `"\ud800"`, "\"\xff\"", `[1,]`, `{"a" 1}`, `01`, ` null `, `[[[[]]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want any
		wantErr := json.Unmarshal(data, &want)
		if wantErr != nil && json.Valid(data) {
			// Valid JSON that encoding/json cannot decode into an any (a
			// number beyond float64): no value to compare, but the scanner
			// must accept it.
			if err := New(strings.NewReader(string(data))).Skip(); err != nil {
				t.Fatalf("%q: Skip error %v on valid JSON", data, err)
			}
			return
		}
		for _, s := range []*Scanner{New(strings.NewReader(string(data))), New(iotest.OneByteReader(strings.NewReader(string(data))))} {
			got, err := decodeAny(s)
			if err == nil {
				err = trailing(s)
			}
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%q: scanner error %v, encoding/json error %v", data, err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: scanner %#v, encoding/json %#v", data, got, want)
			}
		}
		s := New(strings.NewReader(string(data)))
		err := s.Skip()
		if err == nil {
			err = trailing(s)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: Skip error %v, encoding/json error %v", data, err, wantErr)
		}
	})
}

// trailing is the error for anything but whitespace after the value (a NUL
// byte included, which Peek also returns at the end).
func trailing(s *Scanner) error {
	if c := s.Peek(); c != 0 || s.pos < s.end {
		return s.invalid(c, "after the top-level value")
	}
	return nil
}
