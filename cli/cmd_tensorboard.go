package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/run"
	"github.com/xlrl/xlrl/internal/worker"
)

func newTensorBoardCmd(s settings) *cobra.Command {
	var (
		port int
		host string
	)
	cmd := &cobra.Command{
		Use:   "tensorboard [RUNS]",
		Short: "Start TensorBoard on run directories, from the worker's Python environment",
		Long: `Start TensorBoard on a directory of runs (default: runs): every run writes
TensorBoard event files into RUN/tb, one run per line in TensorBoard.

TensorBoard comes with the worker's Python environment (the project's .venv,
or --python / $XLRL_PYTHON), not necessarily on PATH: this command starts it
from there, as PYTHON -m tensorboard.main --logdir RUNS. Ctrl-C stops it.`,
		Example: `  xlrl tensorboard
  xlrl tensorboard runs/cartpole --port 6007`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := s.train.Root
			if dir == "" {
				dir = run.DefaultRoot
			}
			if len(args) == 1 {
				dir = args[0]
			}
			if st, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s does not exist: train a run first (xlrl train writes runs/<name>/tb) or name a directory of runs", dir)
			} else if err != nil {
				return err
			} else if !st.IsDir() {
				return fmt.Errorf("%s is not a directory of runs", dir)
			}
			if port < 0 || port > 65535 {
				return usageErrorf("--port %d: want 0 to 65535", port)
			}
			py, err := worker.FindPython(global.python)
			if err != nil {
				return err
			}
			if err := exec.CommandContext(cmd.Context(), py.Path, "-c", "import tensorboard").Run(); err != nil {
				return fmt.Errorf("TensorBoard is not installed for %s (%s): install it with `%s -m pip install tensorboard`",
					py.Path, py.Reason, py.Path)
			}
			tb := exec.CommandContext(cmd.Context(), py.Path, tensorBoardArgs(dir, host, port)...)
			tb.Stdin, tb.Stdout, tb.Stderr = os.Stdin, cmd.OutOrStdout(), cmd.ErrOrStderr()
			fmt.Fprintf(cmd.ErrOrStderr(), "starting TensorBoard on %s with %s\n", dir, py.Path)
			if err := tb.Run(); err != nil && cmd.Context().Err() == nil {
				return fmt.Errorf("tensorboard: %w", err)
			}
			return nil // stopped by Ctrl-C
		},
	}
	f := cmd.Flags()
	f.IntVar(&port, "port", 6006, "port TensorBoard serves on")
	f.StringVar(&host, "host", "localhost", "address TensorBoard listens on (0.0.0.0 for every interface)")
	return cmd
}

// invokedAs is the xlrl binary as the user typed it (bin/xlrl, xlrl, a full
// path), for the commands that hints name.
func invokedAs() string {
	if len(os.Args) == 0 || os.Args[0] == "" || strings.HasSuffix(os.Args[0], ".test") {
		return "xlrl" // a test binary is not a command to suggest
	}
	return os.Args[0]
}

// tensorBoardArgs are the interpreter's arguments that start TensorBoard.
func tensorBoardArgs(dir, host string, port int) []string {
	return []string{"-m", "tensorboard.main", "--logdir", dir, "--host", host, "--port", strconv.Itoa(port)}
}
