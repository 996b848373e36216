package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"coderun.dev/runner/internal/protocol"
)

// ShimCommand is the hidden subcommand the runner re-executes itself as: the shim applies
// the limits and the seccomp filter to its own process and then execs the program, so the
// program starts already confined (Go cannot run code between fork and exec).
const ShimCommand = "__shim"

// statusFD is the pipe on which the shim tells the runner how the exec went. It is
// close-on-exec: EOF after a "started" line means the program is running.
const statusFD = 3

// nprocHeadroom is added to RLIMIT_NPROC above the program's task limit: the Go runtime may
// start a few more runner threads after they were counted, and the shim's own threads still
// exist when it sets the limit. The runner enforces the exact limit by watching the tree;
// RLIMIT_NPROC is the hard ceiling that a fork bomb cannot outrun between two polls.
const nprocHeadroom = 8

// maxOpenFiles is RLIMIT_NOFILE (soft and hard) for programs. Every pipe or socket a program
// holds can queue kernel memory that no process's RSS shows; where the runner has no cgroup
// of its own to count that memory, this bounds how many it can hold. Judged programs need a
// handful; compilers and runtimes (javac, dotnet) stay far below it.
const maxOpenFiles = 512

// shimLimits are the per-process settings the shim applies before exec.
type shimLimits struct {
	cpuSeconds    uint64 // RLIMIT_CPU backstop; the runner enforces the exact limit
	fileSizeBytes uint64
	nproc         uint64 // RLIMIT_NPROC: the uid's other tasks, the program's, and headroom
	stackBytes    uint64
}

func shimLimitsFor(l protocol.Limits, otherTasks uint64) shimLimits {
	return shimLimits{
		cpuSeconds:    uint64((l.CPUTimeMillis+999)/1000) + 1,
		fileSizeBytes: uint64(l.FileSizeBytes),
		nproc:         otherTasks + uint64(l.Processes) + nprocHeadroom,
		stackBytes:    uint64(l.MemoryMiB) << 20,
	}
}

func (s shimLimits) args() []string {
	return []string{
		"cpu=" + strconv.FormatUint(s.cpuSeconds, 10),
		"fsize=" + strconv.FormatUint(s.fileSizeBytes, 10),
		"nproc=" + strconv.FormatUint(s.nproc, 10),
		"stack=" + strconv.FormatUint(s.stackBytes, 10),
	}
}

// parseShimArgs reads the limits, the confinement (nil without a hide= argument) and the
// program's argv.
func parseShimArgs(args []string) (shimLimits, *Confinement, []string, error) {
	var s shimLimits
	var c *Confinement
	fields := map[string]*uint64{"cpu": &s.cpuSeconds, "fsize": &s.fileSizeBytes, "nproc": &s.nproc, "stack": &s.stackBytes}
	for i, a := range args {
		if a == "--" {
			if len(args[i+1:]) == 0 {
				return s, nil, nil, errors.New("no program after --")
			}
			return s, c, args[i+1:], nil
		}
		k, v, ok := strings.Cut(a, "=")
		switch {
		case k == "hide" && c == nil:
			c = &Confinement{Hide: v}
			continue
		case k == "reach" && c != nil:
			c.Reach = append(c.Reach, v)
			continue
		}
		dst, known := fields[k]
		if !ok || !known {
			return s, nil, nil, fmt.Errorf("unknown shim argument %q", a)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return s, nil, nil, fmt.Errorf("shim argument %q: %v", a, err)
		}
		*dst = n
	}
	return s, nil, nil, errors.New("missing -- before the program")
}

