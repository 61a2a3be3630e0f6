package check

import (
	"os"
	"strings"
	"testing"

	"github.com/licmon/licmon/internal/samples"
)

// TestRealRESTConnectionString parses the REST connector connection string of
// the real /qrs/dataconnection sample (qrspy, 2017: the "qrs_task" connection,
// cut off by its publisher after the query headers) the way check reads the
// monitor_apps_REST_* connections.
func TestRealRESTConnectionString(t *testing.T) {
	const path = "../../../shared/samples/qrs/dataconnection_condensed_list.qrspy_2017.TRUNCATED.txt"
	samples.Require(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, conn, ok := strings.Cut(string(b), `'CUSTOM CONNECT TO`)
	if !ok {
		t.Fatal("the sample has no REST connection string")
	}
	c := ParseConnection("qrs_task", "CUSTOM CONNECT TO"+conn)
	want := Connection{Name: "qrs_task", URL: "https://localhost/qrs/task/full", Host: "localhost", Port: "443",
		Path: "/qrs/task/full", Auth: "ntlm"}
	if c != want {
		t.Errorf("ParseConnection = %+v\nwant %+v", c, want)
	}
}
