package sandbox

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"coderun.dev/runner/internal/workdir"
)

// A warm pool pod may serve several runs one after another (the Runtime's warmPool.runsPerPod).
// Everything one run could leave in the container for the next lives in a few places: the
// uid's processes (and with them their memfds, sockets, inotify watches, rlimits, pipes), the
// writable file systems (the work directory, the judge directory, /tmp, /dev/shm), the IPC namespace (SysV objects,
// POSIX message queues) and the termination log (emptied before every run anyway). The root
// file system and the runner's directory are read-only mounts a program cannot remount (no
// capabilities, no_new_privs), and keyrings are refused by the filter.

// Places are where a run can leave something for the next one in its container.
type Places struct {
	// UID is the uid programs run as: every process of it is a leftover, and so is every file
	// and IPC object it created.
	UID int
	// Workdir is emptied whole: the job's files are written into an empty directory.
	Workdir string
	// Outside are other writable directories (/tmp, /dev/shm, message queue mounts, the judge
	// directory), where everything of the uid is removed.
	Outside []string
}

// PodPlaces are the places of a sandbox pod whose work directory is workdir, and whose
// checkers and interactors had their directories in judgeDir (when not "").
func PodPlaces(workdir, judgeDir string) Places {
	return Places{UID: os.Getuid(), Workdir: workdir, Outside: append(writablePlaces(judgeDir), mqueueDirs()...)}
}

// strayWait bounds how long killed processes may take to disappear (PID 1 reaps them).
const strayWait = 2 * time.Second

// execWait bounds how long an older runner exec'd into the container may take to end.
const execWait = 5 * time.Second

// MakePristine removes what an earlier run in this container could have left, then verifies
// that nothing is left: once no runner exec'd before this one is left, no process of the uid but
// PID 1, this one and runners exec'd after it (zombies hold nothing and are let be), an empty
// work directory, nothing of the uid in the outside places and no user.* attribute on them, no
// SysV IPC object the uid created or owns. An error means the container must serve no more runs.
func MakePristine(p Places) error {
	if err := awaitOlderExecs(p.UID); err != nil {
		return notPristine(err)
	}
	if err := killStrays(p.UID); err != nil {
		return notPristine(err)
	}
	if err := emptyDir(p.Workdir, p.UID, true); err != nil {
		return notPristine(err)
	}
	for _, dir := range p.Outside {
		if err := emptyDir(dir, p.UID, false); err != nil {
			return notPristine(err)
		}
	}
	for _, kind := range ipcKinds {
		for _, o := range listIPCOf(kind, p.UID) {
			if err := kind.remove(o.id); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EIDRM) {
				return notPristine(fmt.Errorf("cannot remove SysV %s %d: %v", kind.name, o.id, err))
			}
		}
		if left := listIPCOf(kind, p.UID); len(left) > 0 {
			return notPristine(fmt.Errorf("SysV %s %d is still there after its removal", kind.name, left[0].id))
		}
	}
	return nil
}

func notPristine(err error) error {
	return fmt.Errorf("the sandbox is not pristine after an earlier run, so it must not serve this one: %v", err)
}

// A process whose parent is outside the container's PID namespace (ppid 0) was exec'd into the
// container from outside: by the operator (a `runner run` opened ahead, or one at claim time), never
// by a program, whose processes all descend from a runner or PID 1. Two such runners can meet in
// a pod for a moment (an exec opened ahead is still starting when a run claims the pod and starts
// its own). The older one may be serving a run: this one touches nothing until it has ended; a
// newer one waits for this one.

// procInfo is what the pristine check knows of one process.
type procInfo struct {
	pid     int
	ppid    int
	started uint64
	alive   bool // not a zombie whose threads are all dead
}

// olderExecs lists the live processes exec'd into the container (ppid 0, not PID 1) that started
// before self (by start time, then pid).
func olderExecs(procs []procInfo, self procInfo) []int {
	var older []int
	for _, p := range procs {
		if p.pid == self.pid || p.pid == 1 || p.ppid != 0 || !p.alive {
			continue
		}
		if p.started < self.started || (p.started == self.started && p.pid < self.pid) {
			older = append(older, p.pid)
		}
	}
	return older
}

