package sandbox

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// memoryMeter measures one run's memory: the resident memory of its processes that is not
// shared memory (RssAnon + RssFile), plus the shared memory that appeared since the run began.
// Shared memory (tmpfs and /dev/shm files, memfds, SysV segments, MAP_SHARED|MAP_ANONYMOUS)
// is counted per object rather than per mapping, so a page mapped by several processes, or
// kept where nothing maps it, counts once. It comes from the cgroup when the runner has one
// of its own, else from a scan (sharedScan) and the processes' RssShmem.
type memoryMeter struct {
	cg        *memCgroup  // with own set; nil to scan
	scan      *sharedScan // when cg is nil
	baseline  int64       // shared bytes when the run began
	oom       *memCgroup  // any cgroup found, for its OOM kill counter; may be nil
	oomBefore int64
	// kernelBase is the cgroup's kernel memory when the run began (with cg and haveKernel):
	// what a program queues in pipes, sockets and messages is in no process's RSS.
	kernelBase int64
	haveKernel bool
}

// memorySource is how a session measures memory, chosen once (Session.memory).
type memorySource struct {
	cg        *memCgroup // nil when none was found
	uid       int
	uidIsOurs bool     // no other process of the uid: its files and IPC objects are the job's
	outside   []string // writablePlaces: besides the work directory
	// cpu is the CPU accounting cgroup when the runner has it to itself, else nil.
	cpu *cpuCgroup
}

// describe says on stderr how memory is measured, so a log shows which way a verdict came.
func (m memorySource) describe(why string) {
	var source string
	switch {
	case m.cg != nil && m.cg.own:
		kernel := "memory.kmem.usage_in_bytes"
		if m.cg.v2 {
			kernel = "memory.stat kernel+sock"
		}
		if _, ok := m.cg.kernelBytes(); !ok {
			kernel = "not counted: the cgroup keeps no count"
		}
		source = fmt.Sprintf("shared memory from %s (memory.stat %s), kernel memory %s", m.cg, m.cg.shmemKey, kernel)
	case m.cg != nil:
		source = fmt.Sprintf("%s also holds other processes; shared memory from a scan of files, fds and SysV segments", m.cg)
	default:
		source = why + "; shared memory from a scan of files, fds and SysV segments"
	}
	uid := fmt.Sprintf("other processes of uid %d run, so /tmp, /dev/shm and SysV IPC are left alone", m.uid)
	if m.uidIsOurs {
		uid = fmt.Sprintf("uid %d is the runner's alone, so its files in /tmp and /dev/shm and its SysV IPC objects are the job's", m.uid)
	}
	fmt.Fprintf(os.Stderr, "runner: memory: %s; %s\n", source, uid)
	if m.cpu != nil {
		fmt.Fprintf(os.Stderr, "runner: cpu: from %s as well as from the processes\n", m.cpu)
	} else {
		fmt.Fprintf(os.Stderr, "runner: cpu: from the processes only (no cgroup of the runner's own): children nobody waits for are not counted\n")
	}
}

func (m memorySource) meter(workdir string) *memoryMeter {
	mm := &memoryMeter{oom: m.cg}
	if m.cg != nil && m.cg.own {
		mm.cg = m.cg
	} else {
		mm.scan = &sharedScan{uid: m.uid, dirs: []string{workdir}, ipc: m.uidIsOurs}
		if m.uidIsOurs {
			mm.scan.dirs = append(mm.scan.dirs, m.outside...)
		}
	}
	mm.baseline = mm.sharedBytes(nil)
	if mm.cg != nil {
		mm.kernelBase, mm.haveKernel = mm.cg.kernelBytes()
	}
	if mm.oom != nil {
		mm.oomBefore, _ = mm.oom.oomKills()
	}
	return mm
}

func (m *memoryMeter) sharedBytes(pids []int) int64 {
	if m.cg != nil {
		n, _ := m.cg.shmemBytes()
		return n
	}
	return m.scan.bytes(pids)
}

// sharedKiB is the shared memory the run added. Without a cgroup, what the processes map
// (RssShmem) stands in when larger than what the scan found: the larger, not the sum, since
// a mapped file would count twice; a program that maps some shared memory and stashes more
// elsewhere may then be under-counted, never over-counted.
func (m *memoryMeter) sharedKiB(u treeUsage) int64 {
	added := max(m.sharedBytes(u.pids)-m.baseline, 0) >> 10
	if m.cg != nil {
		if m.haveKernel {
			if k, ok := m.cg.kernelBytes(); ok {
				added += max(k-m.kernelBase, 0) >> 10
			}
		}
		return added
	}
	return max(added, u.shmemKiB)
}

// usedKiB is the tree's memory now.
func (m *memoryMeter) usedKiB(u treeUsage) int64 { return u.rssKiB + m.sharedKiB(u) }

// oomKilled tells whether the kernel's OOM killer struck the program during the run: the
// cgroup's counter rose, and either the main process died of SIGKILL or the cgroup holds
// nothing but the runner and the program (then any victim was the program's, a compiler's
// cc1 for example).
func (m *memoryMeter) oomKilled(signal *int) bool {
	if m.oom == nil {
		return false
	}
	after, ok := m.oom.oomKills()
	return ok && after > m.oomBefore && (m.oom.own || signal != nil && *signal == int(syscall.SIGKILL))
}

// memory chooses, on first use (when the job is about to run, not when a warm pod's runner
// starts waiting for it), how the session measures memory, and says so on stderr.
func (s *Session) memory() memorySource {
	s.memOnce.Do(func() {
		uid := unix.Getuid()
		_, strangers, _ := tasksOfUser(uid)
		cg, why := findMemCgroup()
		s.mem = memorySource{cg: cg, uid: uid, uidIsOurs: strangers == 0, cpu: findCPUCgroup(), outside: writablePlaces(s.judgeDir)}
		if s.beside {
			// The cgroups and the uid's files also hold the other side's tree, which they
			// cannot tell apart from this one: only the processes are measured.
			if cg != nil {
				cg.own = false
			}
			s.mem.uidIsOurs, s.mem.cpu = false, nil
		}
		s.mem.describe(why)
	})
	return s.mem
}
