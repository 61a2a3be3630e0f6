package report

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

// TestCSVNeutralisesFormulas writes user names and labels that a
// spreadsheet would run as formulas and checks that both CSVs show them as
// text while negative numbers stay numbers.
func TestCSVNeutralisesFormulas(t *testing.T) {
	asOf := time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC)
	r := &Report{Site: "prod", AsOf: asOf, HorizonEnd: asOf.AddDate(1, 0, 0),
		Types: []TypeReport{{Type: "professional", Label: "=1+1", Licensed: 10, Allocated: 13, Remaining: -3}},
		Candidates: Candidates{
			Reclaim: []Candidate{{Kind: KindReclaim, UserGUID: "g1", Directory: "@CORP", UserID: `+cmd|' /C calc'!A0`,
				Name: `=HYPERLINK("http://x/","y")`, Reason: "-unused"}},
		}}

	var b bytes.Buffer
	if err := WriteCandidatesCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	row := rows[1]
	for col, want := range map[int]string{2: "'@CORP", 3: `'+cmd|' /C calc'!A0`, 4: `'=HYPERLINK("http://x/","y")`, 17: "'-unused"} {
		if row[col] != want {
			t.Errorf("candidates column %s = %q, want %q", CandidateCSVHeader[col], row[col], want)
		}
	}

	b.Reset()
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	if rows, err = csv.NewReader(&b).ReadAll(); err != nil {
		t.Fatal(err)
	}
	if got := rows[1][3]; got != "'=1+1" {
		t.Errorf("label = %q, want '=1+1", got)
	}
	if got := rows[1][8]; got != "-3" {
		t.Errorf("remaining = %q, want the number -3 unchanged", got)
	}
}
