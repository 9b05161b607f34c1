package main

import "github.com/spf13/cobra"

// newBenchCmd groups the benchmarks. (Minimal version from feat/env; the
// lead's cmd_bench.go replaces it and keeps the AddCommand line.)
func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure throughput (environments, ...)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newBenchEnvCmd())
	return cmd
}
