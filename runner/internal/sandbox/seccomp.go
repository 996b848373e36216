package sandbox

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offsets into struct seccomp_data (linux/seccomp.h). The kernel loads native-endian words;
// both supported architectures are little-endian, so an argument's low 32 bits come first.
const (
	seccompDataNr   = 0
	seccompDataArch = 4
	seccompDataArgs = 16
	// x32 system calls on amd64 carry this bit; no supported ABI uses numbers this high.
	firstForeignSyscall = 0x40000000
)

// Request numbers the filter inspects that golang.org/x/sys/unix does not name.
const (
	fioSetown     = 0x8901 // ioctl FIOSETOWN: like fcntl F_SETOWN, with the pid behind a pointer
	ioprioWhoProc = 1      // IOPRIO_WHO_PROCESS
	ioprioWhoPgrp = 2      // IOPRIO_WHO_PGRP
	ioprioWhoUser = 3      // IOPRIO_WHO_USER: every process of the uid, the runner's too
)

// filterTarget is what the filter is built for.
type filterTarget struct {
	auditArch uint32
	sys       syscallNumbers
	// mainPid is the program's first process: the shim's pid, which execve keeps. Calls aimed
	// at it (raise, abort, the Go runtime's preemption signals) need no round trip.
	mainPid uint32
	// askRunner is the action for a call aimed at another process: SECCOMP_RET_USER_NOTIF, so
	// that the runner allows it when the target is in the program's tree, or EPERM when the
	// kernel offers no user notification.
	askRunner uint32
	// confined: the program runs in a Landlock domain (an interactive test), which governs
	// opening, making and removing files but not their attributes: changing a mode, owner,
	// times or extended attribute (an ACL) fails with EPERM, so that the program cannot take the
	// interactor's files away from it, which it can name but not open.
	confined bool
}

// syscallNumbers are the numbers of the system calls the filter inspects.
type syscallNumbers struct {
	socket, ioUringSetup uint32
	// kill takes a pid, 0 (the caller's group), -1 (everyone) or -pgid; the others of this
	// group take a pid or thread id first and act on that task or its process.
	kill, tkill, tgkill, rtSigqueueinfo, rtTgsigqueueinfo, pidfdOpen, prlimit64 uint32
	schedSetparam, schedSetscheduler, schedSetaffinity, schedSetattr            uint32
	pidfdSendSignal, setpriority, ioprioSet, setpgid, fcntl, ioctl, ptrace      uint32
	migratePages, movePages, perfEventOpen, prctl                               uint32
	// refused reach into another process's memory or files and have no use in a judged
	// program.
	refused []uint32
	// attributes are refused to a confined program (filterTarget.confined).
	attributes []uint32
}

var nativeSyscalls = syscallNumbers{
	socket: unix.SYS_SOCKET, ioUringSetup: unix.SYS_IO_URING_SETUP,
	kill: unix.SYS_KILL, tkill: unix.SYS_TKILL, tgkill: unix.SYS_TGKILL,
	rtSigqueueinfo: unix.SYS_RT_SIGQUEUEINFO, rtTgsigqueueinfo: unix.SYS_RT_TGSIGQUEUEINFO,
	pidfdOpen: unix.SYS_PIDFD_OPEN, prlimit64: unix.SYS_PRLIMIT64,
	schedSetparam: unix.SYS_SCHED_SETPARAM, schedSetscheduler: unix.SYS_SCHED_SETSCHEDULER,
	schedSetaffinity: unix.SYS_SCHED_SETAFFINITY, schedSetattr: unix.SYS_SCHED_SETATTR,
	pidfdSendSignal: unix.SYS_PIDFD_SEND_SIGNAL, setpriority: unix.SYS_SETPRIORITY,
	ioprioSet: unix.SYS_IOPRIO_SET, setpgid: unix.SYS_SETPGID, fcntl: unix.SYS_FCNTL, ioctl: unix.SYS_IOCTL,
	ptrace:       unix.SYS_PTRACE,
	migratePages: unix.SYS_MIGRATE_PAGES, movePages: unix.SYS_MOVE_PAGES, perfEventOpen: unix.SYS_PERF_EVENT_OPEN,
	prctl:      unix.SYS_PRCTL,
	attributes: attributeSyscalls,
	refused: []uint32{
		unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV, unix.SYS_KCMP,
		unix.SYS_PIDFD_GETFD, unix.SYS_PROCESS_MADVISE, unix.SYS_PROCESS_MRELEASE,
		// A pidfs file handle is a guessable number that opens a pidfd of any process.
		unix.SYS_OPEN_BY_HANDLE_AT,
		// The uid's session and user keyrings outlive every process of a test: a key
		// would carry data to the next test.
		unix.SYS_ADD_KEY, unix.SYS_KEYCTL, unix.SYS_REQUEST_KEY,
		// Memory out of every count: vmsplice pins a process's pages (a whole THP folio)
		// in a pipe after they are unmapped, and memfd_secret's pages are neither shmem
		// nor kernel memory of the cgroup.
		unix.SYS_VMSPLICE, unix.SYS_MEMFD_SECRET,
	},
}

