package xlrl

import (
	"context"
	"errors"
	"strings"

	"github.com/xlrl/xlrl/internal/backend"
	"github.com/xlrl/xlrl/internal/worker"
)

// Backend runs deep agents' gradient steps: GoBackend in this process,
// TFBackend in the Python worker's TensorFlow, and, in binaries built with
// `-tags gorgonia`, OpenBackend("gorgonia"). Close it when done.
type Backend = backend.Backend

// GoBackend is the pure-Go backend: no Python, no cgo.
func GoBackend() Backend { return backend.NewGo() }

// WorkerOptions choose the Python worker (interpreter, log, extra modules);
// see package github.com/xlrl/xlrl/worker.
type WorkerOptions = worker.Options

// TFBackend starts the Python worker and runs gradient steps in its
// TensorFlow; Close stops the worker.
func TFBackend(ctx context.Context, o WorkerOptions) (Backend, error) {
	c, err := worker.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	return &tfBackend{TF: backend.NewTF(c), c: c}, nil
}

type tfBackend struct {
	*backend.TF
	c *worker.Client
}

func (b *tfBackend) Close() error { return errors.Join(b.TF.Close(), b.c.Close()) }

// OpenBackend opens a backend by name: go, tf (with default WorkerOptions)
// or one compiled in under a build tag (gorgonia).
func OpenBackend(ctx context.Context, name string) (Backend, error) {
	switch name {
	case "go":
		return GoBackend(), nil
	case "tf":
		return TFBackend(ctx, WorkerOptions{})
	}
	b, ok, err := backend.OpenOptional(ctx, name)
	if !ok {
		return nil, errors.New("unknown backend " + name + ": this build offers " + strings.Join(backend.Names(), ", "))
	}
	return b, err
}
