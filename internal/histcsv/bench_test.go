package histcsv_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/licmon/licmon/internal/histcsv"
)

// history20y is 20 years of daily rows of the five types (36,525 rows),
// the size the import must handle well under a second.
func history20y() []byte {
	var b bytes.Buffer
	b.WriteString("day,type,licensed,allocated,used,quarantined,denied\n")
	d0 := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		d := d0.AddDate(0, 0, i).Format(time.DateOnly)
		if d >= "2026-01-01" {
			break
		}
		fmt.Fprintf(&b, "%s,professional,500,%d,%d,%d,%d\n", d, 100+i/20, 90+i/25, i%3, i%5)
		fmt.Fprintf(&b, "%s,analyzer,800,%d,%d,0,\n", d, 200+i/15, 150+i/20)
		fmt.Fprintf(&b, "%s,analyzer-capacity,6000,%d,,,\n", d, (i*37)%6000)
		fmt.Fprintf(&b, "%s,user-access,300,%d,,%d,\n", d, 50+i/40, i%2)
		fmt.Fprintf(&b, "%s,login-access,100,%d,,,\n", d, i%90)
	}
	return b.Bytes()
}

// BenchmarkParse20Years parses 36,525 rows; BenchmarkReadCSVReference reads
// the same bytes with a bare encoding/csv loop, the floor Parse builds on.
func BenchmarkParse20Years(b *testing.B) {
	data := history20y()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := histcsv.Parse(bytes.NewReader(data), histcsv.Options{Today: today})
		if err != nil || len(f.Rows) != 36525 {
			b.Fatalf("%d rows, %v", len(f.Rows), err)
		}
	}
}

func BenchmarkReadCSVReference(b *testing.B) {
	data := history20y()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 36526 {
			b.Fatalf("%d records", n)
		}
	}
}
