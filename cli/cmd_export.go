package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/export"
	"github.com/xlrl/xlrl/internal/worker"
)

func newExportCmd() *cobra.Command {
	var format, out string
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "export RUN",
		Short: "Write a run's trained policy as .npz (numpy, xlrl_envs.load_policy), .keras, or a Q-table .npy",
		Long: `export reads the policy of a finished (or interrupted) training run and writes it
in a format other tools read. An interrupted run exports the policy xlrl eval acts
with: its best evaluated weights so far, else its latest.

  --format npz    the weights (W0, b0, ... in Keras order) and the architecture as
                  JSON: its kind says how the outputs become the action (mlp: their
                  argmax; mlp-clip: PPO's mean clipped to the bounds; mlp-tanh: SAC's
                  mean or TD3's action through tanh, rescaled to the bounds), with
                  the bounds and the observation statistics the run standardised its
                  inputs with. xlrl_envs.load_policy acts from it in numpy. For a
                  tabular agent: its Q-table (q) and the architecture.
  --format keras  a Keras model of built-in layers (needs the worker and TensorFlow)
                  that keras.saving.load_model loads with no xlrl installed; its
                  output is the action for Box policies, the logits or Q-values
                  (take their argmax) for Discrete ones.
  --format npy    a tabular agent's Q-table, states x actions.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := export.FromRun(args[0])
			if err != nil {
				return err
			}
			if out == "" {
				out = filepath.Join(args[0], "policy."+format)
			}
			if err := export.CheckTarget(p, format, out, force); err != nil {
				return usageErrorf("%v", err)
			}
			var client *worker.Client // started only for --format keras
			lazy := func(ctx context.Context) (*worker.Client, error) {
				c, err := startWorker(ctx, "")
				client = c
				return c, err
			}
			err = p.Write(cmd.Context(), format, out, lazy)
			if client != nil {
				client.Close()
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{"file": out, "format": format, "architecture": p.Arch})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s of %s on %s)\n", out, p.Arch.Kind, p.Arch.Algo, p.Arch.Env)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "npz", "npz, keras or npy (a tabular agent's Q-table)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write (default: RUN/policy.FORMAT)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}
