package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

// globalFlags are the flags every command accepts.
type globalFlags struct {
	python   string // path of the Python interpreter for the worker
	logLevel string
}

var global globalFlags

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "xlrl",
		Short: "Reinforcement learning and generative models: a Go host with a Python (TensorFlow) worker",
		Long: `xlrl runs environments, exploration, replay and Bellman updates in Go and
hands gradient steps, generative models and plots to a Python worker that it
starts itself and talks to over msgpack-RPC.

Commands that report figures accept --json and then print them as one JSON
object on the last line of stdout.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return setupLogging(global.logLevel)
		},
	}
	root.PersistentFlags().StringVar(&global.python, "python", "",
		"Python interpreter for the worker (default: $XLRL_PYTHON, then ./.venv, then python3)")
	root.PersistentFlags().StringVar(&global.logLevel, "log-level", "warn", "log level: debug, info, warn or error")

	root.AddCommand(
		newVersionCmd(),
		newPlotCmd(),
		newEvalCmd(),
		newDemoCmd(),
		newTrainCmd(),
		newSolveCmd(),
		newEnvsCmd(),
		newRolloutCmd(),
		newDoctorCmd(),
		newBenchCmd(),
		newWorkerCmd(),
		newGenCmd(),
		newRobustCmd(),
		newExportCmd(),
		newCheckEnvCmd(),
	)
	return root
}

func setupLogging(level string) error {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return usageErrorf("--log-level %q: want debug, info, warn or error", level)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})))
	return nil
}
