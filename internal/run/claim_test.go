package run

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xlrl/xlrl/internal/metric"
)

// TestMain lets the lock tests start this test binary as a second process
// that holds a run's lock (XLRL_RUN_TEST_HOLD=<run dir>).
func TestMain(m *testing.M) {
	if dir := os.Getenv("XLRL_RUN_TEST_HOLD"); dir != "" {
		os.Exit(holdLock(dir))
	}
	os.Exit(m.Run())
}

// holdLock opens dir for resume, says "locked" on stdout and keeps the lock
// until its stdin closes.
func holdLock(dir string) int {
	d, err := OpenForResume(dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n')
	d.Close()
	return 0
}

func TestCreateSameNameConcurrentlyOneWins(t *testing.T) {
	root := t.TempDir()
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	dirs := make([]*Dir, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = Create(Location{Root: root, Name: "same"})
			if errs[i] == nil {
				// The winner starts writing at once, as a training does.
				errs[i] = os.WriteFile(dirs[i].Config(), []byte("seed: "+strconv.Itoa(i)+"\n"), 0o644)
			}
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		var exists *ExistsError
		var busy *BusyError
		switch {
		case err == nil:
			won++
			defer dirs[i].Close()
		case errors.As(err, &exists), errors.As(err, &busy):
		default:
			t.Errorf("Create %d: unexpected error %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent Creates of one name succeeded, want exactly 1", won, n)
	}
}

func TestCreateDefaultNamesConcurrentlyAllDistinct(t *testing.T) {
	root := t.TempDir()
	now := func() time.Time { return time.Unix(1_700_000_000, 0) } // all in the same second
	const n = 16
	var wg sync.WaitGroup
	paths := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := Create(Location{Root: root, Now: now})
			errs[i] = err
			if err == nil {
				paths[i] = d.Path
				defer d.Close()
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Create %d: %v", i, err)
		}
		if seen[paths[i]] {
			t.Fatalf("two runs were given %s", paths[i])
		}
		seen[paths[i]] = true
	}
}

func TestCreateLeavesNoLockFile(t *testing.T) {
	// A run that failed before writing anything leaves an empty directory:
	// the same command, fixed, must be able to use the name again.
	root := t.TempDir()
	d, err := Create(Location{Root: root, Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(d.Path)
	if len(entries) != 0 {
		t.Fatalf("a new run directory holds %v", entries)
	}
	d.Close()
	d2, err := Create(Location{Root: root, Name: "a"})
	if err != nil {
		t.Fatalf("the empty directory of a released run was refused: %v", err)
	}
	d2.Close()
}

func TestDiscardRemovesAnUnusedRun(t *testing.T) {
	root := t.TempDir()
	d, err := Create(Location{Root: root, Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(d.Metrics(), nil, 0o644)
	os.WriteFile(d.WorkerLog(), []byte("Traceback ...\n"), 0o644)
	os.WriteFile(d.Config(), []byte("env: x\n"), 0o644)
	if !d.Discard() {
		t.Fatal("Discard kept a run with no metrics and no checkpoint")
	}
	if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
		t.Fatalf("run directory still there: %v", err)
	}
	d, _ = Create(Location{Root: root, Name: "b"})
	defer d.Close()
	os.WriteFile(d.Metrics(), []byte(`{"kind":"episode","step":1}`+"\n"), 0o644)
	if d.Discard() {
		t.Fatal("Discard removed a run that has metrics")
	}
}

func TestResumeLockRefusesASecondProcess(t *testing.T) {
	d, err := Create(Location{Root: t.TempDir(), Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(d.Config(), []byte("env: x\n"), 0o644)
	os.WriteFile(d.Checkpoint(), nil, 0o644)
	d.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "XLRL_RUN_TEST_HOLD="+d.Path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper: %q", line)
	}
	_, err = OpenForResume(d.Path)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.PID != cmd.Process.Pid ||
		!strings.Contains(err.Error(), strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("second resume: err = %v, want a BusyError naming pid %d", err, cmd.Process.Pid)
	}
	// A new run of the same name is refused too (the directory holds a run).
	if _, err := Create(Location{Out: d.Path}); err == nil {
		t.Fatal("Create of a locked run directory succeeded")
	}
	stdin.Close()
	cmd.Wait()
	d2, err := OpenForResume(d.Path)
	if err != nil {
		t.Fatalf("resume after the holder exited: %v", err)
	}
	d2.Close()
}

func TestOpenForResumeTwiceInOneProcessShares(t *testing.T) {
	// The CLI opens a run for resume to read its config, then again to train.
	d, _ := Create(Location{Root: t.TempDir(), Name: "a"})
	os.WriteFile(d.Config(), []byte("env: x\n"), 0o644)
	os.WriteFile(d.Checkpoint(), nil, 0o644)
	a, err := OpenForResume(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenForResume(filepath.Join(d.Path, ".", ""))
	if err != nil {
		t.Fatalf("second open in the same process: %v", err)
	}
	a.Close()
	b.Close()
	d.Close()
}

func TestMetricsAreOpenedForAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	w1, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := OpenMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	w1.Write(Record{Kind: metric.KindEpisode, Step: 1})
	w1.Flush()
	w2.Write(Record{Kind: metric.KindEpisode, Step: 2})
	w2.Close()
	w1.Close()
	recs, err := ReadMetrics(path)
	if err != nil || len(recs) != 2 {
		t.Fatalf("records = %+v, %v; want both writers' lines", recs, err)
	}
}
