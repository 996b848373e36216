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
	ppid      int
	startTime uint64 // clock ticks after boot: with the pid, names one process for good
	cpuTicks  uint64 // utime+stime of the process plus cutime+cstime of its reaped children
	threads   int64
	rssPages  int64
	state     byte
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
	for _, n := range []int{14, 15, 16, 17, 20} {
		v, err := num(n)
		if err != nil {
			return procStat{}, fmt.Errorf("stat field %d: %v", n, err)
		}
		vals[n] = v
	}
	rss, err := strconv.ParseInt(string(fields[24-3]), 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("stat field 24: %v", err)
	}
	s.cpuTicks = vals[14] + vals[15] + vals[16] + vals[17]
	s.threads = int64(vals[20])
	s.rssPages = rss
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

// readHWMKiB reads VmHWM, the peak RSS of the process's current memory (since its exec).
func readHWMKiB(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(data, []byte("\nVmHWM:"))
	if !ok {
		return 0 // a zombie has no memory left
	}
	fields := bytes.Fields(rest)
	if len(fields) == 0 {
		return 0
	}
	kib, _ := strconv.ParseInt(string(fields[0]), 10, 64)
	return kib
}

// treeUsage sums what the live descendants of root are using now.
type treeUsage struct {
	cpuTicks  uint64
	rssPages  int64
	tasks     int64
	maxHWMKiB int64 // the largest single process's peak RSS
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
		u.cpuTicks += st.cpuTicks
		u.rssPages += st.rssPages
		u.tasks += st.threads
		u.maxHWMKiB = max(u.maxHWMKiB, readHWMKiB(pid))
		queue = append(queue, childrenOf(pid)...)
	}
	return u
}

// tasksOfUser counts the tasks (threads included, as RLIMIT_NPROC does) of every process of
// uid. RLIMIT_NPROC counts them node-wide (per user namespace), which is why the operator
// gives each sandbox pod a uid of its own: then these are only the runner's tasks.
func tasksOfUser(uid int) (uint64, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, errNoProc
	}
	var n uint64
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat("/proc/"+e.Name(), &st) != nil || int(st.Uid) != uid {
			continue
		}
		// A task directory's link count is 2 plus its number of threads: one stat instead
		// of reading and parsing a file per process.
		if unix.Stat("/proc/"+e.Name()+"/task", &st) == nil && st.Nlink > 2 {
			n += uint64(st.Nlink) - 2
		}
	}
	return n, nil
}

// errNoProc tells that /proc is not mounted, without which nothing can be measured or killed.
var errNoProc = errors.New("/proc is not mounted: the runner needs procfs to watch and kill the program's processes")

func checkProc() error {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return errNoProc
	}
	return nil
}
