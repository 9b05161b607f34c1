// Package buildinfo holds the versions that the host and the worker agree on.
package buildinfo

// Version is the xlrl release. The worker's package version is checked against
// it only for display; compatibility is decided by ProtocolMajor.
var Version = "0.1.0"

// Protocol version of the Go<->Python link. A worker with a different major
// version is refused; a different minor version is accepted (it only adds
// methods).
const (
	ProtocolMajor = 1
	ProtocolMinor = 0
)