// sandboxFilter is the program's seccomp filter. The program runs as the runner's uid, so
// the kernel lets it signal, renice, re-limit or trace the runner and PID 1; the filter keeps
// every such call to the program's own processes:
//   - socket() fails with EPERM for every family but AF_UNIX, and io_uring_setup with ENOSYS
//     (io_uring's IORING_OP_SOCKET creates sockets without calling socket()): no network;
//   - a call aimed at the program's main process, at itself (pid 0) or at its own process
//     group is allowed here; one aimed at any other pid, thread or group goes to askRunner,
//     and so do every pidfd_send_signal and ptrace;
//   - kill(-1), PRIO_USER and IOPRIO_WHO_USER (they reach every process of the uid), owners
//     set through a pointer (F_SETOWN_EX, FIOSETOWN, SIOCSPGRP, TIOCSPGRP: a pointer can be
//     rewritten after a check), page migration and perf events of another process, and the
//     refused calls (among them vmsplice and memfd_secret, whose memory no measure sees) and
//     prctl(PR_SET_DUMPABLE) fail with EPERM;
//   - a system call through another ABI (int 0x80, x32), whose numbers this filter does not
//     check, kills the process.
func sandboxFilter(t filterTarget) ([]bpf.Instruction, error) {
	s := t.sys
	var a assembler
	a.add(bpf.LoadAbsolute{Off: seccompDataArch, Size: 4})
	a.jumpIfNot(t.auditArch, "kill")
	a.add(bpf.LoadAbsolute{Off: seccompDataNr, Size: 4})
	a.jumpIf(bpf.JumpGreaterOrEqual, firstForeignSyscall, "kill")
	a.jumpIf(bpf.JumpEqual, s.socket, "socket")
	a.jumpIf(bpf.JumpEqual, s.ioUringSetup, "enosys")
	for _, nr := range s.refused {
		a.jumpIf(bpf.JumpEqual, nr, "eperm")
	}
	if t.confined {
		for _, nr := range s.attributes {
			a.jumpIf(bpf.JumpEqual, nr, "eperm")
		}
	}
	a.jumpIf(bpf.JumpEqual, s.kill, "kill()")
	for _, nr := range []uint32{s.tkill, s.tgkill, s.rtSigqueueinfo, s.rtTgsigqueueinfo, s.pidfdOpen, s.prlimit64,
		s.schedSetparam, s.schedSetscheduler, s.schedSetaffinity, s.schedSetattr} {
		a.jumpIf(bpf.JumpEqual, nr, "task")
	}
	// pidfd_send_signal names its target by a file the runner must look at; ptrace (which
	// LeakSanitizer uses on its own threads) is rare enough to ask about every time.
	a.jumpIf(bpf.JumpEqual, s.pidfdSendSignal, "ask")
	a.jumpIf(bpf.JumpEqual, s.ptrace, "ask")
	a.jumpIf(bpf.JumpEqual, s.setpriority, "setpriority")
	a.jumpIf(bpf.JumpEqual, s.ioprioSet, "ioprio_set")
	a.jumpIf(bpf.JumpEqual, s.setpgid, "setpgid")
	a.jumpIf(bpf.JumpEqual, s.fcntl, "fcntl")
	a.jumpIf(bpf.JumpEqual, s.ioctl, "ioctl")
	a.jumpIf(bpf.JumpEqual, s.migratePages, "self in arg 0")
	a.jumpIf(bpf.JumpEqual, s.movePages, "self in arg 0")
	a.jumpIf(bpf.JumpEqual, s.perfEventOpen, "perf_event_open")
	a.jumpIf(bpf.JumpEqual, s.prctl, "prctl")
	a.ret(unix.SECCOMP_RET_ALLOW)

	a.label("socket")
	a.loadArg(0)
	a.jumpIf(bpf.JumpEqual, unix.AF_UNIX, "allow")
	a.ret(eperm)

	a.label("kill()") // a pid, 0 for the caller's group, -1 for everyone, or -pgid
	a.loadArg(0)
	a.jumpIf(bpf.JumpEqual, 0, "allow")
	a.jumpIf(bpf.JumpEqual, uint32(0xffffffff), "eperm")
	a.jumpIf(bpf.JumpEqual, -t.mainPid, "allow")
	a.jumpIf(bpf.JumpEqual, t.mainPid, "allow")
	a.ret(t.askRunner)

	a.label("task") // a pid or thread id; 0 is the caller (or invalid, which the kernel says)
	a.loadArg(0)
	a.jumpIf(bpf.JumpEqual, 0, "allow")
	a.jumpIf(bpf.JumpEqual, t.mainPid, "allow")
	a.ret(t.askRunner)

	a.label("setpriority") // (which, who): who 0 is the caller, its group, or its uid
	a.loadArg(0)
	a.jumpIf(bpf.JumpEqual, unix.PRIO_USER, "eperm")
	a.jump("who")
	a.label("ioprio_set")
	a.loadArg(0)
	a.jumpIf(bpf.JumpEqual, ioprioWhoUser, "eperm")
	a.label("who")
	a.loadArg(1)
	a.jumpIf(bpf.JumpEqual, 0, "allow")
	a.ret(t.askRunner)

	a.label("setpgid") // (pid, pgid): pgid 0 makes a new group; another must hold no outsider
	a.loadArg(1)
	a.jumpIf(bpf.JumpEqual, 0, "allow")
	a.jumpIf(bpf.JumpEqual, t.mainPid, "allow")
	a.ret(t.askRunner)

	a.label("fcntl") // F_SETOWN names the process (or -group) the kernel signals on I/O
	a.loadArg(1)
	a.jumpIf(bpf.JumpEqual, unix.F_SETOWN_EX, "eperm")
	a.jumpIfNot(unix.F_SETOWN, "allow")
	a.loadArg(2)
	a.jumpIf(bpf.JumpEqual, 0, "allow")
	a.jumpIf(bpf.JumpEqual, t.mainPid, "allow")
	a.jumpIf(bpf.JumpEqual, -t.mainPid, "allow")
	a.ret(t.askRunner)

	a.label("ioctl")
	a.loadArg(1)
	for _, req := range []uint32{fioSetown, unix.SIOCSPGRP, unix.TIOCSPGRP} {
		a.jumpIf(bpf.JumpEqual, req, "eperm")
	}
	a.ret(unix.SECCOMP_RET_ALLOW)

	a.label("self in arg 0")
	a.loadArg(0)
	a.jumpIf(bpf.JumpEqual, 0, "allow")
	a.ret(eperm)

	a.label("perf_event_open") // (attr, pid, ...): pid 0 is the caller
	a.loadArg(1)
	a.jumpIf(bpf.JumpEqual, 0, "allow")
	a.ret(eperm)

	// A non-dumpable process's /proc files belong to root: the runner could no longer raise
	// its oom_score_adj or see its fds. Every other prctl option is the caller's own business.
	a.label("prctl")
	a.loadArg(0)
	a.jumpIf(bpf.JumpEqual, unix.PR_SET_DUMPABLE, "eperm")
	a.ret(unix.SECCOMP_RET_ALLOW)

	a.label("ask")
	a.ret(t.askRunner)
	a.label("eperm")
	a.ret(eperm)
	a.label("enosys")
	a.ret(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	a.label("kill")
	a.ret(unix.SECCOMP_RET_KILL_PROCESS)
	a.label("allow")
	a.ret(unix.SECCOMP_RET_ALLOW)
	return a.assemble()
}

const eperm = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)

