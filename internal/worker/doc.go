// Package worker is the Go side of the link to the Python worker (pyworker).
//
// Start finds a Python interpreter, starts `python -m pyworker serve` in its
// own process group with a parent-death signal, and checks its handshake.
// Call sends a msgpack-RPC request and waits for its response; several calls
// may be in flight from different goroutines, and replies are matched by
// msgid. Every call takes a context: on cancellation the call returns at once
// and the worker is told to cancel it.
//
// The worker's stderr is its log: each line goes to log/slog (and to a log
// file when Options.LogFile is set), and the last lines are kept so that when
// the worker dies every pending call fails at once with an *ExitError that
// carries the exit status and those lines.
//
// Close shuts the worker down in order: a shutdown request, then closing its
// stdin, then SIGTERM, then SIGKILL to its process group, each after a grace
// period.
package worker
