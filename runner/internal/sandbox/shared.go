package sandbox

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// scanBudget bounds the directory entries one scan visits, so that a program that creates
// many files cannot stall the runner's watching.
const scanBudget = 10000

// sharedScan finds, without a cgroup to ask, the shared memory (tmpfs pages, in a sandbox
// pod) a program keeps without mapping it: files in the places it can write, memfds and
// deleted files its processes hold open, and SysV segments its uid created. Files count
// whatever their file system: on a developer's machine /tmp may be a disk, but in the pod it
// is memory, and the verdict should be the pod's.
type sharedScan struct {
	uid  int
	dirs []string // the work directory, and /tmp and /dev/shm when the uid is the runner's alone
	ipc  bool     // count SysV segments (when the uid is the runner's alone)
}

// bytes is the memory of every such object, each counted once (by device and inode).
func (s *sharedScan) bytes(pids []int) int64 {
	seen := map[fileID]bool{}
	var total int64
	add := func(st *unix.Stat_t) {
		if st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != s.uid || seen[idOf(st)] {
			return
		}
		seen[idOf(st)] = true
		total += st.Blocks * 512 // allocated, not apparent, size: sparse files hold nothing
	}
	for _, dir := range s.dirs {
		walkOwned(dir, s.uid, scanBudget, func(_ string, st *unix.Stat_t) bool { add(st); return true })
	}
	for _, pid := range pids {
		heldFiles(pid, add)
	}
	if s.ipc {
		// Shared memory segments, and the bytes queued in message queues (kernel memory).
		for _, kind := range []ipcKind{ipcKinds[0], ipcKinds[2]} {
			for _, o := range listIPC(kind, s.uid) {
				total += o.bytes
			}
		}
	}
	return total
}

// heldFiles calls add for each memfd or deleted file the process has open: those are out of
// reach of a directory walk. A process that made itself non-dumpable hides its fds; its
// mapped shared memory still shows in RssShmem.
func heldFiles(pid int, add func(*unix.Stat_t)) {
	fdDir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		target, err := os.Readlink(fdDir + e.Name())
		if err != nil || !(strings.HasPrefix(target, "/memfd:") || strings.HasSuffix(target, " (deleted)")) {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(fdDir+e.Name(), &st) == nil {
			add(&st)
		}
	}
}
