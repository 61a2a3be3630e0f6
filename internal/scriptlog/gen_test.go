package scriptlog

import (
	"fmt"
	"io"
	"strings"
)

// logGenerator is an io.Reader that produces a realistic script log of about
// size bytes lazily: a real header, then a body block of statement and
// message lines repeated with advancing timestamps, then a 401 failure tail.
// It never holds more than one block in memory.
type logGenerator struct {
	size    int64
	emitted int64
	buf     []byte
	pos     int
	block   int
	stage   int // 0 header, 1 body, 2 tail, 3 done
	tmpl    []byte
	tsAt    []int // offsets of the timestamps in tmpl
}

// genBlock builds one ≈70 KB body block: 100 iterations of a LOAD from an
// archived log with its result lines, a TRACE with its echo, a LIB CONNECT
// TO and a SUB-indented inline load.
func genBlock() ([]byte, []int) {
	var b []byte
	var at []int
	for i := 0; i < 100; i++ {
		ts := fmt.Sprintf("2019-06-01 00:%02d:%02d", i/60, i%60)
		w := func(indent string, f string, a ...any) {
			b = append(b, indent...)
			at = append(at, len(b))
			b = fmt.Appendf(b, ts+f+"\r\n", a...)
		}
		w("", " 0412 LogContent:")
		w("", " 0413 LOAD")
		w("", " 0414     Timestamp,")
		w("", " 0415     Hostname,")
		w("", " 0416     Description,")
		w("", " 0417     ProxySessionId")
		w("", " 0418 FROM [lib://ArchivedLogsFolder/QLIKSERVER%d/Repository/Audit/QLIKSERVER_AuditSecurity_Repository_2019-05-%02dT02.00.00Z.log]", i%4, i%28+1)
		w("", " 0419 (txt, utf8, embedded labels, delimiter is '\\t', msq)")
		w("", "      \t4 fields found: Timestamp, Hostname, Description, ProxySessionId, ")
		w("", "      %d lines fetched", 1000+i*37)
		w("", " 0420 TRACE Loaded file %d", i)
		w("", " 0420 Loaded file %d", i)
		w("", " 0421 LIB CONNECT TO 'monitor_apps_REST_license_user'")
		w("", "      Connected.")
		w("  ", " 0074 CommandList:")
		w("  ", " 0075   LOAD Command, CommandType Inline [")
		w("  ", " 0076     Add license, Allocation")
		w("  ", " 0077     ]")
		w("  ", "      \t2 fields found: Command, CommandType, ")
		w("  ", "      1 lines fetched")
	}
	return b, at
}

func newLogGenerator(size int64) *logGenerator { return &logGenerator{size: size} }

const genHeader = "\uFEFF" +
	"2019-06-01 02:00:00      Execution started.\r\n" +
	"2019-06-01 02:00:00      Qlik Sense Server Version     12.36.3+Build:0.local.Component.Version\r\n" +
	"2019-06-01 02:00:00      CPU Target                    x64\r\n" +
	"2019-06-01 02:00:00      Operating System              Windows Server 2016 Standard  (64 bit edition)\r\n" +
	"2019-06-01 02:00:00      UserLogfileCharset            65001\r\n" +
	"2019-06-01 02:00:00      Reload Executed By            UserDirectory=INTERNAL; UserId=sa_scheduler\r\n" +
	"2019-06-01 02:00:00      Process Executing             Qlik Sense Server\r\n" +
	"2019-06-01 02:00:00      Process ID                    4940\r\n"

func (g *logGenerator) fill() {
	g.buf, g.pos = g.buf[:0], 0
	switch g.stage {
	case 0:
		g.buf = append(g.buf, genHeader...)
		g.stage = 1
	case 1:
		if g.tmpl == nil {
			g.tmpl, g.tsAt = genBlock()
		}
		// Copy the block and advance the hour so timestamps move on.
		g.buf = append(g.buf, g.tmpl...)
		h := byte(g.block % 24)
		for _, at := range g.tsAt {
			g.buf[at+11], g.buf[at+12] = '0'+h/10, '0'+h%10
		}
		g.block++
		if g.emitted+int64(len(g.buf)) >= g.size {
			g.stage = 2
		}
	case 2:
		g.buf = append(g.buf, strings.Join([]string{
			"2019-06-01 23:59:58 0705 SQL SELECT",
			"2019-06-01 23:59:58 0706 \t(SELECT \"id\" FROM \"useraccesstype\")",
			"2019-06-01 23:59:58 0707 FROM JSON (wrap on) \"root\" PK \"__KEY_root\"",
			"2019-06-01 23:59:59      HTTP protocol error 401 (Unauthorized):",
			"2019-06-01 23:59:59      ",
			"2019-06-01 23:59:59      Requested resource requires authentication.",
			"2019-06-01 23:59:59      Error: HTTP protocol error 401 (Unauthorized):",
			"2019-06-01 23:59:59      Execution Failed",
			"",
		}, "\r\n")...)
		g.stage = 3
	}
}

func (g *logGenerator) Read(p []byte) (int, error) {
	for g.pos >= len(g.buf) {
		if g.stage == 3 {
			return 0, io.EOF
		}
		g.fill()
	}
	n := copy(p, g.buf[g.pos:])
	g.pos += n
	g.emitted += int64(n)
	return n, nil
}
