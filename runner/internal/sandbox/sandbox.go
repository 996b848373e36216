// Package sandbox runs one program as a confined process tree: it starts the program through
// the shim (rlimits, no_new_privs, a seccomp filter that denies the network and, with the
// runner's guard, keeps the program to its own processes), feeds its stdin, captures
// capped output, enforces CPU, wall, memory, task and output limits by watching the whole
// tree in /proc, kills the whole tree when it is done, and measures what it used.
package sandbox

import (
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"coderun.dev/runner/internal/protocol"
)

// Spec says what to run, where, and within which limits.
type Spec struct {
	Argv   []string
	Dir    string
	Env    []string
	Stdin  []byte
	Limits protocol.Limits
	// MergeOutput sends stderr into the stdout capture (the compile step's single output).
	MergeOutput bool
	// StdinFile and StdoutFile, when set, are the program's stdin and stdout instead of Stdin
	// and a capture: an interactive test's pipes to the other side. Run closes them once the
	// shim has its copies, so that the other side sees EOF when the program's tree is gone.
	StdinFile, StdoutFile *os.File
	// Confine, when set, runs the program in a Landlock domain of its own (see Confinement).
	Confine *Confinement
}

// Outcome is what one run of a program did.
type Outcome struct {
	ExitCode        *int // nil when a signal ended it
	Signal          *int
	CPUTime         time.Duration
	WallTime        time.Duration
	MemoryKiB       int64
	Stdout          []byte
	Stderr          []byte
	StdoutTruncated bool
	StderrTruncated bool
	LimitExceeded   string // "" or one of the protocol.Limit* names
}

// Session runs programs one after another from this process.
type Session struct {
	counted chan struct{} // closed once otherTasks and countErr are set
	// otherTasks is how many tasks (threads included) the uid had besides the programs when
	// the session began: RLIMIT_NPROC counts them all, so the program's limit sits above them.
	otherTasks uint64
	countErr   error
	memOnce    sync.Once
	mem        memorySource // through memory()
	// beside: another runner runs another tree in this container at the same time (the
	// other side of an interactive test).
	beside bool
	// judgeDir is where checkers and interactors get their directories ("" none apart): a
	// writable place like /tmp, where a program's files count and are swept.
	judgeDir string
}

// Prepare makes the calling process a child subreaper, so that every orphaned descendant of a
// program is re-parented to the runner, where it can be found, killed and reaped, and makes
// it non-dumpable, out of the program's reach. It counts the uid's tasks for RLIMIT_NPROC in
// the background, while the caller reads its job. judgeDir is the runner's --judge-dir.
func Prepare(judgeDir string) (*Session, error) {
	s, err := prepare(false)
	if s != nil {
		s.judgeDir = judgeDir
	}
	return s, err
}

// PrepareBeside is Prepare for a runner that runs one side of an interactive test while
// another runner runs the other side in the same container: its tree is still every
// descendant of this process (which the guard, the limits and the kill keep to), but the
// container's cgroups and the uid's files hold both trees, so CPU time and memory come from
// this tree's processes only, and /tmp, /dev/shm and SysV IPC are not measured or swept.
func PrepareBeside() (*Session, error) {
	return prepare(true)
}

func prepare(beside bool) (*Session, error) {
	if err := checkProc(); err != nil {
		return nil, err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("become child subreaper: %v", err)
	}
	// The program runs as the runner's uid. Without this it could ptrace the runner or
	// write its memory through /proc and forge the result.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("make the runner non-dumpable: %v", err)
	}
	s := &Session{counted: make(chan struct{}), beside: beside}
	go func() {
		defer close(s.counted)
		s.otherTasks, _, s.countErr = tasksOfUser(unix.Getuid())
	}()
	return s, nil
}

