package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report as indented JSON. The schema is the field
// comments of Report (documented in the README), versioned by SchemaVersion.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
