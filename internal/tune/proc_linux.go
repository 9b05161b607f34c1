package tune

import "syscall"

// procAttr starts a child in its own process group, so that a terminal's
// Ctrl-C reaches only xlrl tune (which stops its children in order), with
// a parent-death signal: a child whose tune process dies stops like after
// Ctrl-C (xlrl train treats SIGTERM as an interrupt) instead of running on.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
