//go:build !unix

package ui

import "time"

// cpuTime is not measured here: the benchmarks report it as 0.
func cpuTime() time.Duration { return 0 }
