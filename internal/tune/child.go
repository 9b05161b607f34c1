package tune

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// TrainResult is the part of `xlrl train --json`'s result line that tune
// and sweep read.
type TrainResult struct {
	Env         string  `json:"env"`
	Algo        string  `json:"algo"`
	Seed        uint64  `json:"seed"`
	MeanReturn  float64 `json:"mean_return"`
	StdReturn   float64 `json:"std_return"`
	SuccessRate float64 `json:"success_rate"`
	TrainSteps  int64   `json:"train_steps"`
	WallSeconds float64 `json:"wall_seconds"`
	RunDir      string  `json:"run_dir"`
	Deep        *struct {
		Solved *bool `json:"solved"`
	} `json:"deep"`
}

// Child is one `xlrl train` process: a trial or a sweep run.
type Child struct {
	Exe     string   // the xlrl binary
	Args    []string // its arguments (Base.TrainArgs)
	Metrics string   // the run's metrics.jsonl, followed for periodic evaluations
	Log     string   // the file its stdout and stderr go to
	// OnEval is called for each periodic evaluation the run logs, in step
	// order; true stops the run (SIGINT, then SIGKILL after Grace).
	OnEval func(step int64, value float64) bool
	Grace  time.Duration // default 10 s
	Poll   time.Duration // default 250 ms
}

// ChildOutcome is how a child ended.
type ChildOutcome struct {
	Result   *TrainResult // the --json result line; nil unless it exited 0 with one
	ExitCode int          // -1: killed by a signal
	Stopped  bool         // OnEval asked to stop it
	Canceled bool         // the context ended first (Ctrl-C)
	Evals    int          // periodic evaluations seen
	LastStep int64        // the step of the last one
	Wall     time.Duration
	Err      error // why it failed, when it did
}

// Run starts the child and waits for it. ctx ending (Ctrl-C) stops it as
// OnEval can: SIGINT, then SIGKILL after the grace period.
func (c Child) Run(ctx context.Context) ChildOutcome {
	grace, poll := c.Grace, c.Poll
	if grace <= 0 {
		grace = 10 * time.Second
	}
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	start := time.Now()
	var out ChildOutcome
	logf, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		out.Err = fmt.Errorf("opening the trial log: %w", err)
		out.ExitCode = -1
		return out
	}
	defer logf.Close()
	fmt.Fprintf(logf, "$ %s %s\n", c.Exe, strings.Join(c.Args, " "))
	var stdout bytes.Buffer
	tail := &lastLines{n: 5}
	cmd := exec.Command(c.Exe, c.Args...)
	cmd.Stdout = io.MultiWriter(&stdout, logf)
	cmd.Stderr = io.MultiWriter(tail, logf)
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		out.Err = fmt.Errorf("starting %s: %w", c.Exe, err)
		out.ExitCode = -1
		return out
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	follow := &metricsTail{path: c.Metrics}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	var killAt <-chan time.Time
	stop := func() {
		if killAt == nil {
			_ = cmd.Process.Signal(syscall.SIGINT)
			killAt = time.After(grace)
		}
	}
	handle := func(evs []evalPoint) {
		for _, e := range evs {
			out.Evals++
			out.LastStep = e.step
			if c.OnEval != nil && !out.Stopped && !out.Canceled && c.OnEval(e.step, e.value) {
				out.Stopped = true
				stop()
			}
		}
	}
	ctxDone := ctx.Done()
	var waitErr error
loop:
	for {
		select {
		case waitErr = <-done:
			break loop
		case <-ctxDone:
			ctxDone = nil
			out.Canceled = true
			stop()
		case <-killAt:
			_ = cmd.Process.Kill()
		case <-ticker.C:
			handle(follow.read())
		}
	}
	// What the run logged last (it flushes at the end) still counts.
	handle(follow.read())
	out.Wall = time.Since(start)
	out.ExitCode = cmd.ProcessState.ExitCode()
	if waitErr == nil {
		res, err := parseResult(stdout.Bytes())
		if err != nil {
			out.Err = err
		} else {
			out.Result = res
		}
		return out
	}
	why := tail.last()
	if why == "" {
		why = waitErr.Error()
	}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) && ee.ExitCode() < 0 {
		why = fmt.Sprintf("%v (%s)", waitErr, why)
	}
	out.Err = errors.New(why)
	return out
}

// parseResult finds the JSON object on the last non-empty line of stdout.
func parseResult(stdout []byte) (*TrainResult, error) {
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(last, "{") {
		return nil, fmt.Errorf("xlrl train printed no JSON result line")
	}
	var r TrainResult
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		return nil, fmt.Errorf("xlrl train's result line: %w", err)
	}
	return &r, nil
}

type evalPoint struct {
	step  int64
	value float64
}

// metricsTail reads the complete lines a run appended to metrics.jsonl
// since the last read and keeps its periodic evaluations.
type metricsTail struct {
	path    string
	offset  int64
	partial []byte
}

func (m *metricsTail) read() []evalPoint {
	f, err := os.Open(m.path)
	if err != nil {
		return nil // not created yet
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() < m.offset {
		m.offset, m.partial = 0, nil // cut (a resumed run drops records): start over
	}
	if _, err := f.Seek(m.offset, io.SeekStart); err != nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil || len(data) == 0 {
		return nil
	}
	m.offset += int64(len(data))
	data = append(m.partial, data...)
	var pts []evalPoint
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := data[:i]
		data = data[i+1:]
		var rec struct {
			Kind     string   `json:"kind"`
			Step     int64    `json:"step"`
			EvalMean *float64 `json:"eval_mean"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Kind == "eval" && rec.EvalMean != nil {
			pts = append(pts, evalPoint{rec.Step, *rec.EvalMean})
		}
	}
	m.partial = append([]byte(nil), data...)
	return pts
}

// lastLines keeps the last n lines written to it (a child's stderr), for
// the reason a trial failed.
type lastLines struct {
	mu    sync.Mutex
	n     int
	lines []string
	cur   []byte
}

func (l *lastLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur = append(l.cur, p...)
	sc := bufio.NewScanner(bytes.NewReader(l.cur))
	var rest []byte
	if i := bytes.LastIndexByte(l.cur, '\n'); i >= 0 {
		rest = append([]byte(nil), l.cur[i+1:]...)
		sc = bufio.NewScanner(bytes.NewReader(l.cur[:i]))
	} else {
		return len(p), nil
	}
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			l.lines = append(l.lines, s)
		}
	}
	if len(l.lines) > l.n {
		l.lines = l.lines[len(l.lines)-l.n:]
	}
	l.cur = rest
	return len(p), nil
}

func (l *lastLines) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := strings.TrimSpace(string(l.cur)); s != "" {
		return s
	}
	for i := len(l.lines) - 1; i >= 0; i-- {
		// Progress lines are not reasons; an error line is.
		if strings.HasPrefix(l.lines[i], "xlrl:") || i == 0 {
			return l.lines[i]
		}
	}
	if len(l.lines) > 0 {
		return l.lines[len(l.lines)-1]
	}
	return ""
}
