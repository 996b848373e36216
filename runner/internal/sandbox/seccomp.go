package sandbox

import (
	"fmt"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offsets into struct seccomp_data (linux/seccomp.h). The kernel loads native-endian words;
// both supported architectures are little-endian, so args[0]'s low 32 bits are at 16.
const (
	seccompDataNr   = 0
	seccompDataArch = 4
	seccompDataArg0 = 16
	// x32 system calls on amd64 carry this bit; no supported ABI uses numbers this high.
	firstForeignSyscall = 0x40000000
)

// filterTarget is what the filter is built for: the architecture's numbers, and the
// processes the program must not signal.
type filterTarget struct {
	auditArch  uint32
	sys        syscallNumbers
	runnerPid  uint32
	runnerPgid uint32
}

// syscallNumbers are the numbers of the system calls the filter inspects.
type syscallNumbers struct {
	socket, ioUringSetup, kill, tkill, tgkill, rtSigqueueinfo, rtTgsigqueueinfo, pidfdOpen, pidfdSendSignal uint32
}

var nativeSyscalls = syscallNumbers{
	socket: unix.SYS_SOCKET, ioUringSetup: unix.SYS_IO_URING_SETUP,
	kill: unix.SYS_KILL, tkill: unix.SYS_TKILL, tgkill: unix.SYS_TGKILL,
	rtSigqueueinfo: unix.SYS_RT_SIGQUEUEINFO, rtTgsigqueueinfo: unix.SYS_RT_TGSIGQUEUEINFO,
	pidfdOpen: unix.SYS_PIDFD_OPEN, pidfdSendSignal: unix.SYS_PIDFD_SEND_SIGNAL,
}

// sandboxFilter is the program's seccomp filter:
//   - socket() fails with EPERM for every family but AF_UNIX, and io_uring_setup with ENOSYS
//     (io_uring's IORING_OP_SOCKET creates sockets without calling socket()): no network;
//   - signals to the runner, its process group, PID 1 (the runner or `runner idle`) and
//     kill(-1) fail with EPERM, as do tkill and pidfd_send_signal, whose targets cannot be
//     told apart here: the program runs as the runner's uid and must not stop or kill it;
//   - a system call through another ABI (int 0x80, x32), whose numbers this filter does not
//     check, kills the process.
func sandboxFilter(t filterTarget) ([]bpf.Instruction, error) {
	var a assembler
	a.add(bpf.LoadAbsolute{Off: seccompDataArch, Size: 4})
	a.jumpIfNot(t.auditArch, "kill")
	a.add(bpf.LoadAbsolute{Off: seccompDataNr, Size: 4})
	a.jumpIf(bpf.JumpGreaterOrEqual, firstForeignSyscall, "kill")
	a.jumpIf(bpf.JumpEqual, t.sys.socket, "socket")
	a.jumpIf(bpf.JumpEqual, t.sys.ioUringSetup, "enosys")
	a.jumpIf(bpf.JumpEqual, t.sys.tkill, "eperm")
	a.jumpIf(bpf.JumpEqual, t.sys.pidfdSendSignal, "eperm")
	for _, nr := range []uint32{t.sys.kill, t.sys.tgkill, t.sys.rtSigqueueinfo, t.sys.rtTgsigqueueinfo, t.sys.pidfdOpen} {
		a.jumpIf(bpf.JumpEqual, nr, "signal")
	}
	a.add(bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW})

	a.label("socket")
	a.add(bpf.LoadAbsolute{Off: seccompDataArg0, Size: 4})
	a.jumpIf(bpf.JumpEqual, unix.AF_UNIX, "allow")
	a.add(bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)})

	a.label("signal") // the first argument is the target pid (or tgid)
	a.add(bpf.LoadAbsolute{Off: seccompDataArg0, Size: 4})
	for _, pid := range []uint32{t.runnerPid, 1, uint32(0xffffffff), -t.runnerPgid} {
		a.jumpIf(bpf.JumpEqual, pid, "eperm")
	}
	a.add(bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW})

	a.label("eperm")
	a.add(bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)})
	a.label("enosys")
	a.add(bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)})
	a.label("kill")
	a.add(bpf.RetConstant{Val: unix.SECCOMP_RET_KILL_PROCESS})
	a.label("allow")
	a.add(bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW})
	return a.assemble()
}

// installSandboxFilter sets no_new_privs (required to load a filter without CAP_SYS_ADMIN,
// and it keeps setuid binaries from gaining privileges) and loads the filter on the calling
// thread, which must be the one that then calls execve.
func installSandboxFilter(t filterTarget) error {
	insns, err := sandboxFilter(t)
	if err != nil {
		return err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return fmt.Errorf("assemble seccomp filter: %v", err)
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&prog)), 0, 0); err != nil {
		return fmt.Errorf("load seccomp filter: %v", err)
	}
	return nil
}
