package inspect

import (
	"testing"

	"github.com/licmon/licmon/internal/check"
	"github.com/licmon/licmon/internal/qrs"
)

func TestLicenseEnd(t *testing.T) {
	slk := &qrs.License{Key: "eyJ", KeyDetails: "Serial: 0000\nValid To: 2027-03-31T00:00:00Z\nOther: x"}
	if end, ok := slk.ValidTo(); !ok || end.Format("2006-01-02") != "2027-03-31" {
		t.Errorf("signed key end = %v %v", end, ok)
	}
	lef := &qrs.License{LEF: "XXX\r\nInternal Qlik License 2017;;;\r\nQlik Sense Enterprise;;;\r\nPRODUCTLEVEL;50;;2018-01-30\r\nTOKENS;XXX;;\r\nTIMELIMIT;;;XXX-01-30\r\nXXX"}
	if end, ok := lef.ValidTo(); !ok || end.Format("2006-01-02") != "2018-01-30" {
		t.Errorf("LEF end = %v %v", end, ok)
	}
	if _, ok := (&qrs.License{KeyDetails: "no dates"}).ValidTo(); ok {
		t.Error("found an end in a license without one")
	}
}

// TestOutcome: every QRS execution status is judged as the QMC means it.
func TestOutcome(t *testing.T) {
	want := map[qrs.TaskExecutionStatus]check.Outcome{
		qrs.StatusNeverStarted: check.NeverStarted, qrs.StatusTriggered: check.Running, qrs.StatusStarted: check.Running,
		qrs.StatusQueued: check.Running, qrs.StatusRetry: check.Running,
		qrs.StatusAbortInitiated: check.Aborted, qrs.StatusAborting: check.Aborted, qrs.StatusAborted: check.Aborted,
		qrs.StatusFinishedSuccess: check.Succeeded, qrs.StatusFinishedFail: check.Failed, qrs.StatusError: check.Failed,
		qrs.StatusSkipped: check.Unfinished, qrs.StatusReset: check.Unfinished,
		qrs.StatusDistributionQueue: check.Unfinished, qrs.StatusDistributionRunning: check.Unfinished,
	}
	for s, o := range want {
		if got := outcome(s); got != o {
			t.Errorf("outcome(%s) = %d, want %d", s, got, o)
		}
	}
}
