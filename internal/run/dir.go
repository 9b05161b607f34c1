package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
	lock *heldLock // nil: opened to read only
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

// ExistsError reports a run directory that already holds a run that no
// process is training. Unfinished says whether that run stopped before its
// first checkpoint (so there is nothing to resume); it is decided once, under
// the directory's lock, so that the message does not change with what
// another process writes later.
type ExistsError struct {
	Path       string
	Unfinished bool
}

func (e *ExistsError) Error() string {
	if e.Unfinished {
		return fmt.Sprintf("run directory %s already holds a run that stopped before its first checkpoint "+
			"(nothing to resume): to start it again, rm -r %s and run the same command; or choose another --name or --out",
			e.Path, e.Path)
	}
	return fmt.Sprintf("run directory %s already exists and is not empty: choose another --name or --out, "+
		"or continue it with --resume %s", e.Path, e.Path)
}

// existsError describes the run that the directory at path holds.
func existsError(path string) *ExistsError {
	d := Dir{Path: path}
	_, cfgErr := os.Stat(d.Config())
	_, ckptErr := os.Stat(d.Checkpoint())
	return &ExistsError{Path: path, Unfinished: cfgErr == nil && ckptErr != nil}
}

// BusyError reports a run directory whose lock another process (or another
// claim in this one) holds: a training or a resume of it is running.
type BusyError struct {
	Path string
	PID  int // the holder's process id as it wrote it; 0 when unknown
}

func (e *BusyError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = fmt.Sprintf("process %d", e.PID)
	}
	return fmt.Sprintf("run directory %s is in use by %s (a training or a resume of it is running): "+
		"wait for it to end, or choose another --name or --out", e.Path, holder)
}

// maxDefaultNames bounds the search for a free timestamped name.
const maxDefaultNames = 10000

// Create claims a new run directory and proves it is writable, so that a bad
// --out fails before any training starts. The claim is atomic: the directory
// is made with os.Mkdir under its final name and locked (an advisory lock
// on the directory itself) before anything is written, so of two processes that ask for one name
// exactly one gets it, and the other gets an ExistsError or a BusyError. A
// directory that exists is used only when it is empty. A taken
// timestamped default (runs started in the same second, a parallel sweep)
// gets the next free numeric suffix, claimed the same way. The returned Dir
// holds the run's lock until Close or the end of the process.
func Create(l Location) (*Dir, error) {
	if l.Out == "" && strings.ContainsAny(l.Name, `/\`) {
		return nil, fmt.Errorf("--name %q: a name, not a path (use --out for a path)", l.Name)
	}
	base := l.Path()
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return nil, fmt.Errorf("cannot create run directory %s: %w", base, err)
	}
	if l.Out == "" && l.Name == "" {
		for i := 1; i <= maxDefaultNames; i++ {
			path := base
			if i > 1 {
				path = fmt.Sprintf("%s-%d", base, i)
			}
			err := os.Mkdir(path, 0o755)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("cannot create run directory %s: %w", path, err)
			}
			d, err := claim(path)
			var busy *BusyError
			if errors.As(err, &busy) {
				continue // a named run of this very name took it between the two steps
			}
			return d, err
		}
		return nil, fmt.Errorf("cannot create a run directory: %s and its %d numbered variants are taken; "+
			"choose a --name", base, maxDefaultNames)
	}
	if err := os.Mkdir(base, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("cannot create run directory %s: %w", base, err)
	}
	return claim(base)
}

// claim locks the directory at path for a new run and checks that it holds
// no run. The lock comes first: a directory whose run is being trained is
// reported busy (naming the process), not mistaken for a run that stopped.
func claim(path string) (*Dir, error) {
	lk, err := lockDir(path, false)
	if err != nil {
		var busy *BusyError
		if errors.As(err, &busy) && busy.PID == os.Getpid() && !holdsNoRun(path) {
			// This process holds the run (a library caller, a test that
			// asks twice): what it holds is a run, not another process's work.
			return nil, existsError(path)
		}
		return nil, err
	}
	d := &Dir{Path: path, lock: lk}
	if !holdsNoRun(path) {
		d.Close()
		return nil, existsError(path)
	}
	if err := checkWritable(path); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close releases the run's lock (a no-op for a Dir opened without one).
func (d *Dir) Close() {
	if d.lock != nil {
		d.lock.release()
		d.lock = nil
	}
}

// discardable are the files a run may hold and still be worth nothing, when
// its metrics are empty: what a run that failed at once (bad data, a bad
// flag value the trainer found) leaves.
var discardable = []string{ConfigFile, MetricsFile, WorkerLogFile}

// Discard removes a new run that failed before it produced anything (no
// checkpoint, no metrics records, no file other than its config, empty
// metrics and worker log), so that the same command, fixed, can use
// the same name; it reports whether it did. It releases the lock this
// process holds on the directory either way.
func (d *Dir) Discard() bool {
	if d.lock == nil { // a Dir made from a path: release this process's lock on it, if any
		if key, err := filepath.Abs(d.Path); err == nil {
			held.Lock()
			d.lock = held.m[key]
			held.Unlock()
		}
	}
	defer d.Close()
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !slices.Contains(discardable, e.Name()) {
			return false
		}
		if e.Name() == MetricsFile {
			if info, err := e.Info(); err != nil || info.Size() > 0 {
				return false
			}
		}
	}
	for _, e := range entries {
		os.Remove(d.Join(e.Name()))
	}
	return os.Remove(d.Path) == nil
}

// Open opens an existing run directory (for eval and plot, which only read
// it): it must hold a config.yaml. It takes no lock.
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
// checkpoint as well, and be writable, and it is locked; a run that another
// process trains or resumes is refused with a BusyError naming that
// process. Opening the same run again in this process shares the lock
// (each Dir is closed on its own).
func OpenForResume(path string) (*Dir, error) {
	d, err := Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(d.Checkpoint()); err != nil {
		return nil, fmt.Errorf("cannot resume %s: it has no %s (the run stopped before its first checkpoint, "+
			"so there is nothing to continue); to start it again, rm -r %s and run the same command without --resume",
			path, CheckpointFile, path)
	}
	if err := checkWritable(path); err != nil {
		return nil, err
	}
	if d.lock, err = lockDir(path, true); err != nil {
		return nil, err
	}
	return d, nil
}

// holdsNoRun reports whether path is an empty directory.
func holdsNoRun(path string) bool {
	entries, err := os.ReadDir(path)
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
