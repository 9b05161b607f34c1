package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names inside a run directory.
const (
	ConfigFile     = "config.yaml"
	MetricsFile    = "metrics.jsonl"
	CheckpointFile = "checkpoint.ckpt"
	WorkerLogFile  = "worker.log"
	PlotsDir       = "plots"
	TensorBoardDir = "tb"
)

// DefaultRoot is where runs go when neither --out nor an absolute name says
// otherwise.
const DefaultRoot = "runs"

// Dir is one run directory.
type Dir struct {
	Path string
}

// Join returns the path of name inside the run directory.
func (d *Dir) Join(name ...string) string {
	return filepath.Join(append([]string{d.Path}, name...)...)
}

// Config, Metrics, Checkpoint, WorkerLog, Plots and TensorBoard are the paths
// of the run's standard files and folders.
func (d *Dir) Config() string      { return d.Join(ConfigFile) }
func (d *Dir) Metrics() string     { return d.Join(MetricsFile) }
func (d *Dir) Checkpoint() string  { return d.Join(CheckpointFile) }
func (d *Dir) WorkerLog() string   { return d.Join(WorkerLogFile) }
func (d *Dir) Plots() string       { return d.Join(PlotsDir) }
func (d *Dir) TensorBoard() string { return d.Join(TensorBoardDir) }

// Location says where a new run goes: Out is any directory (--out); otherwise
// Root/Name (--name), otherwise Root/<timestamp>.
type Location struct {
	Root string // default DefaultRoot
	Name string
	Out  string
	Now  func() time.Time // default time.Now; for tests
}

// Path resolves the location to a directory path without touching the disk.
func (l Location) Path() string {
	if l.Out != "" {
		return l.Out
	}
	root := l.Root
	if root == "" {
		root = DefaultRoot
	}
	if l.Name != "" {
		return filepath.Join(root, l.Name)
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return filepath.Join(root, now().UTC().Format("20060102-150405"))
}

// ExistsError reports a run directory that already holds a run.
type ExistsError struct{ Path string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("run directory %s already exists and is not empty: choose another --name or --out, "+
		"or continue it with --resume %s", e.Path, e.Path)
}

// Create makes a new run directory and proves it is writable, so that a bad
// --out fails before any training starts. It refuses a directory that exists
// and is not empty. A timestamped default that is taken (two runs in one
// second) gets a numeric suffix instead.
func Create(l Location) (*Dir, error) {
	if l.Out == "" && strings.ContainsAny(l.Name, `/\`) {
		return nil, fmt.Errorf("--name %q: a name, not a path (use --out for a path)", l.Name)
	}
	path := l.Path()
	if l.Out == "" && l.Name == "" {
		for i := 2; !isEmptyOrMissing(path); i++ {
			path = fmt.Sprintf("%s-%d", l.Path(), i)
		}
	}
	if !isEmptyOrMissing(path) {
		return nil, &ExistsError{Path: path}
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create run directory %s: %w", path, err)
	}
	if err := checkWritable(path); err != nil {
		return nil, err
	}
	return &Dir{Path: path}, nil
}

// Open opens an existing run directory (for --resume, eval and plot): it must
// hold a config.yaml.
func Open(path string) (*Dir, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("run directory %s does not exist", path)
		}
		return nil, fmt.Errorf("run directory %s: %w", path, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a run directory (it is a file)", path)
	}
	d := &Dir{Path: path}
	if _, err := os.Stat(d.Config()); err != nil {
		return nil, fmt.Errorf("%s is not a run directory: it has no %s", path, ConfigFile)
	}
	return d, nil
}

// OpenForResume opens a run directory to continue it: it must hold a
// checkpoint as well, and be writable.
func OpenForResume(path string) (*Dir, error) {
	d, err := Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(d.Checkpoint()); err != nil {
		return nil, fmt.Errorf("cannot resume %s: it has no %s (the run stopped before its first checkpoint); "+
			"start it again instead", path, CheckpointFile)
	}
	if err := checkWritable(path); err != nil {
		return nil, err
	}
	return d, nil
}

func isEmptyOrMissing(path string) bool {
	entries, err := os.ReadDir(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return err == nil && len(entries) == 0
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in run directory %s: %w", dir, unwrapPathError(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// unwrapPathError drops the *fs.PathError wrapper, whose path is a random
// temporary name the user does not need to see.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
