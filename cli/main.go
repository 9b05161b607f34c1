// Package cli is the xlrl command tree (train, eval, solve, rollout, plot,
// bench, ...) as a library: Main runs it on os.Args. A program that
// registers its own environments with xlrl.RegisterEnv and then calls Main
// gets every command for them; cmd/xlrl is exactly that, with none.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main runs the command tree on os.Args and exits with its status: 0, 1 on
// an error, 130 when interrupted.
func Main() {
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
