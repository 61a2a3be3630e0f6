package cli

import "time"

// SetRetryBackoffForTests sets the first wait between retries of the QRS
// client and of reclaim apply for every command the tests run; call it
// before any test starts (TestMain).
func SetRetryBackoffForTests(d time.Duration) { retryBackoff = d }
