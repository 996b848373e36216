package sandbox

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// seccompData builds the bytes the filter reads. The kernel loads native-endian words, the
// bpf package's VM big-endian ones, so each word is written big-endian at its kernel offset.
func seccompData(arch, nr, arg0 uint32) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[seccompDataNr:], nr)
	binary.BigEndian.PutUint32(b[seccompDataArch:], arch)
	binary.BigEndian.PutUint32(b[seccompDataArg0:], arg0)
	return b
}

func TestSandboxFilterDecisions(t *testing.T) {
	const arch = 0xc000003e
	sys := syscallNumbers{socket: 41, ioUringSetup: 425, kill: 62, tkill: 200, tgkill: 234,
		rtSigqueueinfo: 129, rtTgsigqueueinfo: 297, pidfdOpen: 434, pidfdSendSignal: 424}
	const read, runner, runnerPgid, programPid = 0, 700, 690, 800
	insns, err := sandboxFilter(filterTarget{auditArch: arch, sys: sys, runnerPid: runner, runnerPgid: runnerPgid})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	allow := uint32(unix.SECCOMP_RET_ALLOW)
	eperm := unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	enosys := unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	kill := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	minus := func(n uint32) uint32 { return -n }
	cases := []struct {
		name          string
		arch, nr, arg uint32
		want          uint32
	}{
		{"read", arch, read, 0, allow},
		{"AF_UNIX socket", arch, sys.socket, unix.AF_UNIX, allow},
		{"AF_INET socket", arch, sys.socket, unix.AF_INET, eperm},
		{"AF_INET6 socket", arch, sys.socket, unix.AF_INET6, eperm},
		{"AF_NETLINK socket", arch, sys.socket, unix.AF_NETLINK, eperm},
		{"AF_PACKET socket", arch, sys.socket, unix.AF_PACKET, eperm},
		{"io_uring", arch, sys.ioUringSetup, 0, enosys},
		{"kill of the program's own child", arch, sys.kill, programPid + 1, allow},
		{"kill of its own process group", arch, sys.kill, 0, allow},
		{"kill of the runner", arch, sys.kill, runner, eperm},
		{"kill of the runner's group", arch, sys.kill, minus(runnerPgid), eperm},
		{"kill of PID 1", arch, sys.kill, 1, eperm},
		{"kill of everything", arch, sys.kill, minus(1), eperm},
		{"tgkill of a runner thread", arch, sys.tgkill, runner, eperm},
		{"tgkill of its own thread", arch, sys.tgkill, programPid, allow},
		{"rt_sigqueueinfo to the runner", arch, sys.rtSigqueueinfo, runner, eperm},
		{"rt_tgsigqueueinfo to the runner", arch, sys.rtTgsigqueueinfo, runner, eperm},
		{"pidfd_open of the runner", arch, sys.pidfdOpen, runner, eperm},
		{"pidfd_open of a child", arch, sys.pidfdOpen, programPid + 1, allow},
		{"tkill, whose target cannot be checked", arch, sys.tkill, programPid, eperm},
		{"pidfd_send_signal, whose target cannot be checked", arch, sys.pidfdSendSignal, 3, eperm},
		{"x32 system call", arch, firstForeignSyscall | sys.socket, unix.AF_INET, kill},
		{"foreign architecture", 0x40000003, 359, unix.AF_INET, kill},
	}
	for _, c := range cases {
		got, err := vm.Run(seccompData(c.arch, c.nr, c.arg))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if uint32(got) != c.want {
			t.Errorf("%s: filter returned %#x, want %#x", c.name, uint32(got), c.want)
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
