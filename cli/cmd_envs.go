package cli

import (
	"fmt"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
)

func newEnvsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "envs",
		Short: "List the environments: ids, spaces, time limits and solved thresholds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			specs := env.Specs()
			out := cmd.OutOrStdout()
			if asJSON {
				list := make([]map[string]any, 0, len(specs))
				for _, s := range specs {
					list = append(list, specJSON(s))
				}
				return printJSON(out, map[string]any{"envs": list})
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tOBSERVATION\tACTION\tTIME LIMIT\tSOLVED AT\tNOTE")
			for _, s := range specs {
				limit, solved, note := "none", "-", ""
				if s.MaxEpisodeSteps > 0 {
					limit = fmt.Sprint(s.MaxEpisodeSteps)
				}
				if s.RewardThreshold != nil {
					solved = fmt.Sprint(*s.RewardThreshold)
				}
				if s.AliasOf != "" {
					note = "same as " + s.AliasOf
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, spaceText(s.Observation), spaceText(s.Action), limit, solved, note)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as one JSON object")
	return cmd
}

func spaceText(s env.Space) string {
	if s.Kind == env.Discrete {
		return s.String()
	}
	return fmt.Sprintf("Box(%d) [%s, %s]", len(s.Low), boundsText(s.Low), boundsText(s.High))
}

func boundsText(v []float64) string {
	out := "["
	for i, x := range v {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.4g", x)
	}
	return out + "]"
}

// specJSON is a spec as JSON; infinite bounds become the strings "inf" and
// "-inf" since JSON has no infinity.
func specJSON(s *env.Spec) map[string]any {
	m := map[string]any{
		"id":                s.ID,
		"observation":       spaceJSON(s.Observation),
		"action":            spaceJSON(s.Action),
		"max_episode_steps": s.MaxEpisodeSteps,
		"reward_threshold":  s.RewardThreshold,
		"state":             s.State,
	}
	if s.AliasOf != "" {
		m["alias_of"] = s.AliasOf
	}
	return m
}

func spaceJSON(s env.Space) map[string]any {
	if s.Kind == env.Discrete {
		return map[string]any{"kind": "discrete", "n": s.N}
	}
	bound := func(v []float64) []any {
		out := make([]any, len(v))
		for i, x := range v {
			switch {
			case math.IsInf(x, 1):
				out[i] = "inf"
			case math.IsInf(x, -1):
				out[i] = "-inf"
			default:
				out[i] = x
			}
		}
		return out
	}
	return map[string]any{"kind": "box", "shape": []int{len(s.Low)}, "low": bound(s.Low), "high": bound(s.High)}
}
