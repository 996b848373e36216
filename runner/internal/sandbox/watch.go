package sandbox

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"coderun.dev/runner/internal/protocol"
)

// pollInterval is how often the whole tree is measured. At a few GB/s of page faults a
// program can grow by tens of MiB between two polls, which the pod's cgroup limit absorbs.
// Before the first poll, an earlySampler reads the main process's memory.
const pollInterval = 5 * time.Millisecond

// streamGrace bounds the wait for the output pipes after the whole tree has been reaped.
const streamGrace = 100 * time.Millisecond

// killInterval is how often the tree is swept again while it is being killed.
const killInterval = time.Millisecond

// watched is what the watch loop saw.
type watched struct {
	status syscall.WaitStatus
	wall   time.Duration
	// ru_maxrss of the main process, and the largest of every other reaped process.
	mainMaxRSSKiB, othersMaxRSSKiB int64
	// The largest of the tree's memory (memoryMeter) and any one process's VmHWM, over all
	// polls, early samples and the measurement after the end.
	peakPolledKiB int64
	// cgroupCPU is the largest CPU time the cgroup measure (cpuMeter) showed at a poll.
	cgroupCPU time.Duration
	killedFor string
	stdout    capture
	stderr    capture
}

type exitEvent struct {
	status syscall.WaitStatus
	at     time.Time
}

