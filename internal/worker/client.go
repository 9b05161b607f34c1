package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
	"github.com/xlrl/xlrl/internal/buildinfo"
)

// msgpack-RPC message kinds.
const (
	msgRequest      = 0
	msgResponse     = 1
	msgNotification = 2
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("worker: the client is closed")

// Options configure Start. The zero value is usable.
type Options struct {
	Python       string        // interpreter; "" searches (see FindPython)
	Command      []string      // replaces `<python> -m pyworker serve` (tests, custom workers)
	LogFile      string        // append the worker's stderr to this file too
	Logger       *slog.Logger  // where stderr lines go (default slog.Default())
	Imports      []string      // extra handler modules for the worker to import
	Env          []string      // extra environment variables, "K=V"
	StartTimeout time.Duration // for the handshake (default 60s)
	GracePeriod  time.Duration // between the steps of Close (default 2s)
	// CallTimeout fails a call that gets neither its reply nor a progress
	// notification for this long, even when its context has no deadline, so
	// that a stuck worker cannot hang the host. 0: $XLRL_WORKER_TIMEOUT,
	// else DefaultCallTimeout; negative: no such deadline.
	CallTimeout time.Duration
}

// DefaultCallTimeout is how long a call may go without a reply or a
// progress notification when neither Options.CallTimeout nor
// $XLRL_WORKER_TIMEOUT says otherwise. Long handlers (training) send
// progress notifications, each of which restarts the clock.
const DefaultCallTimeout = 10 * time.Minute

// callTimeout resolves Options.CallTimeout (see there); 0 means none.
func callTimeout(opt time.Duration) (time.Duration, error) {
	switch {
	case opt > 0:
		return opt, nil
	case opt < 0:
		return 0, nil
	}
	v := os.Getenv("XLRL_WORKER_TIMEOUT")
	if v == "" {
		return DefaultCallTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("$XLRL_WORKER_TIMEOUT=%q: want a duration such as 30m, or 0 for no deadline", v)
	}
	return d, nil
}

// Handshake is the worker's first message.
type Handshake struct {
	Protocol     []int             `msgpack:"protocol"`
	Version      string            `msgpack:"version"`
	Python       string            `msgpack:"python"`
	Executable   string            `msgpack:"executable"`
	TensorFlow   string            `msgpack:"tensorflow"` // "" when TensorFlow is not installed
	Methods      []string          `msgpack:"methods"`
	ImportErrors map[string]string `msgpack:"import_errors"`
	PID          int               `msgpack:"pid"`
	// Catalog is what the worker's modules advertise, by name: "gen" and
	// "robust" hold the generative models, the data sets and their defaults
	// (pyworker/gen/catalog.py), so that the host restates none of them.
	// Read an entry with CatalogEntry.
	Catalog map[string]msgpack.RawMessage `msgpack:"catalog"`
}

// CatalogEntry decodes the catalog entry name into v. A worker without it
// (a module that failed to import, an older worker) is an error that says so.
func (h Handshake) CatalogEntry(name string, v any) error {
	raw, ok := h.Catalog[name]
	if !ok {
		why := "it is older than this host, or a module failed to import"
		if len(h.ImportErrors) > 0 {
			why = fmt.Sprintf("modules that failed to import: %v", h.ImportErrors)
		}
		return fmt.Errorf("the worker (%s, pyworker %s) advertises no %q catalog (%s)", h.Executable, h.Version, name, why)
	}
	if err := msgpack.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("the worker's %q catalog: %w", name, err)
	}
	return nil
}

