package cli

import (
	"log/slog"

	"github.com/spf13/cobra"
	"github.com/xlrl/xlrl/internal/gymenv"
	"github.com/xlrl/xlrl/internal/worker"
)

// Worker-hosted Gymnasium environments: importing gymenv registers the
// "gym:" resolver, so --env gym:ID and gym:package.module:Name resolve
// wherever the commands look ids up; their worker uses --python.
func init() {
	cobra.OnInitialize(func() {
		gymenv.Configure(worker.Options{Python: global.python, Logger: slog.Default()})
	})
}
