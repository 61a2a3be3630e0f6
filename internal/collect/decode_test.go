package collect

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/licmon/licmon/internal/jsonscan"
	"github.com/licmon/licmon/internal/license"
	"github.com/licmon/licmon/internal/samples"
)

// decodeList decodes a JSON array element by element with a fresh slim
// record's ScanFrom, reading the JSON a byte at a time so that every value
// also straddles the scanner's reads.
func decodeList[T any, P interface {
	*T
	ScanFrom(*jsonscan.Scanner) error
}](t *testing.T, data string) ([]T, error) {
	t.Helper()
	sc := jsonscan.New(iotest.OneByteReader(strings.NewReader(data)))
	var out []T
	err := sc.Array(func() error {
		var v T
		if err := P(&v).ScanFrom(sc); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// sameAsReflection decodes data with the slim records' own decoders and
// with encoding/json's reflection over their field tags, and fails when
// the two differ.
func sameAsReflection[T any, P interface {
	*T
	ScanFrom(*jsonscan.Scanner) error
}](t *testing.T, name, data string) {
	t.Helper()
	var want []T
	if err := json.Unmarshal([]byte(data), &want); err != nil {
		t.Fatalf("%s: encoding/json: %v", name, err)
	}
	got, err := decodeList[T, P](t, data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: the slim decoder differs from encoding/json (-want +got):\n%s", name, d)
	}
}

// TestSlimDecodersMatchEncodingJSON: what the collector keeps of each list
// element is what encoding/json decoded before the slim decoders, on the
// QRS's real answers and on the shapes it may send (nulls, escapes, members
// in any order, nested values the collector skips).
func TestSlimDecodersMatchEncodingJSON(t *testing.T) {
	users := `[
	 {"id":"u1","createdDate":"2025-02-17T19:34:26.000Z","modifiedDate":"2025-02-17T19:34:26.000Z","customProperties":[
	   {"id":"c1","value":"Sales","definition":{"id":"d1","name":"Department","choiceValues":["Sales","IT"],"privileges":null}},
	   {"value":"Ops","definition":{"name":"Department"}},{"value":"x","definition":null}],
	  "userId":"chen.schmidt15","userDirectory":"CORP","name":"Chen \"C\" Schmidt \u00e9\\","roles":["AuditAdmin","ContentAdmin"],
	  "attributes":[{"attributeType":"email","attributeValue":"a@b"}],"inactive":true,"removedExternally":false,"blacklisted":true,
	  "deleteProhibited":false,"tags":[{"id":"t","name":"vip","privileges":null},{"name":"b"}],"favorites":[],"privileges":null,"schemaPath":"User"},
	 {"schemaPath":"User","roles":null,"tags":null,"customProperties":null,"createdDate":null,"name":null,"id":"u2","inactive":null},
	 {"id":"u3","createdDate":"2000-01-23T04:56:07.000+00:00","\u0075serId":"escaped-name","nested":{"a":[1,2,{"b":"c"}],"d":-1.5e3}}
	]`
	sameAsReflection[slimUser](t, "users", users)

	allocs := `[
	 {"id":"a1","createdDate":"2025-02-19T23:53:35.663Z","modifiedDate":"2026-11-27T17:41:05.119Z",
	  "user":{"id":"u1","userId":"qlikadmin","userDirectory":"CORP","userDirectoryConnectorName":"CORP","name":"Qlik Admin","privileges":null},
	  "lastUsed":"2026-11-27T17:41:05.119Z","excess":false,"quarantined":true,"quarantineEnd":"1753-01-01T00:00:00.000Z",
	  "deletedUserId":"","deletedUserDirectory":"","privileges":null,"schemaPath":"License.ProfessionalAccessType"},
	 {"id":"a2","user":null,"deletedUserId":"gone","deletedUserDirectory":"CORP","lastUsed":null,"excess":true},
	 {"lastUsed":"2026-01-01T00:00:00Z","id":"a3","user":{"privileges":["read"],"id":"u9"}}
	]`
	sameAsReflection[slimAllocation](t, "allocations", allocs)

	objects := `[
	 {"id":"o1","createdDate":"2025-12-01T08:37:05.640Z","modifiedDate":"2026-07-13T13:34:51.000Z",
	  "owner":{"id":"u1","userId":"chen.schmidt15","userDirectory":"CORP","name":"Chen Schmidt","privileges":null},"name":"Sheet 1",
	  "app":{"id":"a","name":"Sales","publishTime":"2025-12-06T00:37:05.640Z","published":true,"stream":{"id":"s","name":"Everyone"}},
	  "objectType":"sheet","size":3492,"publishTime":"2026-07-13T13:34:51.000Z","published":true,"approved":true,"tags":[],"schemaPath":"App.Object"},
	 {"id":"o2","owner":null,"published":false,"publishTime":"1753-01-01T00:00:00.000Z"},
	 {"id":"o3"}
	]`
	sameAsReflection[owned](t, "app objects", objects)

	for _, f := range []struct{ file, kind string }{
		{"professionalaccesstype_full.swagger_example.json", "allocations"},
		{"useraccesstype_full.swagger_example.json", "allocations"},
		{"user_condensed_list.qrspy_2017.json", "users"},
		{"app_condensed_list.qrspy_2017.json", "apps"},
	} {
		path := filepath.Join("..", "..", "..", "shared", "samples", "qrs", f.file)
		samples.Require(t, path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch f.kind {
		case "allocations":
			sameAsReflection[slimAllocation](t, f.file, string(data))
		case "users":
			sameAsReflection[slimUser](t, f.file, string(data))
		default:
			sameAsReflection[owned](t, f.file, string(data))
		}
	}
}

// TestSlimDecodersRefuseWrongTypes: a value of the wrong type is an error
// that names where it is, never a silently empty field.
func TestSlimDecodersRefuseWrongTypes(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{`[{"id":"u1","inactive":"yes"}]`, "expected true or false"},
		{`[{"id":"u1","roles":"admin"}]`, "expected an array"},
		{`[{"id":7}]`, "expected a string"},
		{`[{"id":"u1","createdDate":"yesterday"}]`, "yesterday"},
		{`[{"id":"u1","tags":[{"name":"a"},"b"]}]`, "expected an object"},
		{`[{"id":"u1","name":"x"`, "EOF"},
	} {
		_, err := decodeList[slimUser](t, c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.data, err, c.want)
		}
	}
}

// TestListDecodersMatchSlimRecords: a list's decoder, which reuses its
// records, interns strings and appends into a preallocated list, gives
// the snapshot what a fresh slim record per element gave: nothing carries
// over from one element to the next (roles, tags, custom properties, a
// user or an owner the next element lacks).
func TestListDecodersMatchSlimRecords(t *testing.T) {
	users := `[
	 {"id":"u1","userId":"a","userDirectory":"CORP","roles":["ContentAdmin","AuditAdmin"],"tags":[{"name":"vip"},{"name":"b"}],
	  "customProperties":[{"value":"Sales","definition":{"name":"Department"}},{"value":"IT","definition":{"name":"Department"}},
	  {"value":"x","definition":null},{"value":"EU","definition":{"name":"Region"}}],"inactive":true,"createdDate":"2025-02-17T19:34:26.000Z"},
	 {"id":"u2","userId":"b","userDirectory":"CORP","name":"B \u00e9\\"},
	 {"id":"u3","userId":"c","userDirectory":"OTHER","roles":["RootAdmin"],"tags":[],"customProperties":[{"value":"x","definition":null}]},
	 {"id":"u4","userId":"d","userDirectory":"CORP","roles":null,"blacklisted":true}
	]`
	var want []license.User
	slims, err := decodeList[slimUser](t, users)
	if err != nil {
		t.Fatal(err)
	}
	for i := range slims {
		want = append(want, user(&slims[i]))
	}
	ul := newUserList(2)
	decodeWith(t, users, ul, ul.add)
	if d := cmp.Diff(want, ul.out); d != "" {
		t.Errorf("users (-slim records +list decoder):\n%s", d)
	}

	allocs := `[
	 {"id":"a1","user":{"id":"u1","userId":"a","userDirectory":"CORP"},"lastUsed":"2026-11-27T17:41:05.119Z","quarantined":true,
	  "quarantineEnd":"2026-12-01T00:00:00.000Z"},
	 {"id":"a2","user":null,"deletedUserId":"gone","deletedUserDirectory":"CORP"},
	 {"id":"a3","excess":true},
	 {"id":"a4","user":{"id":"u4"}}
	]`
	var wantAllocs []license.Allocation
	slimAllocs, err := decodeList[slimAllocation](t, allocs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range slimAllocs {
		wantAllocs = append(wantAllocs, allocation(license.Analyzer, &slimAllocs[i]))
	}
	al := newAllocationList(license.Analyzer, nil)
	decodeWith(t, allocs, al, al.add)
	if d := cmp.Diff(wantAllocs, al.out); d != "" {
		t.Errorf("allocations (-slim records +list decoder):\n%s", d)
	}

	objects := `[
	 {"owner":{"id":"u1"},"createdDate":"2025-12-01T08:37:05.640Z","modifiedDate":"2026-07-13T13:34:51.000Z","published":true,
	  "publishTime":"2026-07-13T13:34:51.000Z"},
	 {"owner":null,"createdDate":"2026-01-01T00:00:00.000Z"},
	 {"modifiedDate":"2026-08-01T00:00:00.000Z"},
	 {"owner":{"id":"u2"},"createdDate":"2024-01-01T00:00:00.000Z"},
	 {"owner":{"id":"u1"},"modifiedDate":"2026-09-01T00:00:00.000Z"}
	]`
	wantAuth := newAuthoring()
	slimObjects, err := decodeList[owned](t, objects)
	if err != nil {
		t.Fatal(err)
	}
	for i := range slimObjects {
		wantAuth.object(&slimObjects[i])
	}
	gotAuth := newAuthoring()
	ol := newOwnedList()
	decodeWith(t, objects, ol, func() error { gotAuth.object(&ol.o); return nil })
	if d := cmp.Diff(wantAuth.result(), gotAuth.result()); d != "" {
		t.Errorf("authoring (-slim records +list decoder):\n%s", d)
	}
}

// decodeWith decodes a JSON array as qrs.StreamFrom does: elem decodes
// each element, then add is called.
func decodeWith(t *testing.T, data string, elem interface {
	ScanFrom(*jsonscan.Scanner) error
}, add func() error) {
	t.Helper()
	sc := jsonscan.New(iotest.OneByteReader(strings.NewReader(data)))
	err := sc.Array(func() error {
		if err := elem.ScanFrom(sc); err != nil {
			return err
		}
		return add()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAllocationPartsJoin: the three allocation lists join in order,
// whether each stayed in the part of the array sized for it, one
// outgrew its part (more allocations than the overview counted), or none
// had a part (no overview); no allocation is the nil list.
func TestAllocationPartsJoin(t *testing.T) {
	// A part has room for a little more than its size (capHint): 20
	// allocations outgrow a part sized for 1.
	list := func(typ license.Type, out []license.Allocation, n int) []license.Allocation {
		for i := range n {
			out = append(out, license.Allocation{ID: fmt.Sprint(typ, i), Type: typ})
		}
		return out
	}
	want := list(license.Analyzer, list(license.Professional, nil, 20), 20)
	for _, c := range []struct {
		name  string
		sizes [3]int
	}{
		{"in their parts", [3]int{20, 20, 0}},
		{"the first outgrew its part", [3]int{1, 20, 0}},
		{"the second outgrew its part", [3]int{20, 1, 5}},
		{"the second had no part", [3]int{20, 0, 5}},
		{"no parts", [3]int{}},
	} {
		p := newAllocationParts(c.sizes)
		lists := [3][]license.Allocation{
			list(license.Professional, p.part(0), 20),
			list(license.Analyzer, p.part(1), 20),
			list(license.UserAccess, p.part(2), 0),
		}
		if d := cmp.Diff(want, p.join(lists)); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, d)
		}
	}
	if got := newAllocationParts([3]int{4, 4, 4}).join([3][]license.Allocation{}); got != nil {
		t.Errorf("no allocations: %v, want nil", got)
	}
}
