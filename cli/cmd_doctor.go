package cli

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/buildinfo"
	"github.com/xlrl/xlrl/internal/worker"
)

type doctorReport struct {
	XLRL         string            `json:"xlrl"`
	Go           string            `json:"go"`
	Protocol     string            `json:"protocol"`
	Python       string            `json:"python"`
	PythonReason string            `json:"python_reason"`
	PythonVer    string            `json:"python_version,omitempty"`
	Worker       string            `json:"worker_version,omitempty"`
	WorkerProto  string            `json:"worker_protocol,omitempty"`
	TensorFlow   string            `json:"tensorflow,omitempty"`
	Keras        string            `json:"keras,omitempty"`
	Devices      []string          `json:"devices,omitempty"`
	TFImportSec  float64           `json:"tensorflow_import_seconds,omitempty"`
	Methods      int               `json:"methods"`
	ImportErrors map[string]string `json:"import_errors,omitempty"`
	Problems     []string          `json:"problems"`
	OK           bool              `json:"ok"`
}

func newDoctorCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the Go host, the Python worker and TensorFlow, and say what to fix",
		Long: `doctor finds the Python interpreter the way every command does (--python,
then $XLRL_PYTHON, then the project's .venv, then python3), starts the worker,
checks its handshake, and imports TensorFlow inside it. It exits non-zero when
something is missing and names the command that fixes it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := runDoctor(cmd.Context())
			adviseUnset(cmd.Context(), &r)
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, r); err != nil {
					return err
				}
			} else {
				printDoctor(cmd, r)
			}
			if !r.OK {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	return cmd
}

// adviseUnset adds, to a failed report whose interpreter came from a broken
// $XLRL_PYTHON, the advice to unset it when the project's .venv works.
func adviseUnset(ctx context.Context, r *doctorReport) {
	if r.OK {
		return
	}
	reason := r.PythonReason
	if reason == "" && global.python == "" && os.Getenv("XLRL_PYTHON") != "" {
		reason = "$XLRL_PYTHON" // it could not even be found
	}
	if adv := worker.UnsetAdvice(ctx, reason); adv != "" {
		r.Problems = append(r.Problems, adv)
	}
}

func runDoctor(ctx context.Context) doctorReport {
	r := doctorReport{
		XLRL:     buildinfo.Version,
		Go:       runtime.Version(),
		Protocol: fmt.Sprintf("%d.%d", buildinfo.ProtocolMajor, buildinfo.ProtocolMinor),
		Problems: []string{},
	}
	interp, err := worker.FindPython(global.python)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return r
	}
	r.Python, r.PythonReason = interp.Path, interp.Reason
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := startWorker(startCtx, "")
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return r
	}
	defer c.Close()
	h := c.Handshake()
	r.PythonVer, r.Worker, r.Methods, r.ImportErrors = h.Python, h.Version, len(h.Methods), h.ImportErrors
	if len(h.Protocol) == 2 {
		r.WorkerProto = fmt.Sprintf("%d.%d", h.Protocol[0], h.Protocol[1])
	}
	for mod, e := range h.ImportErrors {
		r.Problems = append(r.Problems, fmt.Sprintf("the worker cannot import %s (%s): its methods are missing", mod, e))
	}
	if h.TensorFlow == "" {
		r.Problems = append(r.Problems, fmt.Sprintf(
			"TensorFlow is not installed for %s: install it with `%s -m pip install tensorflow-cpu` (or run `make venv` in the xlrl checkout)",
			interp.Path, interp.Path))
		r.OK = len(r.Problems) == 0
		return r
	}
	var info struct {
		TensorFlow string   `msgpack:"tensorflow"`
		Keras      string   `msgpack:"keras"`
		Devices    []string `msgpack:"devices"`
		ImportSec  float64  `msgpack:"import_seconds"`
		Error      string   `msgpack:"error"`
	}
	if err := c.Call(ctx, "info", nil, &info); err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("the worker could not describe TensorFlow: %v", err))
	} else if info.TensorFlow == "" {
		r.Problems = append(r.Problems, fmt.Sprintf("TensorFlow %s is installed but does not import: %s", h.TensorFlow, info.Error))
	}
	r.TensorFlow, r.Keras, r.Devices, r.TFImportSec = info.TensorFlow, info.Keras, info.Devices, info.ImportSec
	r.OK = len(r.Problems) == 0
	return r
}

func printDoctor(cmd *cobra.Command, r doctorReport) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "xlrl        %s (protocol %s, %s)\n", r.XLRL, r.Protocol, r.Go)
	if r.Python != "" {
		fmt.Fprintf(out, "python      %s %s (found by %s)\n", r.Python, r.PythonVer, r.PythonReason)
	}
	if r.Worker != "" {
		fmt.Fprintf(out, "worker      pyworker %s (protocol %s, %d methods)\n", r.Worker, r.WorkerProto, r.Methods)
	}
	if r.TensorFlow != "" {
		fmt.Fprintf(out, "tensorflow  %s, keras %s, devices %v (import %.1fs)\n", r.TensorFlow, r.Keras, r.Devices, r.TFImportSec)
	}
	if r.OK {
		fmt.Fprintln(out, "ok: the host, the worker and TensorFlow work together")
		return
	}
	for _, p := range r.Problems {
		fmt.Fprintln(cmd.ErrOrStderr(), "problem:", p)
	}
}
