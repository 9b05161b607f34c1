//go:build !unix

package run

import "os"

// tryLock has no advisory locks to take on this platform: a run directory is
// still claimed atomically (os.Mkdir), but two resumes of one run are not
// kept apart.
func tryLock(*os.File) (bool, error) { return true, nil }

func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}
