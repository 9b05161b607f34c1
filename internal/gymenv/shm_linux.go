package gymenv

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapRegion creates a sealed memfd of lay.size bytes, maps it and returns
// the path the worker opens it by (/proc/<host pid>/fd/<fd>) and a function
// that closes the descriptor once the worker has mapped it (the mapping
// stays). The seals forbid resizing, so the worker cannot truncate the
// pages from under the host's reads.
func mapRegion(lay shmLayout) (*shmRegion, string, func(), error) {
	fd, err := unix.MemfdCreate("xlrl-env", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, "", nil, fmt.Errorf("memfd_create: %w", err)
	}
	fail := func(what string, err error) (*shmRegion, string, func(), error) {
		unix.Close(fd)
		return nil, "", nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := unix.Ftruncate(fd, int64(lay.size)); err != nil {
		return fail("sizing the shared region", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_SEAL); err != nil {
		return fail("sealing the shared region", err)
	}
	mem, err := unix.Mmap(fd, 0, lay.size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail("mapping the shared region", err)
	}
	r, err := newRegion(lay, mem, func() error { return unix.Munmap(mem) })
	if err != nil {
		_ = unix.Munmap(mem)
		return fail("the shared region", err)
	}
	return r, fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd), func() { unix.Close(fd) }, nil
}
