package tune

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/xlrl/xlrl/internal/atomicfile"
)

// Best is the best complete trial.
type Best struct {
	Number int            `json:"number"`
	Value  float64        `json:"value"`
	Params map[string]any `json:"params"`
	Config string         `json:"config,omitempty"` // the best.yaml written
	RunDir string         `json:"run_dir,omitempty"`
}

// BestOf returns the best trial of s, or nil when none completed.
func BestOf(s *Summary) *Best {
	if s.Best == nil {
		return nil
	}
	for _, t := range s.Trials {
		if t.Number == *s.Best && t.Value != nil {
			return &Best{Number: t.Number, Value: *t.Value, Params: t.Params, RunDir: t.RunDir}
		}
	}
	return nil
}

// Counts counts the trials of s by state.
func Counts(s *Summary) map[string]int {
	c := map[string]int{}
	for _, t := range s.Trials {
		c[t.State]++
	}
	return c
}

// WriteTable prints the trials of s, best first among the complete ones,
// then the pruned, failed and running, each in trial order.
func WriteTable(w io.Writer, s *Summary) error {
	rows := append([]TrialRow(nil), s.Trials...)
	rank := map[string]int{StateComplete: 0, StatePruned: 1, StateFail: 2, StateRunning: 3}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if rank[a.State] != rank[b.State] {
			return rank[a.State] < rank[b.State]
		}
		if a.State == StateComplete && a.Value != nil && b.Value != nil && *a.Value != *b.Value {
			return *a.Value > *b.Value
		}
		return a.Number < b.Number
	})
	var names []string
	seen := map[string]bool{}
	for _, t := range s.Trials {
		for k := range t.Params {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "trial\tstate\tvalue\twall s\tlast eval step\t%s\n", strings.Join(names, "\t"))
	for _, t := range rows {
		val, wall, steps := "-", "-", "-"
		if t.Value != nil {
			val = fmt.Sprintf("%.2f", *t.Value)
		}
		if t.WallS != nil {
			wall = fmt.Sprintf("%.1f", *t.WallS)
		}
		if t.Steps != nil {
			steps = fmt.Sprint(*t.Steps)
		}
		state := t.State
		if s.Best != nil && t.Number == *s.Best {
			state += " *"
		}
		cells := make([]string, len(names))
		for i, n := range names {
			cells[i] = "-"
			if v, ok := t.Params[n]; ok {
				cells[i] = shortValue(v)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.Number, state, val, wall, steps, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// WriteBest writes the best trial's configuration (as `xlrl train --config`
// reads it) to path. It needs the trial's recorded config, which every
// trial that started its run has.
func WriteBest(path string, s *Summary) (*Best, error) {
	b := BestOf(s)
	if b == nil {
		return nil, ErrNoBest
	}
	var cfg string
	for _, t := range s.Trials {
		if t.Number == b.Number {
			cfg, _ = t.Attrs[AttrConfig].(string)
		}
	}
	if cfg == "" {
		return b, fmt.Errorf("trial %d recorded no configuration", b.Number)
	}
	head := fmt.Sprintf("# The best trial (%d) of study %s: value %s.\n# Train with it: xlrl train --config %s\n",
		b.Number, s.Name, formatFloat(b.Value), path)
	if err := atomicfile.WriteFile(path, []byte(head+cfg), 0o644); err != nil {
		return b, err
	}
	b.Config = path
	return b, nil
}
