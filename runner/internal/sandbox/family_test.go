package sandbox

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// startSleeper starts a child of the test process in a process group of its own.
func startSleeper(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

// The test process plays the runner: its descendants are the tree, it and its threads not.
func TestFamilyHoldsOnlyTheRootsDescendants(t *testing.T) {
	child := startSleeper(t)
	tree := family{root: os.Getpid()}
	threads, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range threads {
		tid, _ := strconv.Atoi(th.Name())
		if in, err := tree.contains(tid); in || err != nil {
			t.Errorf("the root's thread %d: in the tree %v (%v), want outside", tid, in, err)
		}
	}
	if in, err := tree.contains(child); !in || err != nil {
		t.Errorf("the root's child: in the tree %v (%v), want inside", in, err)
	}
	if in, _ := tree.contains(1); in {
		t.Error("PID 1 must be outside the tree")
	}
	if _, err := tree.contains(1 << 30); err == nil {
		t.Error("a pid no process has must be an error")
	}
	if in, err := tree.groupWithin(child); !in || err != nil {
		t.Errorf("the child's own group: within %v (%v), want within", in, err)
	}
	if in, _ := tree.groupWithin(unix.Getpgrp()); in {
		t.Error("the root's group holds the root: it must not count as the tree's")
	}
}

func TestFamilyCheckDecidesByTarget(t *testing.T) {
	child := startSleeper(t)
	self := os.Getpid()
	tree := family{root: self}
	s := nativeSyscalls
	neg := func(n int) uint64 { return uint64(uint32(-int32(n))) }
	cases := []struct {
		name string
		nr   uint32
		args [6]uint64
		want unix.Errno
	}{
		{"kill of a child", s.kill, [6]uint64{uint64(child)}, 0},
		{"kill of the root", s.kill, [6]uint64{uint64(self)}, unix.EPERM},
		{"kill of PID 1", s.kill, [6]uint64{1}, unix.EPERM},
		{"kill of everything", s.kill, [6]uint64{neg(1)}, unix.EPERM},
		{"kill of a child's group", s.kill, [6]uint64{neg(child)}, 0},
		{"kill of the root's group", s.kill, [6]uint64{neg(unix.Getpgrp())}, unix.EPERM},
		{"kill of no process", s.kill, [6]uint64{1 << 30}, unix.ESRCH},
		{"tgkill of a root thread", s.tgkill, [6]uint64{uint64(self), uint64(unix.Gettid())}, unix.EPERM},
		{"prlimit64 setting the root's limits", s.prlimit64, [6]uint64{uint64(self), unix.RLIMIT_CPU, 0x1000}, unix.EPERM},
		{"prlimit64 reading the root's limits", s.prlimit64, [6]uint64{uint64(self), unix.RLIMIT_CPU, 0, 0x1000}, 0},
		{"setpriority of the root", s.setpriority, [6]uint64{unix.PRIO_PROCESS, uint64(self)}, unix.EPERM},
		{"setpriority of a child", s.setpriority, [6]uint64{unix.PRIO_PROCESS, uint64(child)}, 0},
		{"setpriority of the root's group", s.setpriority, [6]uint64{unix.PRIO_PGRP, uint64(unix.Getpgrp())}, unix.EPERM},
		{"ioprio_set of the root", s.ioprioSet, [6]uint64{ioprioWhoProc, uint64(self)}, unix.EPERM},
		{"fcntl F_SETOWN to the root", s.fcntl, [6]uint64{3, unix.F_SETOWN, uint64(self)}, unix.EPERM},
		{"fcntl F_SETOWN to a child", s.fcntl, [6]uint64{3, unix.F_SETOWN, uint64(child)}, 0},
		{"setpgid of the child into its own new group", s.setpgid, [6]uint64{uint64(child), uint64(child)}, 0},
		{"setpgid into the root's group", s.setpgid, [6]uint64{0, uint64(unix.Getpgrp())}, unix.EPERM},
		{"setpgid into the child's group", s.setpgid, [6]uint64{0, uint64(child)}, 0},
		{"sched_setaffinity of a root thread", s.schedSetaffinity, [6]uint64{uint64(unix.Gettid())}, unix.EPERM},
		{"ptrace of the root", s.ptrace, [6]uint64{unix.PTRACE_SEIZE, uint64(self)}, unix.EPERM},
		{"ptrace of a child", s.ptrace, [6]uint64{unix.PTRACE_SEIZE, uint64(child)}, 0},
		{"PTRACE_TRACEME by a child of the root", s.ptrace, [6]uint64{unix.PTRACE_TRACEME}, unix.EPERM},
		{"a call the filter never hands over", unix.SYS_READ, [6]uint64{}, unix.EPERM},
	}
	for _, c := range cases {
		if got := tree.check(child, c.nr, c.args); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseStatusIDs(t *testing.T) {
	tgid, pgid, err := parseStatusIDs([]byte("Name:\tx\nTgid:\t12\nPid:\t13\nNSpgid:\t7\t1\n"))
	if err != nil || tgid != 12 || pgid != 7 {
		t.Fatalf("got %d %d %v", tgid, pgid, err)
	}
	if _, _, err := parseStatusIDs([]byte("Name:\tx\n")); err == nil {
		t.Fatal("a status without ids must be an error")
	}
}
