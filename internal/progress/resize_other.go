//go:build !unix

package progress

// onResize does nothing where there is no SIGWINCH: the width is the one
// the terminal had when the bar started.
func onResize(func()) (stop func()) { return func() {} }
