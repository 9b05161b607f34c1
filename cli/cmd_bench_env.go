package cli

import (
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
)

func newBenchEnvCmd() *cobra.Command {
	var (
		id           string
		steps, nEnvs int
		workers      int
		seconds      float64
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Measure environment steps per second: one core, and vectorized on all cores",
		Long: `bench env takes uniformly random actions, resetting at every episode end and
at the time limit, and reports:

  steps_per_sec             one environment on one goroutine (wall time)
  steps_per_cpu_sec         the same run per second of CPU time actually used,
                            which stays meaningful on a shared machine
  vectorized_steps_per_sec  --envs copies in a vectorized runner sharded across
                            --workers goroutines (default: one per CPU)

bench/env_peers.py runs this next to Gymnasium and EnvPool on the same machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := env.Lookup(id); err != nil {
				return err
			}
			if steps <= 0 || nEnvs <= 0 || seconds <= 0 {
				return usageErrorf("--steps, --envs and --min-seconds must be positive")
			}
			if workers <= 0 {
				workers = runtime.GOMAXPROCS(0)
			}
			single, singleCPU, singleSteps, err := measure(seconds, steps, func(n int) (int, time.Duration, error) {
				d, err := env.RandomSteps(id, n, 1)
				return n, d, err
			})
			if err != nil {
				return err
			}
			vec, _, vecSteps, err := measure(seconds, steps, func(n int) (int, time.Duration, error) {
				return env.VectorRandomSteps(id, nEnvs, workers, n, 1)
			})
			if err != nil {
				return err
			}
			res := map[string]any{
				"env":                      id,
				"steps_per_sec":            single,
				"steps_per_cpu_sec":        singleCPU,
				"vectorized_steps_per_sec": vec,
				"steps":                    singleSteps,
				"vectorized_steps":         vecSteps,
				"envs":                     nEnvs,
				"workers":                  workers,
				"cpus":                     runtime.NumCPU(),
				"go":                       runtime.Version(),
			}
			out := cmd.OutOrStdout()
			if !asJSON {
				fmt.Fprintf(out, "%s random actions, %s\n", id, runtime.Version())
				fmt.Fprintf(out, "  one core:              %12.0f steps/s (%.0f per CPU-second)\n", single, singleCPU)
				fmt.Fprintf(out, "  vectorized (%d envs, %d workers): %12.0f steps/s\n", nEnvs, workers, vec)
				return nil
			}
			return printJSON(out, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "env", "CartPole-v1", "environment id (discrete actions)")
	f.IntVar(&steps, "steps", 10_000_000, "steps per timed run (grown until a run lasts --min-seconds)")
	f.Float64Var(&seconds, "min-seconds", 1, "shortest timed run")
	f.IntVar(&nEnvs, "envs", 256, "environments in the vectorized runner")
	f.IntVar(&workers, "workers", 0, "goroutines for the vectorized runner (0: one per CPU)")
	f.BoolVar(&asJSON, "json", false, "print the figures as one JSON object")
	return cmd
}

// measure runs f with n steps, doubling n until one run lasts minSeconds,
// after one untimed warm-up run, and returns that run's steps per second of
// wall time and per second of this process's CPU time (0 where unmeasured).
func measure(minSeconds float64, n int, f func(n int) (int, time.Duration, error)) (float64, float64, int, error) {
	if _, _, err := f(min(n, 100_000)); err != nil {
		return 0, 0, 0, err
	}
	for {
		cpu0 := processCPUTime()
		done, d, err := f(n)
		cpu := processCPUTime() - cpu0
		if err != nil {
			return 0, 0, 0, err
		}
		if d.Seconds() >= minSeconds || n >= 1<<36 {
			perCPU := 0.0
			if cpu > 0 {
				perCPU = float64(done) / cpu.Seconds()
			}
			return float64(done) / d.Seconds(), perCPU, done, nil
		}
		n *= 2
	}
}