// ShimMain runs in the re-executed child. The caller must have locked the main goroutine to
// its thread: no_new_privs and the seccomp filter are per-thread and must be on the thread
// that calls execve. It hands the filter's listener to the runner on guardFD before the
// exec. It returns only when the program could not be started.
func ShimMain(args []string) int {
	// A garbage collection now could start threads after RLIMIT_NPROC is set.
	debug.SetGCPercent(-1)
	status := os.NewFile(statusFD, "status")
	unix.CloseOnExec(statusFD)
	unix.CloseOnExec(guardFD)
	fail := func(err error) int {
		fmt.Fprintf(status, "error %v\n", err)
		return 127
	}
	limits, confinement, argv, err := parseShimArgs(args)
	if err != nil {
		return fail(err)
	}
	if err := applyLimits(limits); err != nil {
		return fail(err)
	}
	// Before the filter is installed: its listener goes to the runner, and the program starts
	// in the domain.
	if confinement != nil {
		if err := confine(*confinement); err != nil {
			return fail(err)
		}
	}
	listener, err := installSandboxFilter(filterTarget{auditArch: nativeAuditArch, sys: nativeSyscalls, mainPid: uint32(os.Getpid()), confined: confinement != nil})
	if err != nil {
		return fail(err)
	}
	if err := sendListener(listener); err != nil {
		return fail(err)
	}
	path := argv[0]
	if !strings.Contains(path, "/") {
		if path, err = exec.LookPath(path); err != nil {
			return fail(fmt.Errorf("cannot find %q on PATH: %v", argv[0], err))
		}
	}
	// What this process already used before exec is counted in the program's rusage: its
	// CPU time, and a peak RSS inherited from the runner's memory (vfork) and the shim's.
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	fmt.Fprintf(status, "started %d %d\n", ru.Utime.Nano()/1000+ru.Stime.Nano()/1000, ru.Maxrss)
	err = syscall.Exec(path, argv, os.Environ())
	return fail(fmt.Errorf("cannot execute %q: %v", filepath.Clean(argv[0]), err))
}

func applyLimits(s shimLimits) error {
	set := []struct {
		name       string
		res        int
		soft, hard uint64
	}{
		{"RLIMIT_CPU", unix.RLIMIT_CPU, s.cpuSeconds, s.cpuSeconds + 1},
		{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE, s.fileSizeBytes, s.fileSizeBytes},
		{"RLIMIT_NPROC", unix.RLIMIT_NPROC, s.nproc, s.nproc},
		{"RLIMIT_CORE", unix.RLIMIT_CORE, 0, 0},
		{"RLIMIT_STACK", unix.RLIMIT_STACK, s.stackBytes, unix.RLIM_INFINITY},
		{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE, maxOpenFiles, maxOpenFiles},
	}
	for _, l := range set {
		var cur unix.Rlimit
		if err := unix.Getrlimit(l.res, &cur); err != nil {
			return fmt.Errorf("get %s: %v", l.name, err)
		}
		// An unprivileged process cannot raise a hard limit: stay within the one it has.
		want := unix.Rlimit{Cur: min(l.soft, cur.Max), Max: min(l.hard, cur.Max)}
		if err := unix.Setrlimit(l.res, &want); err != nil {
			return fmt.Errorf("set %s to %d: %v", l.name, want.Cur, err)
		}
	}
	return nil
}

// preExec is what the shim's process had used when it exec'd the program.
type preExec struct {
	cpuMicros int64
	maxRSSKiB int64
}

// parseShimStatus reads what the shim wrote on the status pipe before its exec (or exit).
func parseShimStatus(data []byte) (preExec, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, line := range lines {
		if msg, ok := strings.CutPrefix(line, "error "); ok {
			return preExec{}, errors.New(msg)
		}
	}
	for _, line := range lines {
		if v, ok := strings.CutPrefix(line, "started "); ok {
			var p preExec
			if _, err := fmt.Sscanf(v, "%d %d", &p.cpuMicros, &p.maxRSSKiB); err != nil {
				return preExec{}, fmt.Errorf("the sandbox shim sent a malformed status %q", line)
			}
			return p, nil
		}
	}
	return preExec{}, errors.New("the sandbox shim exited before starting the program")
}