// Client is a running worker. Its methods are safe for concurrent use.
type Client struct {
	opts   Options
	interp Interpreter
	cmd    *exec.Cmd
	hello  Handshake

	wmu   sync.Mutex // serializes writes to stdin
	stdin *os.File
	wbuf  chunkWriter
	enc   *msgpack.Encoder

	mu      sync.Mutex
	nextID  uint32
	pending map[uint32]*call
	failed  error         // once set, the worker is unusable and every call returns it
	dead    chan struct{} // closed when failed is set
	closing bool          // Close has begun: the worker's exit is expected

	helloCh   chan Handshake
	helloSeen bool          // the reader goroutine's: a second hello is a protocol error
	timeout   time.Duration // resolved CallTimeout; 0: none
	spin      time.Duration // how long the reader polls before it parks (linkSpin)
	holdOff   time.Duration // how long polling stops once the CPUs look contended (linkHoldOff)
	workDir   string        // the worker's own working directory, removed after it exits
	exited    chan struct{} // closed when the process has been reaped
	finished  chan struct{} // closed when its stderr is drained and its log closed
	status    string        // exit status, valid after exited is closed
	stderr    *stderrLog
	logFile   *os.File
	closeOnce sync.Once
}

type call struct {
	method     string
	result     any
	onProgress func(map[string]any)
	done       chan error
	alive      chan struct{} // a progress notification arrived (restarts the call's timeout)
}

// Start starts a worker and waits for its handshake. ctx bounds the start-up
// only; the worker runs until Close.
func Start(ctx context.Context, opts Options) (*Client, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.GracePeriod == 0 {
		opts.GracePeriod = 2 * time.Second
	}
	timeout, err := callTimeout(opts.CallTimeout)
	if err != nil {
		return nil, err
	}
	interp, err := FindPython(opts.Python)
	if err != nil {
		return nil, err
	}
	c := &Client{
		opts:     opts,
		interp:   interp,
		timeout:  timeout,
		pending:  make(map[uint32]*call),
		helloCh:  make(chan Handshake, 1),
		dead:     make(chan struct{}),
		exited:   make(chan struct{}),
		finished: make(chan struct{}),
	}
	if opts.LogFile != "" {
		c.logFile, err = os.OpenFile(opts.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("opening the worker log: %w", err)
		}
	}
	if err := c.spawn(); err != nil {
		c.closeLog()
		return nil, err
	}
	if err := c.awaitHello(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) spawn() error {
	args := []string{c.interp.Path, "-m", "pyworker", "serve"}
	for _, m := range c.opts.Imports {
		args = append(args, "--import", m)
	}
	if len(c.opts.Command) > 0 {
		args = c.opts.Command
	}
	cmd := exec.Command(args[0], args[1:]...)
	// The worker's trust boundary: it runs in a directory of its own (a run
	// or data folder's matplotlibrc and the like are not read), and with
	// PYTHONSAFEPATH no directory, the working one included, is put in front
	// of sys.path, so nothing a downloaded folder holds (a msgpack.py) is
	// imported. Relative paths in requests are resolved against the host's
	// working directory, which it gets as XLRL_HOST_CWD.
	dir, err := os.MkdirTemp("", "xlrl-worker-")
	if err != nil {
		return fmt.Errorf("creating the worker's working directory: %w", err)
	}
	c.workDir = dir
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONSAFEPATH=1")
	if wd, err := os.Getwd(); err == nil {
		cmd.Env = append(cmd.Env, "XLRL_HOST_CWD="+wd)
	}
	if os.Getenv("TF_CPP_MIN_LOG_LEVEL") == "" {
		cmd.Env = append(cmd.Env, "TF_CPP_MIN_LOG_LEVEL=2")
	}
	c.spin, c.holdOff = linkSpin(), linkHoldOff()
	cmd.Env = append(cmd.Env, fmt.Sprintf("XLRL_LINK_SPIN_US=%d", c.spin.Microseconds()),
		fmt.Sprintf("XLRL_LINK_HOLDOFF_MS=%d", c.holdOff.Milliseconds()))
	cmd.Env = append(cmd.Env, c.opts.Env...)
	cmd.SysProcAttr = procAttr()

	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return err
	}
	growPipe(inW)
	growPipe(outR)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	// Pdeathsig fires when the thread that forked the child exits; keep this
	// goroutine on one thread while forking so that it is not a thread the
	// runtime is about to retire.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		os.RemoveAll(c.workDir)
		return fmt.Errorf("starting the worker with %s (%s): %w", c.interp.Path, c.interp.Reason, err)
	}
	c.cmd = cmd
	c.stdin = inW
	c.enc = msgpack.NewEncoder(&c.wbuf)
	c.enc.UseCompactInts(true)
	c.stderr = newStderrLog(c.opts.Logger.With("pid", cmd.Process.Pid), c.logFile)
	go c.stderr.run(errR)
	go c.readLoop(outR)
	go c.wait()
	return nil
}

