package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/worker"
)

func newWorkerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Talk to the Python worker directly (debugging)",
	}
	cmd.AddCommand(newWorkerCallCmd(), newWorkerMethodsCmd())
	return cmd
}

func newWorkerCallCmd() *cobra.Command {
	var (
		params  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "call METHOD",
		Short: "Start a worker, call one method with JSON params, print the JSON result",
		Example: `  xlrl worker call ping
  xlrl worker call echo --params '{"value": [1, 2, 3]}'
  xlrl worker call sleep --params '{"seconds": 2}'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p map[string]any
			if err := json.Unmarshal([]byte(params), &p); err != nil {
				return usageErrorf("--params must be a JSON object of keyword arguments: %v", err)
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			c, err := startWorker(ctx, "")
			if err != nil {
				return err
			}
			defer c.Close()
			var result any
			if err := c.CallWithProgress(ctx, args[0], p, &result, func(p map[string]any) {
				fmt.Fprintf(cmd.ErrOrStderr(), "progress: %v\n", p)
			}); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), jsonable(result))
		},
	}
	cmd.Flags().StringVar(&params, "params", "{}", "keyword arguments as a JSON object")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (0: never)")
	return cmd
}

// jsonable turns what msgpack decoded into values encoding/json accepts:
// maps with interface keys become string-keyed, arrays are summarized.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case worker.Array:
		return map[string]any{"dtype": x.DType.String(), "shape": x.Shape, "bytes": len(x.Data)}
	}
	return v
}

func newWorkerMethodsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "methods",
		Short: "List the methods the worker serves",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := startWorker(cmd.Context(), "")
			if err != nil {
				return err
			}
			defer c.Close()
			for _, m := range c.Handshake().Methods {
				fmt.Fprintln(cmd.OutOrStdout(), m)
			}
			return nil
		},
	}
}
