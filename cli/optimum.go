package cli

import (
	"fmt"

	"github.com/xlrl/xlrl/internal/train"
)

// optimumLine is the line that compares a tabular result with the exact
// optima, "" when the environment has no model. The percentages come from
// the greedy policy's exact value (never above 100).
func optimumLine(r *train.Result) string {
	if r.Optimum == nil {
		return ""
	}
	line := fmt.Sprintf("exact optimum %.4f", *r.Optimum)
	if r.PolicyValue != nil {
		line = fmt.Sprintf("exact value of the greedy policy %.4f; %s", *r.PolicyValue, line)
	}
	if r.OptimumPercent != nil {
		line += fmt.Sprintf(" (%.1f%%)", *r.OptimumPercent)
	}
	if r.BestStationary != nil {
		kind := "best stationary policy"
		if r.BestStationaryExact != nil && !*r.BestStationaryExact {
			kind = "best stationary policy found (search cut short)"
		}
		line += fmt.Sprintf(", %s %.4f", kind, *r.BestStationary)
		if r.BestStationaryPercent != nil {
			line += fmt.Sprintf(" (%.1f%%)", *r.BestStationaryPercent)
		}
	}
	return line
}