func (c *Client) awaitHello(ctx context.Context) error {
	timer := time.NewTimer(c.opts.StartTimeout)
	defer timer.Stop()
	select {
	case h := <-c.helloCh:
		c.hello = h
	case <-c.dead:
		return fmt.Errorf("starting the worker with %s (%s): %w\n(is pyworker installed for this interpreter? `make venv` installs it into the project's .venv)",
			c.interp.Path, c.interp.Reason, c.failure("start-up"))
	case <-timer.C:
		return fmt.Errorf("the worker (pid %d, %s) sent no handshake within %s", c.cmd.Process.Pid, c.interp.Path, c.opts.StartTimeout)
	case <-ctx.Done():
		return fmt.Errorf("starting the worker: %w", context.Cause(ctx))
	}
	if len(c.hello.Protocol) < 1 || c.hello.Protocol[0] != buildinfo.ProtocolMajor {
		err := &ProtocolError{Msg: fmt.Sprintf(
			"the worker speaks protocol %v (pyworker %s, %s) but this xlrl %s speaks %d.%d; "+
				"install the worker from the same checkout as the binary (`make venv`, or `pip install -e <checkout>`)",
			c.hello.Protocol, c.hello.Version, c.hello.Executable, buildinfo.Version, buildinfo.ProtocolMajor, buildinfo.ProtocolMinor)}
		c.fail(err)
		return err
	}
	return nil
}

// Handshake returns what the worker said about itself at start.
func (c *Client) Handshake() Handshake { return c.hello }

// Interpreter returns the Python the worker runs on and why it was chosen.
func (c *Client) Interpreter() Interpreter { return c.interp }

// PID is the worker's process id.
func (c *Client) PID() int { return c.cmd.Process.Pid }

// Call invokes method with params (a map or a struct with msgpack tags, which
// become the handler's keyword arguments) and decodes the result into result
// (a pointer, or nil to discard it).
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	return c.CallWithProgress(ctx, method, params, result, nil)
}

