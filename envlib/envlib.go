// Package envlib is the C interface of xlrl's Go environments, for the
// xlrl_envs Python package (python/xlrl_envs): built into a shared library
// with go build -buildmode=c-shared (cmd/libxlrlenvs is the default one).
//
// A user who wants their own Go environments in Python builds their own
// library: a main package that imports envlib and registers the
// environments in an init function,
//
//	package main
//
//	import "github.com/xlrl/xlrl/envlib"
//
//	func init() { envlib.MustRegister(mySpec, newMyEnv) } // or xlrl.RegisterEnv
//
//	func main() {}
//
// then go build -buildmode=c-shared -o libmyenvs.so . and, in Python,
// xlrl_envs.load_library("libmyenvs.so") before the first make_vec (or
// XLRL_ENVS_LIBRARY=libmyenvs.so). Every built-in environment is in it too.
//
// Memory: each vector's results live in C memory that Go writes in place and
// numpy views without copying; one call into Go steps every copy.
package envlib

import (
	"github.com/xlrl/xlrl/internal/env"
)

// The types a user's environment is written against.
type (
	// Env is one environment (see internal/env).
	Env = env.Env
	// Spec describes an environment id: spaces, time limit, threshold.
	Spec = env.Spec
	// Space is a Discrete or Box space.
	Space = env.Space
	// Action is one action.
	Action = env.Action
)

// Space kinds.
const (
	Discrete = env.Discrete
	Box      = env.Box
)

// Register adds the user's environment under spec.ID; it is
// xlrl.RegisterEnv (the public registry), repeated here so that a library
// build needs one import.
func Register(spec Spec, build func() (Env, error)) error { return env.Register(spec, build) }

// MustRegister is Register for init functions: it panics on error.
func MustRegister(spec Spec, build func() (Env, error)) {
	if err := Register(spec, build); err != nil {
		panic(err)
	}
}
