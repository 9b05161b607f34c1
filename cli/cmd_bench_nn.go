package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/nnbench"
	"github.com/xlrl/xlrl/internal/worker"
)

func newBenchNNCmd() *cobra.Command {
	var (
		asJSON  bool
		noTF    bool
		rounds  int
		seconds float64
	)
	cmd := &cobra.Command{
		Use:   "nn",
		Short: "Time the go backend's Adam step and forward pass beside TensorFlow's, in one run",
		Long: `nn times, on the networks the deep RL agents use:

  step_256x256_b64         one Adam step (forward, backward, clipping, update) of
                           4 -> 256 -> 256 -> 2 on a minibatch of 64 (goal: go at
                           most half of tf)
  step_64x64_b64           the same for 4 -> 64 -> 64 -> 2 (goal: go <= 100 us)
  forward_64x64_one_state  the forward pass of one state through 4 -> 64 -> 64 -> 2,
                           as an agent acts (goal: go <= 0.5 us)

Go and TensorFlow alternate round by round, so both see the same load; each
figure is the median over --rounds. Go shares large products among up to
GOMAXPROCS goroutines (TensorFlow uses every core too); the one-goroutine
step is printed beside it, and the CPU time of its thread: what it costs
on a core whatever else the machine runs. TensorFlow's figure is the worker's
compute time inside its tf.function, without the link, and the CPU time of
all its threads. Each goal is judged on wall time ("met") and on CPU time
("on CPU time"), which on a machine that other work shares tells what each
side costs on the cores it gets. "kernel" says which
kernels ran (avx512, avx2, or go: the portable ones; the best the
processor has unless XLRL_NN_KERNEL names another).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rounds < 1 || seconds <= 0 {
				return usageErrorf("--rounds must be at least 1 and --round-seconds positive")
			}
			opts := nnbench.Options{Rounds: rounds, MinRound: time.Duration(seconds * float64(time.Second))}
			if !noTF {
				c, err := startTFWorker(cmd.Context())
				if err != nil {
					return err
				}
				defer c.Close()
				opts.Worker = c
			}
			rep, err := nnbench.Run(cmd.Context(), nnbench.Cases, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			printNNReport(out, rep)
			if asJSON {
				return printJSON(out, rep)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as one JSON object")
	cmd.Flags().BoolVar(&noTF, "no-tf", false, "measure go only (no Python worker)")
	cmd.Flags().IntVar(&rounds, "rounds", 7, "alternating go/tf rounds per measurement")
	cmd.Flags().Float64Var(&seconds, "round-seconds", 0.3, "the least time one round measures")
	return cmd
}

// printNNReport prints one line per case: go, tf and the goal's verdict.
func printNNReport(out io.Writer, rep *nnbench.Report) {
	fmt.Fprintf(out, "kernel %s, up to %d goroutines a product, median of %d rounds\n", rep.Kernel, rep.Threads, rep.Rounds)
	for _, r := range rep.Results {
		tf := "         -"
		if r.TFUS > 0 {
			tf = fmt.Sprintf("%7.1f us (%.1f us CPU; tf/go %.1fx)", r.TFUS, r.TFCPUUS, r.TFOverGo)
		}
		met := map[bool]string{true: "met", false: "NOT met"}
		verdict := met[r.Met] + " (on CPU time: " + met[r.MetCPU] + ")"
		if strings.HasSuffix(r.Goal, "tf") && r.TFUS == 0 {
			verdict = "not measured (no tf figure)"
		}
		var notes []string
		if r.GoOneThreadUS > 0 {
			notes = append(notes, fmt.Sprintf("1 goroutine %.1f us", r.GoOneThreadUS))
		}
		if r.GoCPUUS > 0 {
			notes = append(notes, fmt.Sprintf("%.2f us CPU", r.GoCPUUS))
		}
		one := ""
		if notes != nil {
			one = " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintf(out, "%-24s %-12s batch %-3d go %9.2f us%s   tf %s   goal %s: %s\n", r.Name, r.Layers, r.Batch, r.GoUS, one, tf, r.Goal, verdict)
	}
}

// startTFWorker starts the worker for the tf side, with TensorFlow's own
// default of one intra-op thread per core unless XLRL_TF_THREADS is set:
// the DQN training loop's one thread (pyworker/rl.py) is the faster choice
// inside that loop, but bench nn compares against TensorFlow at its fastest
// for a lone step (552 against 678 us for the [256, 256] step on a quiet
// 2-vCPU machine).
func startTFWorker(ctx context.Context) (*worker.Client, error) {
	if os.Getenv("XLRL_TF_THREADS") == "" {
		_ = os.Setenv("XLRL_TF_THREADS", "0")
	}
	c, err := startWorker(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("bench nn: the tf side needs the worker (or pass --no-tf): %w", err)
	}
	return c, nil
}