// CallWithProgress is Call with a callback for the progress notifications the
// handler sends. The callback runs on the client's reader goroutine: keep it short.
func (c *Client) CallWithProgress(ctx context.Context, method string, params, result any, onProgress func(map[string]any)) error {
	cl := &call{method: method, result: result, onProgress: onProgress, done: make(chan error, 1),
		alive: make(chan struct{}, 1)}
	c.mu.Lock()
	if c.failed != nil {
		err := c.failed
		c.mu.Unlock()
		return during(err, method)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = cl
	c.mu.Unlock()

	if err := c.send(msgRequest, id, method, params); err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		failed := c.failed
		c.mu.Unlock()
		if failed != nil {
			return during(failed, method)
		}
		return fmt.Errorf("worker call %s: %w", method, err)
	}
	var timeout <-chan time.Time
	var timer *time.Timer
	if c.timeout > 0 {
		timer = time.NewTimer(c.timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	abandon := func(why error) error {
		c.mu.Lock()
		_, waiting := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if !waiting { // the reader already took the reply: it is being delivered
			return <-cl.done
		}
		_ = c.send(msgNotification, 0, "cancel", map[string]any{"msgid": id})
		return fmt.Errorf("worker call %s: %w", method, why)
	}
	for {
		select {
		case err := <-cl.done:
			return err
		case <-cl.alive:
			timer.Reset(c.timeout)
		case <-timeout:
			return abandon(fmt.Errorf("%w: no reply and no progress for %s (the worker may be stuck; "+
				"set XLRL_WORKER_TIMEOUT to allow longer, 0 for no limit)", ErrCallTimeout, c.timeout))
		case <-ctx.Done():
			return abandon(context.Cause(ctx))
		}
	}
}

// ErrCallTimeout is wrapped by the error of a call that went past its
// client's CallTimeout.
var ErrCallTimeout = errors.New("timed out")

// send encodes a message in full before writing it, so that a value that
// cannot be encoded fails this call and never leaves half a message on the wire.
func (c *Client) send(kind int, id uint32, method string, params any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf.reset()
	var err error
	if kind == msgRequest {
		err = errors.Join(c.enc.EncodeArrayLen(4), c.enc.EncodeInt(msgRequest), c.enc.EncodeUint32(id),
			c.enc.EncodeString(method), c.enc.EncodeArrayLen(1))
	} else {
		err = errors.Join(c.enc.EncodeArrayLen(3), c.enc.EncodeInt(msgNotification), c.enc.EncodeString(method))
	}
	if err == nil {
		if params == nil {
			params = map[string]any{}
		}
		err = c.enc.Encode(params)
	}
	if err != nil {
		return fmt.Errorf("encoding the params: %w", err)
	}
	return c.wbuf.writeTo(c.stdin)
}

func (c *Client) readLoop(r *os.File) {
	defer r.Close()
	tr := &tailReader{r: newSpinReader(r, c.spin, c.holdOff)}
	dec := msgpack.NewDecoder(bufio.NewReaderSize(tr, 256<<10))
	for {
		if err := c.readMessage(dec); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) {
				// The worker closed stdout: it is exiting. Let wait record
				// the failure, which says how it died and holds the last
				// lines of its stderr.
				select {
				case <-c.finished:
				case <-time.After(c.opts.GracePeriod):
					c.fail(c.exitError(""))
				}
				return
			}
			perr := &ProtocolError{Msg: fmt.Sprintf("the worker wrote bytes that are not msgpack-RPC (%v); last bytes read: % x", err, tr.last)}
			if errors.Is(err, errSecondHello) {
				perr = &ProtocolError{Msg: err.Error()}
			}
			c.fail(perr)
			c.killGroup(syscall.SIGKILL)
			return
		}
	}
}

func (c *Client) readMessage(dec *msgpack.Decoder) error {
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return err
	}
	kind, err := dec.DecodeInt()
	if err != nil {
		return err
	}
	switch {
	case kind == msgResponse && n == 4:
		return c.readResponse(dec)
	case kind == msgNotification && n == 3:
		return c.readNotification(dec)
	}
	return fmt.Errorf("message of kind %d with %d elements", kind, n)
}

func (c *Client) readResponse(dec *msgpack.Decoder) error {
	id, err := dec.DecodeUint32()
	if err != nil {
		return err
	}
	c.mu.Lock()
	cl := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()

	var remote *RemoteError
	code, err := dec.PeekCode()
	if err != nil {
		return err
	}
	if code == msgpcode.Nil {
		err = dec.DecodeNil()
	} else {
		remote = &RemoteError{}
		err = dec.Decode(remote)
	}
	if err != nil {
		return err
	}
	if cl == nil || remote != nil || cl.result == nil { // abandoned call, error, or result not wanted
		if err := dec.Skip(); err != nil {
			return err
		}
		if cl != nil {
			if remote != nil {
				remote.Method = cl.method
				cl.done <- remote
			} else {
				cl.done <- nil
			}
		}
		return nil
	}
	if arr, ok := cl.result.(*Array); ok {
		// Large arrays come this way: decoded in place, with one copy.
		// decodeArrayExt consumes the whole ext even when it fails.
		if code, err = dec.PeekCode(); err != nil {
			return err
		}
		if msgpcode.IsExt(code) {
			if err := dec.Decode(arr); err != nil {
				cl.done <- fmt.Errorf("worker call %s: decoding its result: %w", cl.method, err)
			} else {
				cl.done <- nil
			}
			return nil
		}
	}
	// Decode from the raw bytes: a result that does not fit the caller's type
	// fails the call, not the stream.
	raw, err := dec.DecodeRaw()
	if err != nil {
		return err
	}
	if err := msgpack.Unmarshal(raw, cl.result); err != nil {
		cl.done <- fmt.Errorf("worker call %s: decoding its result: %w", cl.method, err)
	} else {
		cl.done <- nil
	}
	return nil
}

