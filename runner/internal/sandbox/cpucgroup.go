package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// cpuCgroup is the runner's CPU accounting cgroup, used only when the runner has it to itself
// (no process but the runner and PID 1 in it). The kernel charges it the CPU time of every
// process that ran in it, including processes nobody waits for: children of a parent that
// ignores SIGCHLD (or sets SA_NOCLDWAIT) are reaped by the kernel at exit, so their time
// reaches no one's RUSAGE_CHILDREN and, when they live less than a poll, no /proc walk either.
type cpuCgroup struct {
	dir string
	v2  bool
}

// findCPUCgroup finds the runner's cpuacct (v1) or unified (v2) cgroup; nil when there is
// none it can read, or when another process than the runner and PID 1 is in it.
func findCPUCgroup() *cpuCgroup {
	self, err1 := os.ReadFile("/proc/self/cgroup")
	mounts, err2 := os.ReadFile("/proc/self/mountinfo")
	if err1 != nil || err2 != nil {
		return nil
	}
	dir, v2, ok := locateCgroup("cpuacct", self, mounts)
	if !ok {
		return nil
	}
	c := &cpuCgroup{dir: dir, v2: v2}
	if _, ok := c.usage(); !ok || !onlyRunnerIn(filepath.Join(dir, "cgroup.procs")) {
		return nil
	}
	return c
}

// usage is the CPU time charged to the cgroup so far.
func (c *cpuCgroup) usage() (time.Duration, bool) {
	if c.v2 {
		us, ok := readKeyed(filepath.Join(c.dir, "cpu.stat"), "usage_usec")
		return time.Duration(us) * time.Microsecond, ok
	}
	data, err := os.ReadFile(filepath.Join(c.dir, "cpuacct.usage"))
	if err != nil {
		return 0, false
	}
	ns, err := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 64)
	return time.Duration(ns), err == nil
}

func (c *cpuCgroup) String() string {
	if c.v2 {
		return "cgroup v2 " + c.dir + " (cpu.stat usage_usec)"
	}
	return "cgroup v1 " + c.dir + " (cpuacct.usage)"
}

// cpuMeter measures a run's CPU time from the cgroup: what the cgroup was charged since the
// run began, less what the runner itself and PID 1 (when it is not the runner) used meanwhile.
// Everything else in the cgroup is the program (findCPUCgroup made sure of it).
type cpuMeter struct {
	cg                         *cpuCgroup
	pid1                       bool // PID 1 is another process (a warm pod's `runner idle`)
	cgBase, selfBase, pid1Base time.Duration
}

func newCPUMeter(cg *cpuCgroup) *cpuMeter {
	if cg == nil {
		return nil
	}
	m := &cpuMeter{cg: cg, pid1: os.Getpid() != 1}
	var ok bool
	if m.cgBase, ok = cg.usage(); !ok {
		return nil
	}
	m.selfBase = selfCPU()
	if m.pid1 {
		m.pid1Base = pid1CPU()
	}
	return m
}

// used is the program's CPU time since the meter was made; 0 without a meter.
func (m *cpuMeter) used() time.Duration {
	if m == nil {
		return 0
	}
	total, ok := m.cg.usage()
	if !ok {
		return 0
	}
	// What the runner uses between these reads counts as the program's: microseconds.
	d := total - m.cgBase - (selfCPU() - m.selfBase)
	if m.pid1 {
		d -= pid1CPU() - m.pid1Base
	}
	return max(d, 0)
}

func selfCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return rusageCPU(&ru)
}

// pid1CPU is PID 1's own utime+stime (ticks of 10 ms).
func pid1CPU() time.Duration {
	data, err := os.ReadFile("/proc/1/stat")
	if err != nil {
		return 0
	}
	end := bytes.LastIndexByte(data, ')')
	if end < 0 || end+2 > len(data) {
		return 0
	}
	fields := bytes.Fields(data[end+2:])
	if len(fields) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(string(fields[14-3]), 10, 64)
	s, _ := strconv.ParseInt(string(fields[15-3]), 10, 64)
	return time.Duration(u+s) * (time.Second / 100)
}