// processesOf lists the processes of uid, this one included.
func processesOf(uid int) []procInfo {
	entries, _ := os.ReadDir("/proc")
	var procs []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat("/proc/"+e.Name(), &st) != nil || int(st.Uid) != uid {
			continue
		}
		s, err := readProcStat(pid)
		if err != nil {
			continue // gone meanwhile
		}
		zombie := (s.state == 'Z' || s.state == 'X') && s.threads <= 1
		procs = append(procs, procInfo{pid: pid, ppid: s.ppid, started: s.started, alive: !zombie})
	}
	return procs
}

// awaitOlderExecs waits until no runner exec'd before this one is left in the container.
func awaitOlderExecs(uid int) error {
	deadline := time.Now().Add(execWait)
	for {
		procs := processesOf(uid)
		self := procInfo{pid: os.Getpid()}
		for _, p := range procs {
			if p.pid == self.pid {
				self = p
			}
		}
		older := olderExecs(procs, self)
		if len(older) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d, started in the container before this runner from outside it, is still running after %v: it may be serving a run", older[0], execWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// killStrays kills every process of uid but PID 1, this one and the runners exec'd into the
// container after it (they wait for this one), until none is left alive.
func killStrays(uid int) error {
	deadline := time.Now().Add(strayWait)
	for {
		alive := straysOf(uid)
		if len(alive) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d of uid %d is still alive %v after it was killed", alive[0], uid, strayWait)
		}
		for _, pid := range alive {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// straysOf lists the live processes of uid that are the program's: all but PID 1, this process
// and processes exec'd into the container (ppid 0). A zombie counts only while one of its
// threads still runs.
func straysOf(uid int) []int {
	self := os.Getpid()
	var pids []int
	for _, p := range processesOf(uid) {
		if p.pid != 1 && p.pid != self && p.ppid != 0 && p.alive {
			pids = append(pids, p.pid)
		}
	}
	return pids
}

// emptyDir removes what uid has in dir (with all, everything in it), then checks that nothing
// of it is left (with all, that dir is empty).
func emptyDir(dir string, uid int, all bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot list %s: %v", dir, err)
	}
	for _, e := range entries {
		path := dir + "/" + e.Name()
		if !all && !ownedBy(path, uid) {
			continue
		}
		if err := forceRemove(path); err != nil {
			return fmt.Errorf("cannot remove %s: %v", path, err)
		}
	}
	// Beneath directories of other users (a developer's /tmp), what the uid can have created is
	// found by the same walk the leftover sweep uses.
	var left string
	walkOwned(dir, uid, 0, func(path string, st *unix.Stat_t) bool {
		if left == "" && (all || int(st.Uid) == uid) {
			left = path
		}
		return left == ""
	})
	if left != "" {
		return fmt.Errorf("%s is still there after its removal", left)
	}
	// A directory of the uid's own (outside a pod) could carry an ACL that takes later files
	// away from their readers; a pod's volumes belong to root, where the uid can set none.
	if ownedBy(dir, uid) {
		if err := workdir.ClearACLs(dir); err != nil {
			return err
		}
	}
	return workdir.ClearUserXattrs(dir)
}

func ownedBy(path string, uid int) bool {
	var st unix.Stat_t
	return unix.Lstat(path, &st) == nil && int(st.Uid) == uid
}

// listIPCOf lists the SysV objects of a kind that uid created or owns (a program can hand an
// object it created to another owner, never to another creator).
func listIPCOf(kind ipcKind, uid int) []ipcObject {
	data, err := os.ReadFile("/proc/sysvipc/" + kind.name)
	if err != nil {
		return nil
	}
	objects := parseIPCBy(string(data), kind.idColumn, "cuid", uid)
	for _, o := range parseIPCBy(string(data), kind.idColumn, "uid", uid) {
		if !slices.ContainsFunc(objects, func(c ipcObject) bool { return c.id == o.id }) {
			objects = append(objects, o)
		}
	}
	return objects
}