func (c *Client) readNotification(dec *msgpack.Decoder) error {
	method, err := dec.DecodeString()
	if err != nil {
		return err
	}
	switch method {
	case "hello":
		var h Handshake
		if err := dec.Decode(&h); err != nil {
			return err
		}
		if c.helloSeen {
			return errSecondHello
		}
		c.helloSeen = true
		c.helloCh <- h
	case "progress":
		var p map[string]any
		if err := dec.Decode(&p); err != nil {
			return err
		}
		id, _ := toUint32(p["msgid"])
		c.mu.Lock()
		cl := c.pending[id]
		c.mu.Unlock()
		if cl != nil {
			select {
			case cl.alive <- struct{}{}:
			default:
			}
		}
		if cl != nil && cl.onProgress != nil {
			delete(p, "msgid")
			cl.onProgress(p)
		}
	default:
		c.opts.Logger.Debug("ignoring a notification from the worker", "method", method)
		return dec.Skip()
	}
	return nil
}

// errSecondHello is a worker that said hello twice.
var errSecondHello = errors.New("the worker sent a second hello notification; it is not the worker this host started")

func toUint32(v any) (uint32, bool) {
	switch x := v.(type) {
	case int8:
		return uint32(x), true
	case int16:
		return uint32(x), true
	case int32:
		return uint32(x), true
	case int64:
		return uint32(x), true
	case uint8:
		return uint32(x), true
	case uint16:
		return uint32(x), true
	case uint32:
		return x, true
	case uint64:
		return uint32(x), true
	}
	return 0, false
}

func (c *Client) wait() {
	_ = c.cmd.Wait()
	c.status = c.cmd.ProcessState.String()
	close(c.exited)
	// Give the stderr reader a moment to drain the last lines, which say why.
	select {
	case <-c.stderr.done:
	case <-time.After(500 * time.Millisecond):
	}
	c.fail(c.exitError(""))
	c.closeLog()
	os.RemoveAll(c.workDir)
	close(c.finished)
}

func (c *Client) closeLog() {
	if c.logFile != nil {
		_ = c.logFile.Close()
	}
	if c.stderr != nil {
		c.stderr.closeFiles()
	}
}

// LogTo appends the worker's stderr to the file at path from now on, after
// the lines it has written so far (up to the last 20, the hello among
// them): for a worker started before the directory its log belongs in
// exists (a run directory made once the worker has checked the arguments).
func (c *Client) LogTo(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening the worker log: %w", err)
	}
	if !c.stderr.addFile(f) {
		f.Close()
		return fmt.Errorf("worker log %s: %w", path, c.exitError("LogTo"))
	}
	return nil
}

func (c *Client) exitError(during string) *ExitError {
	status := "still running"
	select {
	case <-c.exited:
		status = c.status
	default:
	}
	return &ExitError{Status: status, StderrTail: c.stderr.tail(), During: during}
}

// failure is the recorded failure, for a call or phase named during.
func (c *Client) failure(phase string) error {
	c.mu.Lock()
	err := c.failed
	c.mu.Unlock()
	if err == nil {
		err = c.exitError("")
	}
	return during(err, phase)
}

