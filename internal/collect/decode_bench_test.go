package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/licmon/licmon/internal/jsonscan"
)

// objectList is n app objects as a QRS app/object/full answer (the
// simulator's shape: owner, app and stream nested, ≈ 1.1 KB each).
func objectList(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"c04e245f-e1f6-4ae1-b13c-%012d","createdDate":"2025-12-01T08:37:05.640Z","modifiedDate":"2026-07-13T13:34:51.000Z",`+
			`"modifiedByUserName":"CORP\\chen.schmidt15","owner":{"id":"543529d0-79ea-41ed-9c50-%012d","userId":"chen.schmidt15","userDirectory":"CORP",`+
			`"userDirectoryConnectorName":"CORP","name":"Chen Schmidt","privileges":null},"name":"Sheet %d","engineObjectId":"D4A4098E82",`+
			`"contentHash":"A8F3602DC0EEA08ABAD3","app":{"id":"c7fa0c54-8e65-49f9-b184-12414a10103c","name":"Sales Dashboard","appId":"",`+
			`"publishTime":"2025-12-06T00:37:05.640Z","published":true,"stream":{"id":"b4867421-bafc-4b53-9d44-d9efdfc90074","name":"Everyone",`+
			`"privileges":null},"savedInProductVersion":"12.2100.2","migrationHash":"f0a8a7c4ab4b4d1b2f5e6d3c9b1a0e7d6c5b4a39","availabilityStatus":0,`+
			`"privileges":null},"objectType":"sheet","engineObjectType":"sheet","description":"","attributes":"","size":3492,`+
			`"publishTime":"2026-07-13T13:34:51.000Z","published":true,"approved":true,"sourceObject":"","draftObject":"",`+
			`"appObjectBlobId":"00000000-0000-0000-0000-000000000000","tags":[],"privileges":null,"schemaPath":"App.Object"}`, i, i%5000, i)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkDecodeObjects compares encoding/json's Decoder, element by
// element (how lists were decoded before), with the slim records decoding
// themselves from the scanner (qrs.StreamFrom now), on 20k app objects:
//
//	go test ./internal/collect -run '^$' -bench DecodeObjects -benchmem -count 5
func BenchmarkDecodeObjects(b *testing.B) {
	data := objectList(20_000)
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(data))
			if _, err := dec.Token(); err != nil {
				b.Fatal(err)
			}
			for dec.More() {
				// encoding/json knows nothing of UnmarshalJSONFrom: it
				// decodes owned by reflection, as it did before.
				var o owned
				if err := dec.Decode(&o); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("jsonscan-slim", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sc := jsonscan.New(bytes.NewReader(data))
			err := sc.Array(func() error {
				var o owned
				return o.ScanFrom(sc)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
