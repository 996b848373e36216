package sandbox

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// filterInput builds the bytes the filter reads. The kernel loads native-endian words, the
// bpf package's VM big-endian ones, so each word is written big-endian at its kernel offset
// (an argument's low word is the one the filter reads).
func filterInput(arch, nr uint32, args ...uint32) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[seccompDataNr:], nr)
	binary.BigEndian.PutUint32(b[seccompDataArch:], arch)
	for i, a := range args {
		binary.BigEndian.PutUint32(b[seccompDataArgs+8*i:], a)
	}
	return b
}

func TestSandboxFilterDecisions(t *testing.T) {
	const main, runner, child = 800, 700, 801
	minus := func(n uint32) uint32 { return -n }
	s := nativeSyscalls
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	ask := uint32(unix.SECCOMP_RET_USER_NOTIF)
	enosys := unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	kill := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	cases := []struct {
		name string
		nr   uint32
		args []uint32
		want uint32
	}{
		{"read", unix.SYS_READ, nil, allow},
		{"AF_UNIX socket", s.socket, []uint32{unix.AF_UNIX}, allow},
		{"AF_INET socket", s.socket, []uint32{unix.AF_INET}, eperm},
		{"AF_INET6 socket", s.socket, []uint32{unix.AF_INET6}, eperm},
		{"AF_NETLINK socket", s.socket, []uint32{unix.AF_NETLINK}, eperm},
		{"AF_PACKET socket", s.socket, []uint32{unix.AF_PACKET}, eperm},
		{"io_uring", s.ioUringSetup, nil, enosys},

		{"kill of its own group", s.kill, []uint32{0}, allow},
		{"kill of the main process", s.kill, []uint32{main}, allow},
		{"kill of the main process's group", s.kill, []uint32{minus(main)}, allow},
		{"kill of everything", s.kill, []uint32{minus(1)}, eperm},
		{"kill of a child: the runner decides", s.kill, []uint32{child}, ask},
		{"kill of the runner: the runner decides", s.kill, []uint32{runner}, ask},
		{"kill of PID 1: the runner decides", s.kill, []uint32{1}, ask},
		{"kill of another group: the runner decides", s.kill, []uint32{minus(runner)}, ask},
		{"tgkill in the main process (raise, Go preemption)", s.tgkill, []uint32{main, main + 5}, allow},
		{"tgkill in another process", s.tgkill, []uint32{runner, runner + 3}, ask},
		{"tkill of the main thread", s.tkill, []uint32{main}, allow},
		{"tkill of another thread", s.tkill, []uint32{runner + 3}, ask},
		{"rt_sigqueueinfo to the main process", s.rtSigqueueinfo, []uint32{main}, allow},
		{"rt_sigqueueinfo to another", s.rtSigqueueinfo, []uint32{runner}, ask},
		{"rt_tgsigqueueinfo to another", s.rtTgsigqueueinfo, []uint32{runner, runner}, ask},
		{"pidfd_open of another", s.pidfdOpen, []uint32{runner}, ask},
		{"pidfd_send_signal, whose fd the runner resolves", s.pidfdSendSignal, []uint32{3}, ask},

		{"prlimit64 of itself", s.prlimit64, []uint32{0}, allow},
		{"prlimit64 of another", s.prlimit64, []uint32{runner}, ask},
		{"sched_setscheduler of itself", s.schedSetscheduler, []uint32{0}, allow},
		{"sched_setscheduler of another", s.schedSetscheduler, []uint32{runner}, ask},
		{"sched_setparam of another", s.schedSetparam, []uint32{runner}, ask},
		{"sched_setattr of another", s.schedSetattr, []uint32{runner}, ask},
		{"sched_setaffinity of another", s.schedSetaffinity, []uint32{runner}, ask},
		{"setpriority of itself", s.setpriority, []uint32{unix.PRIO_PROCESS, 0}, allow},
		{"setpriority of its group", s.setpriority, []uint32{unix.PRIO_PGRP, 0}, allow},
		{"setpriority of another", s.setpriority, []uint32{unix.PRIO_PROCESS, runner}, ask},
		{"setpriority of another group", s.setpriority, []uint32{unix.PRIO_PGRP, runner}, ask},
		{"setpriority of its uid, the runner's too", s.setpriority, []uint32{unix.PRIO_USER, 0}, eperm},
		{"ioprio_set of itself", s.ioprioSet, []uint32{ioprioWhoProc, 0}, allow},
		{"ioprio_set of another", s.ioprioSet, []uint32{ioprioWhoProc, runner}, ask},
		{"ioprio_set of its uid", s.ioprioSet, []uint32{ioprioWhoUser, 0}, eperm},
		{"setpgid to a new group", s.setpgid, []uint32{0, 0}, allow},
		{"setpgid into the main group", s.setpgid, []uint32{child, main}, allow},
		{"setpgid into another group", s.setpgid, []uint32{0, runner}, ask},

		{"fcntl F_GETFL", s.fcntl, []uint32{3, unix.F_GETFL, 0}, allow},
		{"fcntl F_SETSIG alone", s.fcntl, []uint32{3, unix.F_SETSIG, uint32(unix.SIGKILL)}, allow},
		{"fcntl F_SETOWN to the main process", s.fcntl, []uint32{3, unix.F_SETOWN, main}, allow},
		{"fcntl F_SETOWN to its group", s.fcntl, []uint32{3, unix.F_SETOWN, minus(main)}, allow},
		{"fcntl F_SETOWN to another", s.fcntl, []uint32{3, unix.F_SETOWN, runner}, ask},
		{"fcntl F_SETOWN_EX, behind a pointer", s.fcntl, []uint32{3, unix.F_SETOWN_EX, 0}, eperm},
		{"ioctl TCGETS", s.ioctl, []uint32{0, unix.TCGETS}, allow},
		{"ioctl FIOSETOWN, behind a pointer", s.ioctl, []uint32{3, fioSetown}, eperm},
		{"ioctl SIOCSPGRP, behind a pointer", s.ioctl, []uint32{3, unix.SIOCSPGRP}, eperm},
		{"ioctl TIOCSPGRP, behind a pointer", s.ioctl, []uint32{3, unix.TIOCSPGRP}, eperm},

		{"migrate_pages of itself", s.migratePages, []uint32{0}, allow},
		{"migrate_pages of another", s.migratePages, []uint32{runner}, eperm},
		{"move_pages of another", s.movePages, []uint32{runner}, eperm},
		{"perf_event_open of itself", s.perfEventOpen, []uint32{0, 0}, allow},
		{"perf_event_open of another", s.perfEventOpen, []uint32{0, runner}, eperm},
		{"perf_event_open of every process", s.perfEventOpen, []uint32{0, minus(1)}, eperm},
		{"ptrace: the runner decides", s.ptrace, []uint32{unix.PTRACE_ATTACH, runner}, ask},
		{"process_vm_writev", unix.SYS_PROCESS_VM_WRITEV, []uint32{runner}, eperm},
		{"process_vm_readv", unix.SYS_PROCESS_VM_READV, []uint32{runner}, eperm},
		{"pidfd_getfd", unix.SYS_PIDFD_GETFD, []uint32{3}, eperm},
		{"process_madvise", unix.SYS_PROCESS_MADVISE, []uint32{3}, eperm},
		{"process_mrelease", unix.SYS_PROCESS_MRELEASE, []uint32{3}, eperm},
		{"kcmp", unix.SYS_KCMP, []uint32{runner}, eperm},
		{"open_by_handle_at, which mints pidfds", unix.SYS_OPEN_BY_HANDLE_AT, []uint32{3}, eperm},
		{"add_key, whose keyring outlives the test", unix.SYS_ADD_KEY, []uint32{0}, eperm},
		{"keyctl", unix.SYS_KEYCTL, []uint32{0}, eperm},
		{"vmsplice, which pins unmapped pages in a pipe", unix.SYS_VMSPLICE, []uint32{3}, eperm},
		{"memfd_secret, memory no count sees", unix.SYS_MEMFD_SECRET, []uint32{0}, eperm},
		{"splice is fine", unix.SYS_SPLICE, []uint32{3}, allow},
		{"prctl PR_SET_DUMPABLE 0", s.prctl, []uint32{unix.PR_SET_DUMPABLE, 0}, eperm},
		{"prctl PR_SET_DUMPABLE 1", s.prctl, []uint32{unix.PR_SET_DUMPABLE, 1}, eperm},
		{"prctl PR_GET_DUMPABLE", s.prctl, []uint32{unix.PR_GET_DUMPABLE}, allow},
		{"prctl PR_SET_NAME", s.prctl, []uint32{unix.PR_SET_NAME, 0x1000}, allow},
		{"prctl PR_SET_PDEATHSIG", s.prctl, []uint32{unix.PR_SET_PDEATHSIG, 9}, allow},

		{"x32 system call", firstForeignSyscall | s.socket, []uint32{unix.AF_INET}, kill},
	}
	for _, fallback := range []bool{false, true} {
		askRunner := ask
		if fallback {
			askRunner = eperm
		}
		insns, err := sandboxFilter(filterTarget{auditArch: nativeAuditArch, sys: nativeSyscalls, mainPid: main, askRunner: askRunner})
		if err != nil {
			t.Fatal(err)
		}
		vm, err := bpf.NewVM(insns)
		if err != nil {
			t.Fatal(err)
		}
		run := func(arch, nr uint32, args []uint32) uint32 {
			got, err := vm.Run(filterInput(arch, nr, args...))
			if err != nil {
				t.Fatal(err)
			}
			return uint32(got)
		}
		for _, c := range cases {
			want := c.want
			if want == ask {
				want = askRunner
			}
			if got := run(nativeAuditArch, c.nr, c.args); got != want {
				t.Errorf("fallback %v: %s: filter returned %#x, want %#x", fallback, c.name, got, want)
			}
		}
		if got := run(0x40000003, 359, []uint32{unix.AF_INET}); got != kill {
			t.Errorf("fallback %v: a foreign architecture's call returned %#x, want kill", fallback, got)
		}
	}
}

