package notify

import "time"

// SampleAlert is a realistic firing alert for `licmon alert test`: the
// License Monitor reload failing with HTTP 401 on its REST connection, the
// most common failure after a service-account password change. now sets
// the alert times so the message looks current.
func SampleAlert(now time.Time) Alert {
	now = now.UTC().Truncate(time.Second)
	start := now.Add(-7 * time.Minute)
	ts := func(d time.Duration, n string, text string) string {
		t := start.Add(d)
		return t.Format("20060102T150405.000-0700") + " " + n + " " + text
	}
	return Alert{
		Key:      "prod/lm-task-failed",
		Site:     "prod",
		Rule:     "lm-task-failed",
		Severity: SeverityCritical,
		Status:   StatusFiring,
		Title:    "License Monitor reload failed: HTTP 401 on monitor_apps_REST_license_user",
		Summary: "TEST ALERT sent by `licmon alert test`. The task \"Reload License Monitor\" failed: " +
			"the REST connection monitor_apps_REST_license_user was refused with HTTP 401 <Unauthorized>, " +
			"so license data in the License Monitor app is stale.",
		Details: []string{
			"Task: Reload License Monitor (Failed, 3 consecutive failures)",
			"Last success: " + start.Add(-24*time.Hour).Format(TimeLayout),
			"Execution node: qlik-central.example.local",
		},
		Diagnosis: &Diagnosis{
			Code:       "rest-auth",
			Connection: "monitor_apps_REST_license_user",
			Line:       697,
			Statement:  "LIB CONNECT TO 'monitor_apps_REST_license_user'",
			Error:      "HTTP protocol error 401 (Unauthorized): Requested resource requires authentication.",
			Hint: "The proxy refused the stored credentials (wrong or expired password). Update user and " +
				"password on all monitor_apps_REST_* connections in the QMC (Data connections).",
		},
		LogHead: []string{
			ts(0, "    ", "Execution started."),
			ts(0, "    ", "Qlik Sense Server Version 14.187.4"),
			ts(0, "    ", "CPU Target                    x64"),
			ts(0, "    ", "Operating System              Windows Server 2019 Standard (64 bit edition)"),
		},
		LogTail: []string{
			ts(4*time.Minute, "0697", "LIB CONNECT TO 'monitor_apps_REST_license_user'"),
			ts(4*time.Minute+time.Second, "    ", "Connected."),
			ts(4*time.Minute+2*time.Second, "0705", "SQL SELECT \"id\", \"lastUsed\" FROM JSON (wrap on) \"root\" PK \"__KEY_root\";"),
			ts(4*time.Minute+3*time.Second, "    ", "HTTP protocol error 401 (Unauthorized):"),
			ts(4*time.Minute+3*time.Second, "    ", ""),
			ts(4*time.Minute+3*time.Second, "    ", "Requested resource requires authentication."),
			ts(4*time.Minute+3*time.Second, "    ", "Error: HTTP protocol error 401 (Unauthorized):"),
			ts(4*time.Minute+4*time.Second, "    ", "Execution Failed"),
			ts(4*time.Minute+4*time.Second, "    ", "Execution finished."),
		},
		DashboardURL: "http://localhost:8480/alerts/prod/lm-task-failed",
		StartsAt:     start,
		Labels:       map[string]string{"test": "true", "task": "Reload License Monitor"},
	}
}
