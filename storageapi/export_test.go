package storageapi

import "time"

// SetCheckIdle sets how long a pooled connection must have been idle to
// be checked before use (default 1 s), so that tests need not wait.
func SetCheckIdle(c *Client, d time.Duration) { c.tr.checkIdle = d }
