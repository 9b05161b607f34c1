package cli

import (
	"context"
	"log/slog"

	"github.com/xlrl/xlrl/internal/worker"
)

// startWorker starts the Python worker with the global flags. logFile, when
// not empty, receives the worker's stderr as well as slog.
func startWorker(ctx context.Context, logFile string) (*worker.Client, error) {
	return worker.Start(ctx, worker.Options{Python: global.python, LogFile: logFile, Logger: slog.Default()})
}
