package sandbox

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// outsideDirs are the places besides the work directory where a program can leave files (in
// a sandbox pod the only writable ones but the judge directory, all tmpfs).
var outsideDirs = []string{"/tmp", "/dev/shm"}

// writablePlaces are outsideDirs and the runner's judge directory (when not ""), where a program
// can write as in /tmp.
func writablePlaces(judgeDir string) []string {
	places := slices.Clone(outsideDirs)
	if judgeDir != "" {
		places = append(places, judgeDir)
	}
	return places
}

// mqueueDirs are the mounts of the POSIX message queue file system the runner can see (a
// container runtime mounts its IPC namespace's at /dev/mqueue): a queue is a file there, and
// unlinking it is mq_unlink. Without such a mount the queues cannot be listed.
func mqueueDirs() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var dirs []string
	for line := range strings.Lines(string(data)) {
		pre, post, found := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if found && len(f) >= 5 && len(g) >= 1 && g[0] == "mqueue" && !slices.Contains(dirs, unescapeMount(f[4])) {
			dirs = append(dirs, unescapeMount(f[4]))
		}
	}
	return dirs
}

// Leftovers is what existed when a step was about to run; Sweep removes what was added since.
type Leftovers struct {
	uid     int
	workdir string
	paths   map[string]map[string]bool // per directory swept: the paths beneath it
	ipc     [][]int                    // per ipcKinds: the ids of the uid's objects, when swept
}

// Remember notes what exists now, for a later Sweep: in /tmp and /dev/shm, and the SysV IPC
// objects of the uid, when the runner has its uid to itself (otherwise they may belong to
// someone else), and with work set, in the work directory too.
func (s *Session) Remember(workdir string, work bool) *Leftovers {
	mem := s.memory()
	l := &Leftovers{uid: mem.uid, workdir: workdir, paths: map[string]map[string]bool{}}
	if work {
		l.paths[workdir] = l.list(workdir)
	}
	if mem.uidIsOurs {
		for _, dir := range append(slices.Clone(mem.outside), mqueueDirs()...) {
			l.paths[dir] = l.list(dir)
		}
		for _, kind := range ipcKinds {
			var ids []int
			for _, o := range listIPC(kind, l.uid) {
				ids = append(ids, o.id)
			}
			l.ipc = append(l.ipc, ids)
		}
	}
	return l
}

func (l *Leftovers) list(dir string) map[string]bool {
	paths := map[string]bool{}
	walkOwned(dir, l.uid, 0, func(path string, _ *unix.Stat_t) bool {
		paths[path] = true
		return path != l.workdir
	})
	return paths
}

// Sweep removes every file, directory and SysV IPC object of the uid that was not there when
// l was made. Files that were there stay, even if changed. Outside the work directory it
// first checks again that no other process of the uid has appeared, whose files they could be.
func (l *Leftovers) Sweep() error {
	var failed error
	_, strangers, _ := tasksOfUser(l.uid)
	for dir, before := range l.paths {
		if dir != l.workdir && strangers > 0 {
			continue
		}
		walkOwned(dir, l.uid, 0, func(path string, st *unix.Stat_t) bool {
			if before[path] || path == l.workdir {
				return path != l.workdir
			}
			if int(st.Uid) != l.uid {
				return false
			}
			if err := forceRemove(path); err != nil && failed == nil {
				failed = fmt.Errorf("cannot remove %s, left by the program: %v", path, err)
			}
			return false
		})
	}
	for i, ids := range l.ipc {
		kind := ipcKinds[i]
		for _, o := range listIPC(kind, l.uid) {
			if strangers > 0 || slices.Contains(ids, o.id) {
				continue
			}
			if err := kind.remove(o.id); err != nil && failed == nil {
				failed = fmt.Errorf("cannot remove SysV %s %d, left by the program: %v", kind.name, o.id, err)
			}
		}
	}
	return failed
}

// forceRemove removes path and everything beneath it, first making its directories writable
// if a program took that away to keep its files.
func forceRemove(path string) error {
	if os.RemoveAll(path) == nil {
		return nil
	}
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(path)
}