// Run runs spec to completion. The calling process must have no other child processes:
// every child of the runner is treated as part of the program's tree. An error means the
// program could not be started (a runner or runtime-image problem).
func (s *Session) Run(spec Spec) (Outcome, error) {
	<-s.counted
	if s.countErr != nil {
		return Outcome{}, s.countErr
	}
	p, err := newPipes(spec.MergeOutput, spec.StdinFile, spec.StdoutFile)
	if err != nil {
		return Outcome{}, err
	}
	defer p.closeAll()
	ch, err := newListenerChannel()
	if err != nil {
		return Outcome{}, err
	}
	defer ch.close()

	emptyTerminationLog(terminationLog)
	var before unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &before)
	mem := s.memory().meter(spec.Dir)
	cpuM := newCPUMeter(s.memory().cpu)
	argv := append([]string{"runner", ShimCommand}, shimLimitsFor(spec.Limits, s.otherTasks).args()...)
	if spec.Confine != nil {
		argv = append(argv, spec.Confine.args()...)
	}
	argv = append(append(argv, "--"), spec.Argv...)
	pid, err := syscall.ForkExec("/proc/self/exe", argv, &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   spec.Env,
		Files: []uintptr{p.stdinR.Fd(), p.outW.Fd(), p.errW.Fd(), p.statusW.Fd(), ch.shimEnd.Fd()},
		// The group lets one kill(2) reach the common case at once; Pdeathsig takes the
		// program down if the runner itself dies.
		Sys: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	})
	p.closeChildEnds()
	if err != nil {
		return Outcome{}, fmt.Errorf("cannot start the sandbox shim: %v", err)
	}
	preferAsOOMVictim(pid)
	// The guard answers the program's calls aimed at other processes until the run is over.
	g, err := ch.receive()
	if err != nil {
		_ = unix.Kill(pid, unix.SIGKILL)
		reapAll()
		return Outcome{}, err
	}
	defer g.stop()
	status, _ := io.ReadAll(p.statusR)
	start := time.Now()
	pre, startErr := parseShimStatus(status)
	if startErr != nil {
		reapAll()
		return Outcome{}, startErr
	}
	shimCPU := time.Duration(pre.cpuMicros) * time.Microsecond
	w := watch(pid, start, spec, p, rusageCPU(&before), shimCPU, mem, cpuM)
	var after unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &after)
	// The cgroup also saw what the tree's rusage misses: children the kernel reaped itself.
	cpu := max(rusageCPU(&after)-rusageCPU(&before), cpuM.used(), w.cgroupCPU) - shimCPU
	out := Outcome{
		CPUTime:         max(cpu, 0),
		WallTime:        w.wall,
		MemoryKiB:       peakMemoryKiB(w, pre),
		Stdout:          w.stdout.data,
		Stderr:          w.stderr.data,
		StdoutTruncated: w.stdout.truncated,
		StderrTruncated: w.stderr.truncated,
	}
	switch {
	case w.status.Exited():
		code := w.status.ExitStatus()
		out.ExitCode = &code
	case w.status.Signaled():
		sig := int(w.status.Signal())
		out.Signal = &sig
	}
	out.LimitExceeded = limitExceeded(runFacts{
		killedFor: w.killedFor, signal: out.Signal, oomKilled: mem.oomKilled(out.Signal),
		cpu: out.CPUTime, memoryKiB: out.MemoryKiB, limits: spec.Limits,
	})
	return out, nil
}

// peakMemoryKiB combines the two measurements of peak memory. ru_maxrss is exact for what
// a process mapped, but the main process's value also holds the peak RSS of the runner and
// shim before exec (the kernel carries it across execve), so it only tells about the program
// when it is larger than that. The polled peak (memoryMeter, early samples, VmHWM) is a
// lower bound that also counts the shared memory nothing maps.
func peakMemoryKiB(w watched, pre preExec) int64 {
	peak := max(w.peakPolledKiB, w.othersMaxRSSKiB)
	if w.mainMaxRSSKiB > pre.maxRSSKiB {
		peak = max(peak, w.mainMaxRSSKiB)
	}
	return peak
}

func rusageCPU(r *unix.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
