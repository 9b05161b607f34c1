// Command xlrl is the Go host of the xlrl toolkit: it runs environments,
// agents and training loops, and drives the Python worker (pyworker) over
// msgpack-RPC for TensorFlow work, plots and generative models. The
// commands live in package github.com/xlrl/xlrl/cli.
package main

import "github.com/xlrl/xlrl/cli"

func main() { cli.Main() }
