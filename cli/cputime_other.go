//go:build !unix

package cli

import "time"

// processCPUTime is not measured here; callers report no CPU-time figure.
func processCPUTime() time.Duration { return 0 }
