package sandbox

import "golang.org/x/sys/unix"

// terminationLog is the file the kubelet bind-mounts, writable by everyone (0666), into every
// container for its whole life: whatever one run writes there the next could read.
const terminationLog = "/dev/termination-log"

// emptyTerminationLog empties path (the termination log) before a run, so that no run finds
// what an earlier one wrote. It never creates the file, follows no symlink, opens without
// blocking, touches only a regular file, and ignores every error.
func emptyTerminationLog(path string) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
		_ = unix.Ftruncate(fd, 0)
	}
}
