package sandbox

import (
	"bytes"
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// family is the program's process tree: every descendant of the runner (root). The runner is
// a child subreaper and starts nothing else, so the tree keeps its orphans and holds nothing
// but the program; the runner and its threads, PID 1 and any other process of the container
// are outside it.
type family struct{ root int }

// maxDepth bounds the walk up a chain of parents, which racing reads could in theory loop.
const maxDepth = 1 << 12

var errNoTask = errors.New("no such process")

// check decides a call that the filter handed to the runner: 0 lets it go ahead, anything
// else is the errno it fails with. caller is the calling thread; args are as the kernel
// reads them (an int argument is the low 32 bits of its register).
func (f family) check(caller int, nr uint32, args [6]uint64) unix.Errno {
	arg := func(i int) int { return int(int32(args[i])) }
	s := nativeSyscalls
	switch nr {
	case s.kill, s.rtSigqueueinfo:
		return f.pidOrGroup(arg(0))
	case s.fcntl: // only F_SETOWN comes here
		return f.pidOrGroup(arg(2))
	case s.tkill, s.tgkill, s.rtTgsigqueueinfo, s.pidfdOpen,
		s.schedSetparam, s.schedSetscheduler, s.schedSetaffinity, s.schedSetattr:
		return f.task(arg(0))
	case s.prlimit64:
		if args[2] == 0 {
			return 0 // no new limit: it only reads
		}
		return f.task(arg(0))
	case s.setpriority:
		return f.byWhich(arg(0), arg(1), unix.PRIO_PROCESS, unix.PRIO_PGRP)
	case s.ioprioSet:
		return f.byWhich(arg(0), arg(1), ioprioWhoProc, ioprioWhoPgrp)
	case s.setpgid:
		return f.setpgid(caller, arg(0), arg(1))
	case s.ptrace:
		if args[0] == unix.PTRACE_TRACEME {
			return f.parentOf(caller) // which becomes the tracer
		}
		return f.task(arg(1))
	}
	return unix.EPERM
}

// pidOrGroup decides a kill-style target: a pid, or -pgid; -1 is every process of the uid.
func (f family) pidOrGroup(id int) unix.Errno {
	switch {
	case id == -1:
		return unix.EPERM
	case id < 0:
		return f.group(-id, unix.ESRCH)
	}
	return f.task(id)
}

// task decides a target named by a pid or thread id.
func (f family) task(id int) unix.Errno {
	if id <= 0 {
		return 0 // the caller itself, or an id the kernel rejects
	}
	in, err := f.contains(id)
	switch {
	case err != nil:
		return unix.ESRCH
	case !in:
		return unix.EPERM
	}
	return 0
}

// byWhich decides setpriority and ioprio_set, whose target is a task or a group (the uid
// alternative never gets here: the filter refuses it).
func (f family) byWhich(which, who, task, group int) unix.Errno {
	switch which {
	case task:
		return f.task(who)
	case group:
		return f.group(who, unix.ESRCH)
	}
	return unix.EPERM
}

// parentOf decides a target that is the caller's parent: the runner is not in the tree, so
// the program's main process (and an orphan, which the runner adopted) cannot pick it.
func (f family) parentOf(caller int) unix.Errno {
	ppid, _, err := readStatIDs(caller)
	if err != nil {
		return unix.ESRCH
	}
	return f.task(ppid)
}

// setpgid lets a process of the tree make a group of its own or join a group of the tree;
// the kernel already limits it to the caller and its children, and to the caller's session,
// which is the runner's unless the program called setsid.
func (f family) setpgid(caller, pid, pgid int) unix.Errno {
	if pid == 0 {
		tgid, _, err := readStatusIDs("/proc/" + strconv.Itoa(caller) + "/status")
		if err != nil {
			return unix.ESRCH
		}
		pid = tgid
	}
	if pgid == pid {
		return 0 // a new group led by the process itself
	}
	return f.group(pgid, unix.EPERM)
}

// group decides a target that is a process group: allowed only if every member is in the
// tree. missing is the errno the kernel gives when no such group exists.
func (f family) group(pgid int, missing unix.Errno) unix.Errno {
	if pgid <= 0 {
		return 0 // the caller's own group, or an id the kernel rejects
	}
	within, err := f.groupWithin(pgid)
	switch {
	case err != nil:
		return missing
	case !within:
		return unix.EPERM
	}
	return 0
}

// contains reports whether the task id (a pid or a thread id) is a descendant of the root,
// walking up its parents. An error means no such task exists.
func (f family) contains(id int) (bool, error) {
	for hops := 0; hops < maxDepth; hops++ {
		ppid, _, err := readStatIDs(id)
		if err != nil {
			if hops == 0 {
				return false, errNoTask
			}
			return false, nil // an ancestor vanished meanwhile: refuse
		}
		if ppid == f.root {
			return true, nil
		}
		if ppid <= 0 {
			return false, nil
		}
		id = ppid
	}
	return false, nil
}

// groupWithin reports whether every process of group pgid is in the tree; an error means the
// group has no process. A group is in one session, so a scan of /proc is the only way to see
// all of it; programs rarely signal a group other than their own (which the filter allows).
func (f family) groupWithin(pgid int) (bool, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return false, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return false, err
	}
	found := false
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if _, pgrp, err := readStatIDs(pid); err != nil || pgrp != pgid {
			continue
		}
		found = true
		if in, _ := f.contains(pid); !in {
			return false, nil
		}
	}
	if !found {
		return false, errNoTask
	}
	return true, nil
}

// readStatIDs reads the parent pid and process group of a task from /proc/ID/stat (which a
// thread id also has). The command name may hold spaces and parentheses, so fields are
// counted after the last ')'.
func readStatIDs(id int) (ppid, pgrp int, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(id) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, 0, errNoTask
	}
	fields := bytes.Fields(data[end+1:]) // state, ppid, pgrp, ...
	if len(fields) < 3 {
		return 0, 0, errNoTask
	}
	if ppid, err = strconv.Atoi(string(fields[1])); err != nil {
		return 0, 0, err
	}
	pgrp, err = strconv.Atoi(string(fields[2]))
	return ppid, pgrp, err
}

// readStatusIDs reads the thread group id and the process group of a task from a
// /proc/ID/status file.
func readStatusIDs(path string) (tgid, pgid int, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	return parseStatusIDs(data)
}

func parseStatusIDs(data []byte) (tgid, pgid int, err error) {
	tgid, pgid = -1, -1
	for line := range bytes.Lines(data) {
		key, val, _ := bytes.Cut(line, []byte(":"))
		fields := bytes.Fields(val)
		if len(fields) == 0 {
			continue
		}
		switch string(key) {
		case "Tgid":
			tgid, err = strconv.Atoi(string(fields[0]))
		case "NSpgid": // the first is the group in the namespace of that /proc
			pgid, err = strconv.Atoi(string(fields[0]))
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if tgid < 0 || pgid < 0 {
		return 0, 0, errNoTask
	}
	return tgid, pgid, nil
}
