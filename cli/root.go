package cli

import (
	"github.com/xlrl/xlrl/internal/flagcheck"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/buildinfo"
	"github.com/xlrl/xlrl/internal/train"
)

// globalFlags are the flags every command accepts.
type globalFlags struct {
	python   string // path of the Python interpreter for the worker
	logLevel string
}

var global globalFlags

// settings are what the command tree takes from its caller besides the
// arguments: the defaults of where runs go and whether they are plotted,
// and the train hooks (a clock, a look at each episode) that tests inject.
type settings struct {
	train      train.Defaults
	trainHooks train.Hooks
}

// newRootCmd is the command tree as a user runs it.
func newRootCmd() *cobra.Command {
	return newRoot(settings{train: train.Defaults{Root: "", Plot: true}})
}

func newRoot(s settings) *cobra.Command {
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
		Version:       buildinfo.Version,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// Every command's numeric flags, checked the same way before any work.
			if err := flagcheck.Check(cmd.Flags()); err != nil {
				return usageErrorf("%v", err)
			}
			return setupLogging(global.logLevel)
		},
	}
	root.SetVersionTemplate(versionLine() + "\n")
	root.PersistentFlags().StringVar(&global.python, "python", "",
		"Python interpreter for the worker (default: $XLRL_PYTHON, then the .venv of the xlrl binary's checkout, then python3)")
	root.PersistentFlags().StringVar(&global.logLevel, "log-level", "warn", "log level: debug, info, warn or error")

	root.AddCommand(
		newVersionCmd(),
		newPlotCmd(),
		newEvalCmd(),
		newDemoCmd(s),
		newTrainCmd(s),
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
		newTensorBoardCmd(s),
		newTuneCmd(s),
		newSweepCmd(s),
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
