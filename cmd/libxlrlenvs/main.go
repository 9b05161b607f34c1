// Command libxlrlenvs builds xlrl's Go environments as a C shared library
// for the xlrl_envs Python package:
//
//	go build -buildmode=c-shared -o libxlrlenvs.so ./cmd/libxlrlenvs   (make xlrl-envs)
//
// The exported functions live in package envlib; a user who registers
// environments of their own builds a library the same way from a main
// package of theirs (see envlib's documentation).
package main

import _ "github.com/xlrl/xlrl/envlib"

// main is required by -buildmode=c-shared and never runs.
func main() {}
