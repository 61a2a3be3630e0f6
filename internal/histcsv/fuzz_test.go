package histcsv_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/licmon/licmon/internal/histcsv"
	"github.com/licmon/licmon/internal/license"
)

// FuzzParseHistory: any input either fails with a *LineError or *Error, or
// gives rows that are valid and that Write and Parse round-trip unchanged.
func FuzzParseHistory(f *testing.F) {
	for _, seed := range []string{
		"day,type,licensed,allocated\n2024-01-01,professional,100,90\n",
		"\xEF\xBB\xBFDay;Type;Licensed;Allocated;Used;Quarantined;Denied\r\n2024-01-31;analyzer;50;20;11;0;3\r\n",
		"\"day\",\"type\",\"licensed\",\"allocated\",\"source\"\n\"2024-02-29\",\"user-access\",\"40\",\"35\",\"imported\"\n\n",
		"allocated\tday\ttype\tlicensed\n300\t2024-01-01\tanalyzer-capacity\t1200\n",
		"day,type,licensed,allocated\n2024-01-01,analyzer,5,4\n2024-01-01,analyzer,5,6\n",
		"day,type,licensed,allocated,used\n2024-01-01,login,10,4,4\n,,,,\n",
		"day,type,licensed,allocated\n2024-01-01,\"ana\"\"lyzer\",5,4\n",
		"\xFF\xFEd\x00",
		"",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		file, err := histcsv.Parse(bytes.NewReader(data), histcsv.Options{Name: "fuzz.csv", Today: today, SkipInvalid: skip})
		if err != nil {
			var le *histcsv.LineError
			var fe *histcsv.Error
			if !errors.As(err, &le) && !errors.As(err, &fe) {
				t.Fatalf("error of an unexpected kind: %T %v", err, err)
			}
			return
		}
		seen := map[string]bool{}
		var want []license.HistoryDay
		for _, r := range file.Rows {
			k := r.Day.String() + string(r.Type)
			if seen[k] || !r.Type.Valid() || r.Day.After(today) || r.Day.Year() < 2000 || r.Licensed < 0 || r.Allocated < 0 ||
				r.Used < 0 || r.Quarantined < 0 || r.Denied < 0 {
				t.Fatalf("invalid row accepted: %+v", r)
			}
			seen[k] = true
			want = append(want, r.HistoryDay)
		}
		var b bytes.Buffer
		if err := histcsv.Write(&b, file.Rows, true); err != nil {
			t.Fatal(err)
		}
		back, err := histcsv.Parse(&b, histcsv.Options{Name: "again.csv", Today: today})
		if err != nil {
			t.Fatalf("written rows do not parse: %v\n%s", err, b.String())
		}
		var got []license.HistoryDay
		for _, r := range back.Rows {
			got = append(got, r.HistoryDay)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}
