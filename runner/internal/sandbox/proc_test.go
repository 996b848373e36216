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
	want := procStat{cpuTicks: 150 + 25 + 7 + 3, threads: 3, rssPages: 2560}
	if st != want {
		t.Fatalf("parsed %+v, want %+v", st, want)
	}
	if _, err := parseProcStat([]byte("12 (short) R 1 2")); err == nil {
		t.Fatal("a truncated stat line must be an error")
	}
}

func TestReadProcStatOfThisProcess(t *testing.T) {
	st, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.threads < 2 || st.rssPages <= 0 {
		t.Fatalf("stat of self = %+v, want the Go runtime's threads and some RSS", st)
	}
	if readHWMKiB(os.Getpid()) < st.rssPages*int64(os.Getpagesize())/1024 {
		t.Fatal("VmHWM is below the current RSS")
	}
}

func TestTasksOfUserCountsThreads(t *testing.T) {
	self, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	n, err := tasksOfUser(os.Getuid())
	if err != nil {
		t.Fatal(err)
	}
	// This test process alone has several threads; the uid may have other processes too.
	if n < uint64(self.threads) {
		t.Fatalf("tasksOfUser = %d, want at least this process's %d threads", n, self.threads)
	}
	if n, _ := tasksOfUser(64999); n != 0 {
		t.Fatalf("an unused uid has %d tasks", n)
	}
}