// fail records the first failure and fails every pending call with it.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.failed != nil {
		c.mu.Unlock()
		return
	}
	if c.closing {
		err = ErrClosed
	}
	c.failed = err
	close(c.dead)
	pending := c.pending
	c.pending = make(map[uint32]*call)
	c.mu.Unlock()
	for _, cl := range pending {
		cl.done <- during(err, cl.method)
	}
}

// during names the call or phase that a failure interrupted.
func during(err error, what string) error {
	var exit *ExitError
	if errors.As(err, &exit) {
		e := *exit
		e.During = what
		return &e
	}
	if errors.Is(err, ErrClosed) {
		return fmt.Errorf("worker call %s: %w", what, err)
	}
	return err
}

// Close shuts the worker down: a shutdown request, then closing its stdin,
// then SIGTERM, then SIGKILL to its process group, each after the grace
// period. It returns once the worker has been reaped and its last lines of
// stderr are logged.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		grace := c.opts.GracePeriod
		c.mu.Lock()
		alive := c.failed == nil
		c.closing = true
		c.mu.Unlock()
		if alive {
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			_ = c.Call(ctx, "shutdown", nil, nil)
			cancel()
		}
		c.fail(ErrClosed)
		c.wmu.Lock()
		c.stdin.Close()
		c.wmu.Unlock()
		if c.waitExit(grace) {
			return
		}
		c.opts.Logger.Warn("the worker did not exit after its stdin closed; sending SIGTERM", "pid", c.PID())
		c.killGroup(syscall.SIGTERM)
		if c.waitExit(grace) {
			return
		}
		c.opts.Logger.Warn("the worker ignored SIGTERM; sending SIGKILL", "pid", c.PID())
		c.killGroup(syscall.SIGKILL)
	})
	<-c.finished
	return nil
}

// waitExit waits up to d for the worker to exit, then signals whatever is left
// in its process group so that no child of the worker outlives it.
func (c *Client) waitExit(d time.Duration) bool {
	select {
	case <-c.exited:
		c.killGroup(syscall.SIGKILL)
		return true
	case <-time.After(d):
		return false
	}
}

func (c *Client) killGroup(sig syscall.Signal) {
	_ = syscall.Kill(-c.cmd.Process.Pid, sig)
}

// DefaultLinkSpin is how long each end of the link polls its pipe for the
// next message before it blocks, unless $XLRL_LINK_SPIN_US says otherwise
// (microseconds; 0 turns polling off). See spinReader.
const DefaultLinkSpin = 100 * time.Microsecond

// linkSpin resolves DefaultLinkSpin and $XLRL_LINK_SPIN_US.
func linkSpin() time.Duration {
	return durationFromEnv("XLRL_LINK_SPIN_US", time.Microsecond, "microseconds", DefaultLinkSpin)
}

// DefaultLinkHoldOff is how long each end of the link stops polling once its
// polling keeps being switched out by the kernel, unless
// $XLRL_LINK_HOLDOFF_MS says otherwise (milliseconds; 0 never stops: for a
// machine whose CPUs the link has to itself). The host also times each
// hold-off against the polling before it and keeps polling for a while
// when polling was faster. See spinReader.
const DefaultLinkHoldOff = 50 * time.Millisecond

// linkHoldOff resolves DefaultLinkHoldOff and $XLRL_LINK_HOLDOFF_MS.
func linkHoldOff() time.Duration {
	return durationFromEnv("XLRL_LINK_HOLDOFF_MS", time.Millisecond, "milliseconds", DefaultLinkHoldOff)
}

// durationFromEnv reads a whole number of units from the environment
// variable name; unset or not a number >= 0 (with a warning), def.
func durationFromEnv(name string, unit time.Duration, units string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		slog.Warn("ignoring "+name+": want a whole number of "+units, "value", v)
		return def
	}
	return time.Duration(n) * unit
}
