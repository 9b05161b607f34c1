package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// A run directory is locked with an advisory lock (flock) on the directory
// itself, so no lock file is left behind and a run that failed at once can
// still be removed. The kernel drops the lock when its process ends, however
// it ends.

// heldLock is this process's lock on one run directory. The registry keeps
// it reachable (an unreachable *os.File would be closed by its finalizer,
// dropping the lock) and lets this process open a run it holds again.
type heldLock struct {
	f    *os.File
	key  string
	refs int
}

var held = struct {
	sync.Mutex
	m map[string]*heldLock
}{m: map[string]*heldLock{}}

// lockDir locks the run directory at path exclusively, without waiting. A
// directory another process holds is refused with a BusyError naming it.
// shared lets a lock this process already holds be shared (a resume opens
// its run twice); a new run never shares.
func lockDir(path string, shared bool) (*heldLock, error) {
	key, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("run directory %s: %w", path, err)
	}
	held.Lock()
	defer held.Unlock()
	if h, ok := held.m[key]; ok {
		if !shared {
			return nil, &BusyError{Path: path, PID: os.Getpid()}
		}
		h.refs++
		return h, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot lock run directory %s: %w", path, unwrapPathError(err))
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock run directory %s: %w", path, err)
	}
	if !ok {
		pid := holderPID(f)
		f.Close()
		return nil, &BusyError{Path: path, PID: pid}
	}
	if !sameFile(f, path) { // removed (a discarded run) between our open and our lock
		f.Close()
		return nil, errors.New("cannot lock run directory " + path + ": it was removed or replaced meanwhile")
	}
	h := &heldLock{f: f, key: key, refs: 1}
	held.m[key] = h
	return h, nil
}

func (h *heldLock) release() {
	held.Lock()
	defer held.Unlock()
	if h.refs--; h.refs > 0 {
		return
	}
	delete(held.m, h.key)
	h.f.Close()
}
