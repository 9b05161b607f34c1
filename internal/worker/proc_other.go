//go:build !linux

package worker

import (
	"io"
	"os"
	"syscall"
	"time"
)

// procAttr starts the worker in its own process group. Without Linux's
// parent-death signal, the worker's own watchdog (it exits when its parent
// changes) and stdin EOF end it when the host dies.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// growPipe is a no-op: only Linux can resize pipes.
func growPipe(*os.File) {}

// newSpinReader reads f as it is: polling before blocking is Linux only.
func newSpinReader(f *os.File, _, _ time.Duration) io.Reader { return f }
