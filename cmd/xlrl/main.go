// Command xlrl is the Go host of the xlrl toolkit: it runs environments,
// agents and training loops, and drives the Python worker (pyworker) over
// msgpack-RPC for TensorFlow work, plots and generative models.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// The first Ctrl-C asks the command to stop cleanly (a training run
		// writes its checkpoint); a second one then ends the process at once.
		<-ctx.Done()
		stop()
	}()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "xlrl:", err)
		if ctx.Err() != nil {
			os.Exit(130) // interrupted, as shells report SIGINT
		}
		os.Exit(1)
	}
}

// exitError ends the program with a given status after the command has
// already reported what went wrong.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
