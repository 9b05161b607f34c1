//go:build !linux

package tune

import "syscall"

// procAttr starts a child in its own process group, so that a terminal's
// Ctrl-C reaches only xlrl tune, which stops its children in order.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
