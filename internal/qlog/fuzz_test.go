package qlog

import (
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary bytes to the reader and every extractor: it
// must never panic, and every row it returns must have a parsable time.
func FuzzExtract(f *testing.F) {
	f.Add(secHeader + "\n1\tv\t20240305T091512.317+0100\tN1\tid\tCommand=License user access;Result=403;ResultText=Error\t0\t0\t0\tCORP\tu\t\t\t\t\t\t\t\tLicense user access\t403\tProfessional access denied for User: 'CORP\\u', OperationType: 'UsageDenied'\tff\n")
	f.Add("\ufeffTimestamp\tSequence#\tMessage\r\n20240305T091512+01:00\t1\tUser access, User: 'a\\b', Last used: '20231130T102659.000+00:00', LicenseAnalyzerAccessTypeId: 'x'\r\n")
	f.Add("Sequence#\tTimestamp\tProxySessionId\tActiveUserDirectory\tActiveUserId\tSession Start\tSession Duration\n1\t20240305T091512.000Z\tc0de\tD\tu\t20240305T091512.000Z\t1.02:00:00\n")
	f.Add("\xff\xfeT\x00i\x00")
	f.Fuzz(func(t *testing.T, data string) {
		for _, k := range []Kind{KindProxyActivity, KindSecurity, KindEngineSession, KindSchedulerActivity, KindOther} {
			_, _ = Extract(FileName{Kind: k, Host: "h"}, strings.NewReader(data), func(b *Batch) error {
				for _, d := range b.Denials {
					if d.At.IsZero() {
						t.Fatalf("denial without time: %+v", d)
					}
				}
				return nil
			})
		}
	})
}
