package worker

import (
	"fmt"
	"strings"
)

// RemoteError is a request that failed inside the worker. The worker keeps
// serving after it.
type RemoteError struct {
	Method    string `msgpack:"-"`
	Type      string `msgpack:"type"`
	Message   string `msgpack:"message"`
	Traceback string `msgpack:"traceback"`
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("worker: %s failed: %s: %s", e.Method, e.Type, e.Message)
}

// ExitError is the worker's death: every call pending at that moment, and
// every later one, fails with it.
type ExitError struct {
	Status     string   // as os.ProcessState says it: "exit status 1", "signal: killed"
	StderrTail []string // the worker's last lines of stderr
	During     string   // what the host was doing: a method name or "start-up"
}

func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the Python worker died (%s)", e.Status)
	if e.During != "" {
		fmt.Fprintf(&b, " during %s", e.During)
	}
	if len(e.StderrTail) > 0 {
		b.WriteString("; its last lines of stderr:\n    ")
		b.WriteString(strings.Join(e.StderrTail, "\n    "))
	} else {
		b.WriteString("; it wrote nothing to stderr")
	}
	return b.String()
}

// ProtocolError is a worker that broke the protocol: bytes that are not
// msgpack-RPC, a wrong handshake, or an incompatible protocol version. The
// host stops such a worker.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "worker protocol: " + e.Msg }