// A confined program (an interactive test's) may not change any file's attributes, which its
// Landlock domain does not govern; an unconfined one may.
func TestAConfinedProgramCannotChangeFileAttributes(t *testing.T) {
	for _, confined := range []bool{false, true} {
		insns, err := sandboxFilter(filterTarget{auditArch: nativeAuditArch, sys: nativeSyscalls, mainPid: 100, askRunner: eperm, confined: confined})
		if err != nil {
			t.Fatal(err)
		}
		vm, err := bpf.NewVM(insns)
		if err != nil {
			t.Fatal(err)
		}
		want := uint32(unix.SECCOMP_RET_ALLOW)
		if confined {
			want = eperm
		}
		for _, nr := range append([]uint32{unix.SYS_FCHMODAT, unix.SYS_FCHOWNAT, unix.SYS_LSETXATTR, unix.SYS_REMOVEXATTR, unix.SYS_UTIMENSAT}, attributeSyscalls...) {
			if got, err := vm.Run(filterInput(nativeAuditArch, nr, 0)); err != nil || uint32(got) != want {
				t.Errorf("confined %v: system call %d returned %#x (%v), want %#x", confined, nr, got, err, want)
			}
		}
		if got, _ := vm.Run(filterInput(nativeAuditArch, unix.SYS_OPENAT, 0)); uint32(got) != unix.SECCOMP_RET_ALLOW {
			t.Errorf("confined %v: openat returned %#x, want allow (Landlock decides)", confined, got)
		}
	}
}

func TestAssemblerRejectsUndefinedLabels(t *testing.T) {
	var a assembler
	a.jumpIf(bpf.JumpEqual, 1, "nowhere")
	a.add(bpf.RetConstant{Val: 0})
	if _, err := a.assemble(); err == nil {
		t.Fatal("a jump to an undefined label must be an error")
	}
}