// installSandboxFilter sets no_new_privs (required to load a filter without CAP_SYS_ADMIN,
// and it keeps setuid binaries from gaining privileges) and loads the filter on the calling
// thread, which must be the one that then calls execve. It returns the filter's listener, on
// which the runner answers the calls aimed at other processes, or -1 when the kernel (or a
// runtime such as gVisor) offers no user notification, or this process already has a
// listener: then those calls fail with EPERM.
func installSandboxFilter(t filterTarget) (listener int, err error) {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, fmt.Errorf("set no_new_privs: %v", err)
	}
	t.askRunner = unix.SECCOMP_RET_USER_NOTIF
	prog, err := compileFilter(t)
	if err != nil {
		return -1, err
	}
	fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&prog)))
	if errno == 0 {
		return int(fd), nil
	}
	if !errors.Is(errno, unix.EINVAL) && !errors.Is(errno, unix.EBUSY) && !errors.Is(errno, unix.ENOSYS) {
		return -1, fmt.Errorf("load seccomp filter with a listener: %v", errno)
	}
	t.askRunner = eperm
	if prog, err = compileFilter(t); err != nil {
		return -1, err
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0); err != nil {
		return -1, fmt.Errorf("load seccomp filter: %v", err)
	}
	return -1, nil
}

func compileFilter(t filterTarget) (unix.SockFprog, error) {
	insns, err := sandboxFilter(t)
	if err != nil {
		return unix.SockFprog{}, err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return unix.SockFprog{}, fmt.Errorf("assemble seccomp filter: %v", err)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}, nil
}
