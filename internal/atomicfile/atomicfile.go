package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is a file that becomes visible under its final name only when
// Commit succeeds. Until then the data lives in a temporary file in the same
// directory (rename is atomic only within one file system).
type File struct {
	f    *os.File
	path string
	perm os.FileMode
	done bool
}

// Create starts writing path atomically. Call Commit to publish the
// file or Abort to drop it; Abort after Commit is a no-op, so
// `defer f.Abort()` is the usual pattern.
func Create(path string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return &File{f: f, path: path, perm: perm}, nil
}

func (a *File) Write(p []byte) (int, error) { return a.f.Write(p) }

// Commit flushes the data to stable storage and renames the temporary file
// over path.
func (a *File) Commit() error {
	if a.done {
		return errors.New("run: File committed or aborted twice")
	}
	a.done = true
	tmp := a.f.Name()
	err := a.f.Chmod(a.perm)
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	syncDir(filepath.Dir(a.path))
	return nil
}

// Abort drops the temporary file; the file at path, if any, is untouched.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// WriteFile is os.WriteFile with the all-or-nothing guarantee.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write streams a file through write and publishes it only if write
// returns nil.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}

// syncDir makes a rename in dir durable. Some file systems refuse fsync on a
// directory; the rename has happened anyway, so that is not an error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
