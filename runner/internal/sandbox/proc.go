package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// procStat is what one /proc/PID/stat line tells about a process.
type procStat struct {
	cpuTicks uint64 // utime+stime of the process plus cutime+cstime of its reaped children
	threads  int64
	state    byte   // R, S, D, Z, ...
	ppid     int    // 0: the parent is outside the PID namespace (PID 1, or a process exec'd into the container)
	started  uint64 // clock ticks after boot
}

// parseProcStat parses the content of /proc/PID/stat. The command name is in parentheses and
// may itself contain spaces and parentheses, so fields are counted after the last ')'.
func parseProcStat(line []byte) (procStat, error) {
	end := bytes.LastIndexByte(line, ')')
	if end < 0 || end+2 > len(line) {
		return procStat{}, fmt.Errorf("malformed stat line %q", line)
	}
	fields := bytes.Fields(line[end+2:])
	// fields[0] is field 3 (state) of proc(5); field n is fields[n-3].
	if len(fields) < 22 {
		return procStat{}, fmt.Errorf("stat line has %d fields after the name, want at least 22", len(fields))
	}
	num := func(n int) (uint64, error) { return strconv.ParseUint(string(fields[n-3]), 10, 64) }
	var s procStat
	vals := make(map[int]uint64, 8)
	for _, n := range []int{4, 14, 15, 16, 17, 20, 22} {
		v, err := num(n)
		if err != nil {
			return procStat{}, fmt.Errorf("stat field %d: %v", n, err)
		}
		vals[n] = v
	}
	s.cpuTicks = vals[14] + vals[15] + vals[16] + vals[17]
	s.threads = int64(vals[20])
	s.state = fields[0][0]
	s.ppid = int(vals[4])
	s.started = vals[22]
	return s, nil
}

func readProcStat(pid int) (procStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(data)
}

// childrenOf lists the children of pid from /proc/PID/task/*/children (each thread keeps its
// own list). A process that vanished meanwhile simply has no children.
func childrenOf(pid int) []int {
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	if err != nil {
		return nil
	}
	var kids []int
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range bytes.Fields(data) {
			if k, err := strconv.Atoi(string(f)); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids
}

// procMemory is what /proc/PID/status tells about a process's memory, in KiB.
type procMemory struct {
	// rssKiB is resident memory that is not shared memory: anonymous and file-backed pages
	// (RssAnon + RssFile).
	rssKiB int64
	// shmemKiB is the shared memory (tmpfs, memfd, SysV, MAP_SHARED|MAP_ANONYMOUS) it has
	// mapped (RssShmem). Shared memory is counted per object, not per mapping, elsewhere.
	shmemKiB int64
	// hwmKiB is VmHWM, the peak of all three since the exec.
	hwmKiB int64
}

// readProcMemory reads a process's memory; ok is false when it is gone or a zombie, which
// has no memory left.
func readProcMemory(pid int) (m procMemory, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return procMemory{}, false
	}
	return parseProcMemory(data)
}

func parseProcMemory(status []byte) (m procMemory, ok bool) {
	var anon, file int64
	fields := map[string]*int64{"RssAnon:": &anon, "RssFile:": &file, "RssShmem:": &m.shmemKiB, "VmHWM:": &m.hwmKiB}
	for line := range bytes.Lines(status) {
		f := bytes.Fields(line)
		if len(f) < 2 {
			continue
		}
		if dst, wanted := fields[string(f[0])]; wanted {
			*dst, _ = strconv.ParseInt(string(f[1]), 10, 64)
			ok = ok || string(f[0]) == "VmHWM:"
		}
	}
	m.rssKiB = anon + file
	return m, ok
}

// treeUsage sums what the live descendants of root are using now.
type treeUsage struct {
	pids      []int
	cpuTicks  uint64
	tasks     int64
	rssKiB    int64 // summed procMemory.rssKiB
	shmemKiB  int64 // summed procMemory.shmemKiB
	maxHWMKiB int64 // the largest single process's peak
}

// measureTree walks the descendants of root (the runner itself) and adds up their usage.
func measureTree(root int) treeUsage {
	var u treeUsage
	queue := childrenOf(root)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		st, err := readProcStat(pid)
		if err != nil {
			continue
		}
		u.pids = append(u.pids, pid)
		u.cpuTicks += st.cpuTicks
		u.tasks += st.threads
		if m, ok := readProcMemory(pid); ok {
			u.rssKiB += m.rssKiB
			u.shmemKiB += m.shmemKiB
			u.maxHWMKiB = max(u.maxHWMKiB, m.hwmKiB)
		}
		queue = append(queue, childrenOf(pid)...)
	}
	return u
}

// tasksOfUser counts the tasks (threads included, as RLIMIT_NPROC does) of every process of
// uid. RLIMIT_NPROC counts them node-wide (per user namespace), which is why the operator
// gives each sandbox pod a uid of its own: then these are only the runner's tasks. strangers
// counts the processes of uid other than this one and PID 1 (a warm pod's `runner idle`):
// with none, whatever the uid owns in /tmp, /dev/shm and SysV IPC is the job's.
func tasksOfUser(uid int) (tasks uint64, strangers int, err error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0, errNoProc
	}
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat("/proc/"+e.Name(), &st) != nil || int(st.Uid) != uid {
			continue
		}
		if e.Name() != self && e.Name() != "1" {
			strangers++
		}
		// A task directory's link count is 2 plus its number of threads: one stat instead
		// of reading and parsing a file per process.
		if unix.Stat("/proc/"+e.Name()+"/task", &st) == nil && st.Nlink > 2 {
			tasks += uint64(st.Nlink) - 2
		}
	}
	return tasks, strangers, nil
}

// errNoProc tells that /proc is not mounted, without which nothing can be measured or killed.
var errNoProc = errors.New("/proc is not mounted: the runner needs procfs to watch and kill the program's processes")

func checkProc() error {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return errNoProc
	}
	return nil
}
