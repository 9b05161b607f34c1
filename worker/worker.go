// Package worker is the client of xlrl's Python worker (pyworker): it
// starts `python -m pyworker serve`, checks the handshake and calls the
// worker's methods over msgpack-RPC. Calling one's own Python methods from
// Go (docs/worker.md) needs only this package: give Options.Imports the
// modules that register them, then Client.Call.
//
// The names here are the ones of xlrl's own client (internal/worker).
package worker

import (
	"context"

	"github.com/xlrl/xlrl/internal/worker"
)

// Options choose the interpreter, the log and the extra modules of a worker.
type Options = worker.Options

// Client is a running worker. Its methods are safe for concurrent use.
type Client = worker.Client

// Handshake is what the worker announces when it starts: its protocol
// version and its methods.
type Handshake = worker.Handshake

// Interpreter is the Python interpreter a worker runs on.
type Interpreter = worker.Interpreter

// Array is an n-dimensional array on the wire (zero-copy for float32).
type Array = worker.Array

// DType is the element type of an Array.
type DType = worker.DType

// RemoteError is an exception raised by a worker method.
type RemoteError = worker.RemoteError

// ExitError reports a worker process that ended.
type ExitError = worker.ExitError

// ProtocolError reports a message that breaks the protocol.
type ProtocolError = worker.ProtocolError

// ErrClosed is returned by calls on a closed client.
var ErrClosed = worker.ErrClosed

// Start starts a worker and waits for its handshake.
func Start(ctx context.Context, opts Options) (*Client, error) { return worker.Start(ctx, opts) }

// FindPython finds the interpreter for the worker: explicit when not
// empty, then $XLRL_PYTHON, then ./.venv, then python3.
func FindPython(explicit string) (Interpreter, error) { return worker.FindPython(explicit) }

// Float32Array wraps v as an array of the given shape (default: 1-D).
func Float32Array(v []float32, shape ...int) Array { return worker.Float32Array(v, shape...) }

// Float64Array wraps v as an array of the given shape (default: 1-D).
func Float64Array(v []float64, shape ...int) Array { return worker.Float64Array(v, shape...) }

// Int32Array wraps v as an array of the given shape (default: 1-D).
func Int32Array(v []int32, shape ...int) Array { return worker.Int32Array(v, shape...) }

// Int64Array wraps v as an array of the given shape (default: 1-D).
func Int64Array(v []int64, shape ...int) Array { return worker.Int64Array(v, shape...) }

// Uint8Array wraps v as an array of the given shape (default: 1-D).
func Uint8Array(v []uint8, shape ...int) Array { return worker.Uint8Array(v, shape...) }

// BoolArray wraps v as an array of the given shape (default: 1-D).
func BoolArray(v []bool, shape ...int) Array { return worker.BoolArray(v, shape...) }

// The element types of an Array.
const (
	Float32 = worker.Float32
	Float64 = worker.Float64
	Int32   = worker.Int32
	Int64   = worker.Int64
	Uint8   = worker.Uint8
	Bool    = worker.Bool
)