// watch supervises the tree rooted at pid until every process of it has been reaped.
// cpuBefore is the reaped children's CPU before the program; shimCPU the shim's own before its
// exec, which both measures include and the reported time does not: the kill must not come
// before the reported time reaches the limit.
func watch(pid int, start time.Time, spec Spec, p *pipes, cpuBefore, shimCPU time.Duration, mem *memoryMeter, cpuM *cpuMeter) watched {
	var w watched
	self := os.Getpid()
	sampler := startEarlySampler(pid)
	early := make(chan int64, 1)
	go func() { early <- sampler.run(start.Add(pollInterval)) }()
	exited := make(chan exitEvent, 1)
	reaped := make(chan [2]int64)
	go func() { reaped <- reapUntilEmpty(pid, exited) }()

	overflow := make(chan struct{}, 2)
	signalOverflow := func() { overflow <- struct{}{} }
	var streams sync.WaitGroup
	if p.outR != nil {
		streams.Add(1)
		go func() {
			defer streams.Done()
			w.stdout = readCapped(p.outR, spec.Limits.OutputBytes, signalOverflow)
		}()
	}
	if !p.merged {
		streams.Add(1)
		go func() {
			defer streams.Done()
			w.stderr = readCapped(p.errR, spec.Limits.OutputBytes, signalOverflow)
		}()
	}
	if p.stdinW != nil {
		streams.Add(1)
		go func() {
			defer streams.Done()
			// A program that exits without reading its input makes this fail with EPIPE: fine.
			_, _ = p.stdinW.Write(spec.Stdin)
			_ = p.stdinW.Close()
		}()
	}

	cpuLimit := time.Duration(spec.Limits.CPUTimeMillis) * time.Millisecond
	memLimitKiB := spec.Limits.MemoryMiB << 10
	ticksPerSecond := int64(100) // USER_HZ, fixed at 100 on Linux for /proc
	wall := time.NewTimer(time.Until(start.Add(time.Duration(spec.Limits.WallTimeMillis) * time.Millisecond)))
	defer wall.Stop()
	tick := time.NewTimer(pollInterval)
	defer tick.Stop()
	killing := false
	startKilling := func(reason string) {
		if !killing {
			w.killedFor = reason
			killing = true
			tick.Reset(killInterval)
		}
	}
	kill := func(reason string) {
		startKilling(reason)
		killTree(self, pid)
	}
	for done := false; !done; {
		select {
		case peaks := <-reaped:
			w.mainMaxRSSKiB, w.othersMaxRSSKiB = peaks[0], peaks[1]
			done = true
		case ev := <-exited:
			w.status = ev.status
			w.wall = ev.at.Sub(start)
			exited = nil
			// A main process that exits on a refused fork (RLIMIT_NPROC is the limit plus
			// headroom) can do so between two polls, leaving its children: count them once more,
			// so that the verdict does not depend on whether a poll came in time.
			if measureTree(self).tasks > spec.Limits.Processes {
				kill(protocol.LimitProcesses)
				continue
			}
			// The program is over when its main process is: nothing it left may outlive it.
			// The sweep starts at the next tick; a tree that ended with its main process is
			// reaped before that, and spared the walk.
			startKilling("")
		case <-overflow:
			kill(protocol.LimitOutput)
		case <-wall.C:
			kill(protocol.LimitWallTime)
		case <-tick.C:
			if killing {
				killTree(self, pid)
				tick.Reset(killInterval)
				continue
			}
			tick.Reset(pollInterval)
			u := measureTree(self)
			keepAsOOMVictim(u.pids)
			used := mem.usedKiB(u)
			w.peakPolledKiB = max(w.peakPolledKiB, used, u.maxHWMKiB)
			// Live processes from /proc, plus those the runner already reaped.
			var reapedUsage unix.Rusage
			_ = unix.Getrusage(unix.RUSAGE_CHILDREN, &reapedUsage)
			cpu := time.Duration(int64(u.cpuTicks)*int64(time.Second)/ticksPerSecond) + rusageCPU(&reapedUsage) - cpuBefore
			// Children the kernel reaps itself (their parent ignores SIGCHLD) are in neither;
			// the cgroup, when the runner has one of its own, counts them.
			w.cgroupCPU = max(w.cgroupCPU, cpuM.used())
			cpu = max(cpu, w.cgroupCPU) - shimCPU
			switch {
			case used > memLimitKiB:
				kill(protocol.LimitMemory)
			case u.tasks > spec.Limits.Processes:
				kill(protocol.LimitProcesses)
			case cpu >= cpuLimit:
				kill(protocol.LimitCPUTime)
			}
		}
	}
	if exited != nil {
		ev := <-exited
		w.status = ev.status
		w.wall = ev.at.Sub(start)
	}
	// What the program left in files and SysV segments outlives it, and counts too.
	w.peakPolledKiB = max(w.peakPolledKiB, <-early, mem.sharedKiB(treeUsage{}))
	// Every process of the tree is gone, so the pipes are at EOF. Should anything outside the
	// tree still hold them, the result must not wait for it.
	deadline := time.Now().Add(streamGrace)
	for _, f := range []*os.File{p.outR, p.errR, p.stdinW} {
		if f != nil {
			_ = f.SetDeadline(deadline)
		}
	}
	streams.Wait()
	return w
}

// reapUntilEmpty reaps every child of the runner until none is left, reports the main
// process's exit on exited, and returns the ru_maxrss (KiB) of the main process and the
// largest among the others. It waits for SIGCHLD rather than in wait4: with one P, a
// goroutine blocked in a system call keeps the P from every other goroutine until sysmon
// takes it back, which may be 10 ms later: too late for the earlySampler.
func reapUntilEmpty(mainPid int, exited chan<- exitEvent) (peaks [2]int64) {
	sigchld := make(chan os.Signal, 1)
	signal.Notify(sigchld, syscall.SIGCHLD)
	defer signal.Stop(sigchld)
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, &ru)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return peaks // ECHILD: every child is reaped
		case pid == 0:
			<-sigchld // registered before the first wait4, so no exit is missed
			continue
		}
		if pid == mainPid {
			peaks[0] = ru.Maxrss
			exited <- exitEvent{status: ws, at: time.Now()}
		} else {
			peaks[1] = max(peaks[1], ru.Maxrss)
		}
	}
}

// reapAll waits for every child; used when the shim failed before exec.
func reapAll() {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return
		}
	}
}
