package cli

import (
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/env"
)

// benchEnvFlags are xlrl bench env's flags.
type benchEnvFlags struct {
	id           string
	steps, nEnvs int
	workers      int
	seconds      float64
	asJSON       bool
}

// benchEnvResult is xlrl bench env's JSON.
type benchEnvResult struct {
	Env           string  `json:"env"`
	Single        float64 `json:"steps_per_sec"`
	SingleCPU     float64 `json:"steps_per_cpu_sec"`
	Vectorized    float64 `json:"vectorized_steps_per_sec"`
	Steps         int     `json:"steps"`
	VecSteps      int     `json:"vectorized_steps"`
	Envs          int     `json:"envs"`
	Workers       int     `json:"workers"`
	ParallelShare float64 `json:"parallel_step_share"`
	CPUs          int     `json:"cpus"`
	Go            string  `json:"go"`
}

func newBenchEnvCmd() *cobra.Command {
	var o benchEnvFlags
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Measure environment steps per second: one core, and vectorized on all cores",
		Long: `bench env takes uniformly random actions, resetting at every episode end and
at the time limit, and reports:

  steps_per_sec             one environment on one goroutine (wall time)
  steps_per_cpu_sec         the same run per second of CPU time actually used,
                            which stays meaningful on a shared machine
  vectorized_steps_per_sec  --envs copies in a vectorized runner sharded across
                            up to --workers goroutines (default: one per CPU);
                            it measures and steps on one when more are slower
  parallel_step_share       the share of its steps that ran on more than one

bench/env_peers.py runs this next to Gymnasium and EnvPool on the same machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := env.Lookup(o.id); err != nil {
				return err
			}
			if o.steps <= 0 || o.nEnvs <= 0 || o.seconds <= 0 {
				return usageErrorf("--steps, --envs and --min-seconds must be positive")
			}
			if o.workers <= 0 {
				o.workers = runtime.GOMAXPROCS(0)
			}
			res, err := benchEnv(&o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if !o.asJSON {
				fmt.Fprintf(out, "%s random actions, %s\n", o.id, runtime.Version())
				fmt.Fprintf(out, "  one core:              %12.0f steps/s (%.0f per CPU-second)\n", res.Single, res.SingleCPU)
				fmt.Fprintf(out, "  vectorized (%d envs, up to %d workers): %12.0f steps/s (%.0f%% of steps on more than one)\n",
					o.nEnvs, o.workers, res.Vectorized, 100*res.ParallelShare)
				return nil
			}
			return printJSON(out, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.id, "env", "CartPole-v1", "environment id (discrete actions)")
	f.IntVar(&o.steps, "steps", 10_000_000, "steps per timed run (grown until a run lasts --min-seconds)")
	f.Float64Var(&o.seconds, "min-seconds", 1, "shortest timed run")
	f.IntVar(&o.nEnvs, "envs", 256, "environments in the vectorized runner")
	f.IntVar(&o.workers, "workers", 0, "goroutines for the vectorized runner (0: one per CPU)")
	f.BoolVar(&o.asJSON, "json", false, "print the figures as one JSON object")
	return cmd
}

// benchEnv times one environment and the vectorized runner.
func benchEnv(o *benchEnvFlags) (*benchEnvResult, error) {
	single, singleCPU, singleSteps, err := measure(o.seconds, o.steps, func(n int) (int, time.Duration, error) {
		d, err := env.RandomSteps(o.id, n, 1)
		return n, d, err
	})
	if err != nil {
		return nil, err
	}
	var parallelShare float64
	vec, _, vecSteps, err := measure(o.seconds, o.steps, func(n int) (int, time.Duration, error) {
		return env.VectorRandomSteps(o.id, o.nEnvs, o.workers, n, 1, &parallelShare)
	})
	if err != nil {
		return nil, err
	}
	return &benchEnvResult{Env: o.id, Single: single, SingleCPU: singleCPU, Vectorized: vec, Steps: singleSteps,
		VecSteps: vecSteps, Envs: o.nEnvs, Workers: o.workers, ParallelShare: parallelShare,
		CPUs: runtime.NumCPU(), Go: runtime.Version()}, nil
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
