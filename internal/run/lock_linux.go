package run

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// holderPID finds the process that holds the flock on f in /proc/locks
// (lines such as "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"); 0 when
// it cannot tell.
func holderPID(f *os.File) int {
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer locks.Close()
	inode := ":" + strconv.FormatUint(sys.Ino, 10)
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || !strings.HasSuffix(fields[5], inode) {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}
