package cli

import "github.com/spf13/cobra"

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure xlrl's speed beside its peers (results: docs/benchmarks.md)",
	}
	cmd.AddCommand(newBenchRPCCmd())
	cmd.AddCommand(newBenchEnvCmd())
	cmd.AddCommand(newBenchNNCmd())
	return cmd
}
