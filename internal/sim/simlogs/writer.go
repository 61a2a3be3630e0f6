package simlogs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/licmon/licmon/internal/qlog"
)

// stream is one log of one service on the node: it writes the active
// <HOST>_<LogType>_<Service>.txt under Log\<Service>\<Area>\ and rolls it,
// as Qlik does, when it reaches the size limit or the age limit: the file
// gets the .log extension and the UTC close time in its name and moves to
// ArchivedLogs\<node>\<Service>\<Area>\.
type stream struct {
	g                      *generator
	service, area, logType string
	header                 []string
	f                      *os.File
	w                      *bufio.Writer
	size                   int64
	opened                 time.Time
	seq                    int
}

func (s *stream) activePath() string {
	return filepath.Join(s.g.opts.Out, "Log", s.service, s.area, s.g.host+"_"+s.logType+"_"+s.service+".txt")
}

func (s *stream) open(at time.Time) error {
	p := s.activePath()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	s.f, s.w, s.opened, s.seq, s.size = f, bufio.NewWriterSize(f, 64<<10), at, 0, 0
	n, _ := s.w.WriteString(strings.Join(s.header, "\t") + "\r\n")
	s.size += int64(n)
	return nil
}

// roll closes the active file at `at` and moves it to the archive.
func (s *stream) roll(at time.Time) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if err := s.f.Close(); err != nil {
		return err
	}
	dst := filepath.Join(s.g.opts.Out, "ArchivedLogs", s.g.nodeDir, s.service, s.area,
		fmt.Sprintf("%s_%s_%s_%sZ.log", s.g.host, s.logType, s.service, at.UTC().Format("2006-01-02T15.04.05")))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	s.g.files++
	s.f = nil
	return os.Rename(s.activePath(), dst)
}

// write appends one row (values by header name; Sequence#, Timestamp and
// Id are filled in) at time at, rolling first when the file is full or old.
func (s *stream) write(at time.Time, id string, vals map[string]string) error {
	if s.f != nil && (s.size >= s.g.opts.RollSize || at.Sub(s.opened) >= s.g.opts.RollAge) {
		if err := s.roll(at); err != nil {
			return err
		}
	}
	if s.f == nil {
		if err := s.open(at); err != nil {
			return err
		}
	}
	s.seq++
	var b strings.Builder
	for i, h := range s.header {
		if i > 0 {
			b.WriteByte('\t')
		}
		switch h {
		case "Sequence#":
			b.WriteString(strconv.Itoa(s.seq))
		case "Timestamp":
			b.WriteString(qlog.FormatTime(at.In(s.g.zone)))
		case "Id":
			b.WriteString(id)
		case "Hostname":
			b.WriteString(s.g.host)
		case "ProductVersion":
			b.WriteString(productVersion)
		default:
			b.WriteString(qlog.Escape(vals[h]))
		}
	}
	b.WriteString("\r\n")
	n, err := s.w.WriteString(b.String())
	s.size += int64(n)
	s.g.bytes += int64(n)
	return err
}

// close flushes the active file, which stays in Log\ as the live .txt.
func (s *stream) close() error {
	if s.f == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	s.g.files++
	return s.f.Close()
}

const productVersion = "34.41.3"

// Column layouts (shared/reference/qlik-logs.md §3).
var (
	securityHeader = strings.Split("Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tSecurityClass\tClientHostAddress\tService\tOrigin\tContext\tCommand\tResult\tMessage\tChecksum", "\t")
	activityHeader = strings.Split("Sequence#\tProductVersion\tTimestamp\tHostname\tId\tDescription\tProxySessionId\tProxyPackageId\tRequestSequenceId\tUserDirectory\tUserId\tObjectId\tObjectName\tService\tOrigin\tContext\tCommand\tResult\tMessage\tId2", "\t")
	sessionHeader  = strings.Split("Sequence#\tTimestamp\tLevel\tHostname\tLogger\tThread\tId\tServiceUser\tMessage\tProxySessionId\tActiveUserDirectory\tActiveUserId\tAppId\tApp Title\tSessionId\tSession Start\tSession Duration\tCPU Spent (s)\tBytes Received\tBytes Sent\tCalls\tSelections\tAuthenticated User\tId2", "\t")
	perfHeader     = strings.Split("Sequence#\tTimestamp\tLevel\tHostname\tLogger\tThread\tId\tServiceUser\tMessage\tActiveDocSessions\tActiveDocs\tActiveUsers\tCPULoad\tLoadedDocs\tSelections\tVMCommitted(MB)\tVMAllocated(MB)\tVMFree(MB)\tId2", "\t")
)
