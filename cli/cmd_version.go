package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/buildinfo"
)

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the xlrl version, the protocol version and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if asJSON {
				return printJSON(out, map[string]any{
					"version":  buildinfo.Version,
					"protocol": fmt.Sprintf("%d.%d", buildinfo.ProtocolMajor, buildinfo.ProtocolMinor),
					"go":       runtime.Version(),
				})
			}
			fmt.Fprintln(out, versionLine())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object")
	return cmd
}

// versionLine is what xlrl version and xlrl --version print.
func versionLine() string {
	return fmt.Sprintf("xlrl %s (protocol %d.%d, %s %s/%s)", buildinfo.Version,
		buildinfo.ProtocolMajor, buildinfo.ProtocolMinor, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
