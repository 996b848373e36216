package sandbox

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// earlyInterval is how often the main process's resident memory is read before the first
// poll. Many programs are gone before any poll (a C program printing one line lives under a
// millisecond), and their ru_maxrss is of no use: it holds the runner's own, larger, peak from
// before the exec. Go's timers wake no more often than once a millisecond here, so a timerfd
// in the netpoller paces the reads.
const earlyInterval = 50 * time.Microsecond

// earlySampler reads the main process's resident memory until a deadline or its exit. It is a
// lower bound: what grows after the last read before the exit is missed, and only an
// exit-time stop (ptrace, which LeakSanitizer needs for itself, or a seccomp notification of
// exit_group) could read it.
type earlySampler struct {
	pid  int
	peak int64 // KiB
}

// startEarlySampler takes the first reading at once, before the caller starts anything else.
func startEarlySampler(pid int) *earlySampler {
	s := &earlySampler{pid: pid}
	s.peak, _ = rolledUpRSSKiB(pid)
	return s
}

// run samples until `until` or the process's exit and returns the largest reading.
func (s *earlySampler) run(until time.Time) int64 {
	tick := newFineTicker(earlyInterval)
	if tick == nil {
		return s.peak
	}
	defer tick.Close()
	buf := make([]byte, 8)
	for time.Now().Before(until) {
		if _, err := tick.Read(buf); err != nil {
			break
		}
		rss, alive := rolledUpRSSKiB(s.pid)
		if !alive {
			break
		}
		s.peak = max(s.peak, rss)
	}
	return s.peak
}

// rolledUpRSSKiB reads the Rss of /proc/PID/smaps_rollup, which the kernel counts by walking
// the page tables: exact, unlike status's per-CPU counters, which may lag by hundreds of KiB,
// all of a small program's memory. Walking is cheap while a program is young.
func rolledUpRSSKiB(pid int) (kib int64, alive bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0, false
	}
	_, rest, found := strings.Cut(string(data), "\nRss:")
	f := strings.Fields(rest)
	if !found || len(f) == 0 {
		return 0, false // a zombie has no mappings left
	}
	kib, err = strconv.ParseInt(f[0], 10, 64)
	return kib, err == nil
}

// newFineTicker returns a timerfd that becomes readable every interval, or nil.
func newFineTicker(interval time.Duration) *os.File {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil
	}
	spec := unix.NsecToTimespec(interval.Nanoseconds())
	if err := unix.TimerfdSettime(fd, 0, &unix.ItimerSpec{Interval: spec, Value: spec}, nil); err != nil {
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), "timerfd") // non-blocking: reads park in the netpoller
}
