package xlrl

import (
	"github.com/xlrl/xlrl/internal/env"
	"github.com/xlrl/xlrl/internal/gymenv"
)

// ConfigureGym sets the worker options of the "gym:" environments (the
// interpreter, the log, extra environment variables) and stops a worker
// already started with other options (environments made in it fail from
// then on): call it before the first gym: id. Without it the worker runs on
// $XLRL_PYTHON, else the .venv of the checkout that holds the running
// binary, else python3; that interpreter needs pyworker and gymnasium
// (`make venv` in an xlrl checkout).
func ConfigureGym(o WorkerOptions) { gymenv.Configure(o) }

// ShutdownGym stops the worker behind the "gym:" environments (a later gym:
// id starts a new one). The worker also exits with the process.
func ShutdownGym() error { return gymenv.Shutdown() }

// WithKwarg passes a constructor argument to a "gym:" environment
// (gymnasium.make(id, key=value), or the class or factory of
// gym:package.module:Name); the value is read as a Python literal (8, 0.5,
// true, none, (2, 3)), anything else arrives as a string. xlrl's Go
// environments take none: MakeEnv refuses it for them.
func WithKwarg(key, value string) EnvOption { return env.WithKwarg(key, value) }

// CloseEnv frees what an environment holds outside Go: a "gym:"
// environment's copy in the worker. Other environments hold nothing, and
// for them it does nothing.
func CloseEnv(e Env) {
	switch c := e.(type) {
	case interface{ Close() }:
		c.Close()
	case interface{ Close() error }:
		_ = c.Close()
	}
}
