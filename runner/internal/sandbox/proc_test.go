package sandbox

import (
	"os"
	"testing"
)

func TestParseProcStatCountsFieldsAfterTheName(t *testing.T) {
	// A command name with spaces and parentheses, as a hostile program may choose.
	line := "4242 (evil) (name) S 4000 4242 4242 0 -1 4194560 300 0 0 0 150 25 7 3 20 0 3 0 98765 10000000 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	st, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{cpuTicks: 150 + 25 + 7 + 3, threads: 3, state: 'S', ppid: 4000, started: 98765}
	if st != want {
		t.Fatalf("parsed %+v, want %+v", st, want)
	}
	if _, err := parseProcStat([]byte("12 (short) R 1 2")); err == nil {
		t.Fatal("a truncated stat line must be an error")
	}
}

func TestParseProcMemorySeparatesSharedMemory(t *testing.T) {
	status := "Name:\tVmHWM: trick\nVmPeak:\t  20000 kB\nVmHWM:\t   9000 kB\nVmRSS:\t   8000 kB\nRssAnon:\t   5000 kB\nRssFile:\t   1000 kB\nRssShmem:\t   2000 kB\nThreads:\t1\n"
	m, ok := parseProcMemory([]byte(status))
	if want := (procMemory{rssKiB: 6000, shmemKiB: 2000, hwmKiB: 9000}); !ok || m != want {
		t.Fatalf("parsed %+v %v, want %+v", m, ok, want)
	}
	zombie := "Name:\tmain\nState:\tZ (zombie)\nThreads:\t1\n"
	if _, ok := parseProcMemory([]byte(zombie)); ok {
		t.Fatal("a zombie has no memory to report")
	}
}

func TestReadProcMemoryOfThisProcess(t *testing.T) {
	m, ok := readProcMemory(os.Getpid())
	if !ok || m.rssKiB <= 0 || m.hwmKiB < m.rssKiB+m.shmemKiB {
		t.Fatalf("memory of self = %+v %v, want some RSS and a peak at least as large", m, ok)
	}
}

func TestTasksOfUserCountsThreads(t *testing.T) {
	self, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := tasksOfUser(os.Getuid())
	if err != nil {
		t.Fatal(err)
	}
	// This test process alone has several threads; the uid may have other processes too.
	if n < uint64(self.threads) {
		t.Fatalf("tasksOfUser = %d, want at least this process's %d threads", n, self.threads)
	}
	// The go command that runs this test is another process of the same uid.
	if _, strangers, _ := tasksOfUser(os.Getuid()); strangers == 0 {
		t.Fatal("tasksOfUser found no process of this uid besides this one")
	}
	if n, strangers, _ := tasksOfUser(64999); n != 0 || strangers != 0 {
		t.Fatalf("an unused uid has %d tasks in %d processes", n, strangers)
	}
}
