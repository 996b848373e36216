package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cpuacctCgroup makes, on cgroup v1, a cpuacct cgroup of its own for a runner (beneath this
// process's), as a container has; on v2 the memory cgroup is the same one, and it returns "".
func cpuacctCgroup(t *testing.T) string {
	t.Helper()
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(self), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.Contains(","+parts[1]+",", ",cpuacct,") {
			continue
		}
		for _, mnt := range []string{"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu,cpuacct"} {
			if !dirExists(mnt) {
				continue
			}
			dir := filepath.Join(mnt, parts[2], fmt.Sprintf("coderun-test-%d", time.Now().UnixNano()))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
					time.Sleep(20 * time.Millisecond)
				}
			})
			return dir
		}
	}
	return ""
}

// autoReapC forks, for as long as argv[1] seconds, short busy children that the kernel reaps
// itself (SIGCHLD ignored): their CPU time reaches no one's rusage, and each lives less than
// the runner's poll.
const autoReapC = `
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
static double clk(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
	double secs = atof(argv[1]);
	signal(SIGCHLD, SIG_IGN);
	double t0 = clk(CLOCK_MONOTONIC);
	while (clk(CLOCK_MONOTONIC) - t0 < secs) {
		for (int i = 0; i < 2; i++)
			if (fork() == 0) {
				double c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
				volatile unsigned long x = 0;
				while (clk(CLOCK_PROCESS_CPUTIME_ID) - c0 < 0.002) x++;
				_exit(0);
			}
		while (waitpid(-1, 0, 0) > 0) {}
	}
	return 0;
}`

func TestCPUOfChildrenTheKernelReapsCountsInAContainer(t *testing.T) {
	bin := compileC(t, "autoreap", autoReapC)
	job, _ := json.Marshal(singleTest([]string{bin, "6"}, "", defaultLimits().with("cpuTimeMillis", 1000, "wallTimeMillis", 8000, "processes", 64)))
	inv := runInContainer(t, memoryCgroup(t, 1024), job)
	if !strings.Contains(inv.stderr, "runner: cpu: from cgroup") {
		t.Fatalf("the runner did not take CPU time from its cgroup: %s", inv.stderr)
	}
	r := inv.result.Tests[0]
	t.Logf("cpuTimeMillis %d wallTimeMillis %d", r.CPUTimeMillis, r.WallTimeMillis)
	if str(r.LimitExceeded) != "cpuTime" || r.CPUTimeMillis < 900 || r.CPUTimeMillis > 1300 {
		t.Fatalf("limitExceeded %s cpuTimeMillis %d, want cpuTime near 1000", str(r.LimitExceeded), r.CPUTimeMillis)
	}
	assertNothingLeft(t)
}

func TestCPUFromTheCgroupKeepsOrdinaryProgramsExact(t *testing.T) {
	busy := compileC(t, "busy", busyLoopC)
	job, _ := json.Marshal(singleTest([]string{busy}, "", defaultLimits().with("cpuTimeMillis", 1000, "wallTimeMillis", 8000)))
	r := runInContainer(t, memoryCgroup(t, 1024), job).result.Tests[0]
	// At least the limit: a program stopped for CPU time is never reported under it (the kill
	// does not count the shim's own CPU before its exec, which the report leaves out).
	if str(r.LimitExceeded) != "cpuTime" || r.CPUTimeMillis < 1000 || r.CPUTimeMillis > 1100 {
		t.Fatalf("limitExceeded %s cpuTimeMillis %d, want cpuTime from 1000 to 10%% above", str(r.LimitExceeded), r.CPUTimeMillis)
	}
	hello := compileC(t, "hello", `#include <stdio.h>
int main(void) { puts("hi"); return 0; }`)
	job, _ = json.Marshal(singleTest([]string{hello}, "", defaultLimits()))
	r = runInContainer(t, memoryCgroup(t, 1024), job).result.Tests[0]
	if r.LimitExceeded != nil || r.CPUTimeMillis > 50 {
		t.Fatalf("limitExceeded %s cpuTimeMillis %d, want a few ms for hello", str(r.LimitExceeded), r.CPUTimeMillis)
	}
}
