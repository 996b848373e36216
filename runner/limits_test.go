package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const busyLoopC = `int main(void) { volatile unsigned long n = 0; for (;;) n++; }`

func TestCPUTimeLimitStopsBusyLoopWithinTenPercent(t *testing.T) {
	bin := compileC(t, "busy", busyLoopC)
	// 1500 ms is not a whole number of seconds: RLIMIT_CPU alone could not stop it there.
	for _, limit := range []int{1000, 1500} {
		t.Run(strconv.Itoa(limit)+"ms", func(t *testing.T) {
			r := onlyTest(t, []string{bin}, "", defaultLimits().with("cpuTimeMillis", limit, "wallTimeMillis", 20000))
			if str(r.LimitExceeded) != "cpuTime" {
				t.Fatalf("limitExceeded = %s, want cpuTime", str(r.LimitExceeded))
			}
			t.Logf("cpuTimeMillis %d under a %d ms limit (wall %d ms)", r.CPUTimeMillis, limit, r.WallTimeMillis)
			low, high := int64(limit)*9/10, int64(limit)*11/10
			if r.CPUTimeMillis < low || r.CPUTimeMillis > high {
				t.Fatalf("cpuTimeMillis = %d, want within 10%% of %d", r.CPUTimeMillis, limit)
			}
			assertNothingLeft(t)
		})
	}
}

func TestCPUTimeCountsEveryProcessOfTheTree(t *testing.T) {
	bin := compileC(t, "busy_tree", `
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
	for (int i = 0; i < 2; i++) if (fork() == 0) { volatile unsigned long n = 0; for (;;) n++; }
	for (;;) wait(0);
}`)
	r := onlyTest(t, []string{bin}, "", defaultLimits().with("cpuTimeMillis", 1000, "wallTimeMillis", 20000))
	if str(r.LimitExceeded) != "cpuTime" {
		t.Fatalf("limitExceeded = %s, want cpuTime", str(r.LimitExceeded))
	}
	if r.CPUTimeMillis < 900 || r.CPUTimeMillis > 1100 {
		t.Fatalf("cpuTimeMillis = %d, want the two children's time summed to within 10%% of 1000", r.CPUTimeMillis)
	}
	assertNothingLeft(t)
}

// daemonC double-forks a grandchild into its own session (out of the program's process
// group), prints the grandchild's pid on stderr, and then does what mainAction says.
func daemonC(mainAction string) string {
	return `
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
	int fds[2];
	pipe(fds);
	pid_t child = fork();
	if (child == 0) {
		setsid();
		if (fork() == 0) {
			pid_t self = getpid();
			write(fds[1], &self, sizeof self);
			for (;;) pause();
		}
		_exit(0);
	}
	waitpid(child, 0, 0);
	pid_t grandchild;
	read(fds[0], &grandchild, sizeof grandchild);
	fprintf(stderr, "grandchild %d\n", grandchild);
	usleep(20000);
	` + mainAction + `
}`
}

// assertGrandchildGone reads the pid the program reported and checks it no longer runs.
func assertGrandchildGone(t *testing.T, r testResult) {
	t.Helper()
	var pid int
	if _, err := fmt.Sscanf(r.Stderr, "grandchild %d", &pid); err != nil {
		t.Fatalf("the grandchild did not start: stderr %q", r.Stderr)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err == nil && strings.Contains(string(cmdline), "daemon") && !isZombie(pid) {
		t.Fatalf("the double-forked grandchild %d is still running after the result", pid)
	}
	assertNothingLeft(t)
}

func TestWallTimeKillsTheWholeTreeIncludingADaemonizedGrandchild(t *testing.T) {
	bin := compileC(t, "daemon_sleeper", daemonC(`for (;;) pause();`))
	inv := run(t, newWorkdir(t), singleTest([]string{bin}, "", defaultLimits().with("wallTimeMillis", 1000)))
	r := inv.result.Tests[0]
	if str(r.LimitExceeded) != "wallTime" {
		t.Fatalf("limitExceeded = %s, want wallTime", str(r.LimitExceeded))
	}
	if r.WallTimeMillis < 1000 || r.WallTimeMillis > 1500 {
		t.Fatalf("wallTimeMillis = %d, want about 1000", r.WallTimeMillis)
	}
	if num(r.Signal) != "9" {
		t.Fatalf("signal = %s, want 9 (SIGKILL)", num(r.Signal))
	}
	assertGrandchildGone(t, r)
}

func TestBackgroundProcessesDieWhenTheMainProcessExits(t *testing.T) {
	bin := compileC(t, "daemon_leaver", daemonC(`puts("done"); return 0;`))
	inv := run(t, newWorkdir(t), singleTest([]string{bin}, "", defaultLimits().with("wallTimeMillis", 10000)))
	r := inv.result.Tests[0]
	if num(r.ExitCode) != "0" || r.LimitExceeded != nil || r.Stdout != "done\n" {
		t.Fatalf("got exitCode %s limitExceeded %s stdout %q, want a clean exit printing done", num(r.ExitCode), str(r.LimitExceeded), r.Stdout)
	}
	if inv.elapsed > 3*time.Second {
		t.Fatalf("the result took %v: the runner waited for the background process instead of killing it", inv.elapsed)
	}
	assertGrandchildGone(t, r)
}

const touchMiBC = `
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
	long mib = atol(argv[1]);
	for (long i = 0; i < mib; i++) memset(malloc(1 << 20), 1, 1 << 20);
	if (argc > 2) usleep(atoi(argv[2]) * 1000);
	return 0;
}`

func TestMemoryLimitStopsOneGiBAllocation(t *testing.T) {
	bin := compileC(t, "touch_mib", touchMiBC)
	r := onlyTest(t, []string{bin, "1024"}, "", defaultLimits().with("memoryMiB", 256, "wallTimeMillis", 20000))
	if str(r.LimitExceeded) != "memory" {
		t.Fatalf("limitExceeded = %s, want memory", str(r.LimitExceeded))
	}
	t.Logf("stopped at memoryKiB %d", r.MemoryKiB)
	if r.MemoryKiB < 256*1024 || r.MemoryKiB > 512*1024 {
		t.Fatalf("memoryKiB = %d, want just over the 256 MiB limit", r.MemoryKiB)
	}
	assertNothingLeft(t)
}

func TestPeakMemoryIsMeasuredForEveryRun(t *testing.T) {
	bin := compileC(t, "touch_mib", touchMiBC)
	cases := []struct {
		name string
		argv []string
	}{
		{"exits at once", []string{bin, "100"}},
		{"lingers", []string{bin, "100", "100"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := onlyTest(t, c.argv, "", defaultLimits())
			if r.LimitExceeded != nil || num(r.ExitCode) != "0" {
				t.Fatalf("limitExceeded %s exitCode %s, want a clean run", str(r.LimitExceeded), num(r.ExitCode))
			}
			if r.MemoryKiB < 100*1024 || r.MemoryKiB > 110*1024 {
				t.Fatalf("memoryKiB = %d, want 100 MiB of touched memory plus a little", r.MemoryKiB)
			}
		})
	}
}

// The memory limit must not be an address-space limit: the JVM and the Go runtime reserve far
// more virtual memory than they use, and would fail to start under RLIMIT_AS.
func TestGoAndJavaRunUnderA256MiBLimit(t *testing.T) {
	goSrc := filepath.Join(shareDir, "gomem")
	if err := os.MkdirAll(goSrc, 0o755); err != nil {
		t.Fatal(err)
	}
	prog := `package main

import "fmt"

func main() {
	buf := make([][]byte, 0)
	for i := 0; i < 64; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(i)
		}
		buf = append(buf, b)
	}
	fmt.Println("allocated", len(buf), "MiB")
}
`
	if err := os.WriteFile(filepath.Join(goSrc, "main.go"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(goSrc, "go.mod"), []byte("module gomem\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goBin := filepath.Join(shareDir, "gomem-bin")
	build := exec.Command("go", "build", "-o", goBin, ".")
	build.Dir = goSrc
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("java is needed for this test: %v", err)
	}
	cases := []struct {
		name      string
		argv      []string
		processes int // the JVM starts a few dozen threads, and threads count as tasks
		want      string
	}{
		{"go program allocating 64 MiB", []string{goBin}, 16, "allocated 64 MiB"},
		{"java -version", []string{java, "-version"}, 64, "version"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := onlyTest(t, c.argv, "", defaultLimits().with("memoryMiB", 256, "processes", c.processes, "wallTimeMillis", 20000, "cpuTimeMillis", 10000))
			if num(r.ExitCode) != "0" || r.LimitExceeded != nil {
				t.Fatalf("exitCode %s signal %s limitExceeded %s, want success\nstdout: %s\nstderr: %s", num(r.ExitCode), num(r.Signal), str(r.LimitExceeded), r.Stdout, r.Stderr)
			}
			if !strings.Contains(r.Stdout+r.Stderr, c.want) {
				t.Fatalf("output lacks %q\nstdout: %s\nstderr: %s", c.want, r.Stdout, r.Stderr)
			}
			t.Logf("memoryKiB %d", r.MemoryKiB)
			if r.MemoryKiB <= 0 || r.MemoryKiB > 256*1024 {
				t.Fatalf("memoryKiB = %d, want a measured peak under the limit", r.MemoryKiB)
			}
		})
	}
}

func TestForkBombIsContained(t *testing.T) {
	bin := compileC(t, "forkbomb", `
#include <unistd.h>
int main(void) { for (;;) fork(); }`)
	start := time.Now()
	r := onlyTest(t, []string{bin}, "", defaultLimits().with("processes", 16, "cpuTimeMillis", 2000, "wallTimeMillis", 3000))
	if str(r.LimitExceeded) != "processes" {
		t.Fatalf("limitExceeded = %s, want processes", str(r.LimitExceeded))
	}
	if elapsed := time.Since(start); elapsed > 8*time.Second {
		t.Fatalf("the fork bomb took %v to contain", elapsed)
	}
	assertNothingLeft(t)
	// The machine is still healthy: a new process starts at once.
	probe := time.Now()
	if err := exec.Command("true").Run(); err != nil {
		t.Fatalf("cannot start a process after the fork bomb: %v", err)
	}
	if d := time.Since(probe); d > time.Second {
		t.Fatalf("starting a process took %v after the fork bomb", d)
	}
}

func TestProcessLimitAllowsExactlyTheConfiguredNumberOfTasks(t *testing.T) {
	// Forks argv[1] children that stay alive, lets the runner see them, and prints how many
	// forks succeeded.
	bin := compileC(t, "fork_n", `
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int want = atoi(argv[1]), n = 0;
	for (int i = 0; i < want; i++) {
		pid_t p = fork();
		if (p < 0) break;
		if (p == 0) { pause(); _exit(0); }
		n++;
	}
	usleep(100000);
	printf("%d\n", n);
	return 0;
}`)
	// processes=10: the program itself and 9 children fit, a 10th child does not.
	within := onlyTest(t, []string{bin, "9"}, "", defaultLimits().with("processes", 10))
	if within.Stdout != "9\n" || num(within.ExitCode) != "0" || within.LimitExceeded != nil {
		t.Fatalf("9 children under processes=10: stdout %q exitCode %s limitExceeded %s, want 9, 0, null", within.Stdout, num(within.ExitCode), str(within.LimitExceeded))
	}
	over := onlyTest(t, []string{bin, "10"}, "", defaultLimits().with("processes", 10))
	if str(over.LimitExceeded) != "processes" {
		t.Fatalf("10 children under processes=10: limitExceeded %s, want processes", str(over.LimitExceeded))
	}
	assertNothingLeft(t)
}

func TestProcessLimitHoldsWhenTheProgramExitsOnARefusedFork(t *testing.T) {
	// Forks until the kernel refuses (RLIMIT_NPROC, above the limit) and exits at once with 1,
	// most likely before the runner's next poll: the children it leaves still show the limit.
	bin := compileC(t, "fork_until_refused", `
#include <unistd.h>
int main(void) {
	for (;;) {
		pid_t p = fork();
		if (p < 0) return 1;
		if (p == 0) { pause(); _exit(0); }
	}
}`)
	for i := 0; i < 5; i++ {
		r := onlyTest(t, []string{bin}, "", defaultLimits().with("processes", 8))
		if str(r.LimitExceeded) != "processes" {
			t.Fatalf("attempt %d: exitCode %s limitExceeded %s, want processes", i, num(r.ExitCode), str(r.LimitExceeded))
		}
		assertNothingLeft(t)
	}
}

func TestOutputLimitCutsAnInfinitePrinterAndTheRunnerStaysSmall(t *testing.T) {
	bin := compileC(t, "printer", `
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
	FILE *out = argc > 1 ? stderr : stdout;
	char buf[4096];
	memset(buf, 'x', sizeof buf);
	for (;;) fwrite(buf, 1, sizeof buf, out);
}`)
	for _, stream := range []string{"stdout", "stderr"} {
		t.Run(stream, func(t *testing.T) {
			argv := []string{bin}
			if stream == "stderr" {
				argv = append(argv, "err")
			}
			inv := run(t, newWorkdir(t), singleTest(argv, "", defaultLimits().with("outputBytes", 65536)))
			r := inv.result.Tests[0]
			if str(r.LimitExceeded) != "output" {
				t.Fatalf("limitExceeded = %s, want output", str(r.LimitExceeded))
			}
			text, truncated := r.Stdout, r.StdoutTruncated
			if stream == "stderr" {
				text, truncated = r.Stderr, r.StderrTruncated
			}
			if len(text) != 65536 || !truncated || strings.Trim(text, "x") != "" {
				t.Fatalf("%s has %d bytes (truncated %v), want exactly the first 65536 bytes", stream, len(text), truncated)
			}
			t.Logf("the runner's peak RSS: %d KiB", inv.maxRSS)
			if inv.maxRSS > 64*1024 {
				t.Fatalf("the runner's peak RSS was %d KiB, want under 64 MiB", inv.maxRSS)
			}
			assertNothingLeft(t)
		})
	}
}

func TestFileSizeLimitStopsAWriterAndIsReported(t *testing.T) {
	// A child writes; the main process reports the file's size, then dies of the child's
	// signal (the work directory is restored after the test, so only the program can see it).
	bin := compileC(t, "writer", `
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
	if (fork() == 0) {
		FILE *f = fopen("big.bin", "w");
		char buf[65536];
		memset(buf, 'y', sizeof buf);
		for (int i = 0; i < 32; i++) { fwrite(buf, 1, sizeof buf, f); fflush(f); }
		fclose(f);
		return 0;
	}
	int status;
	wait(&status);
	struct stat st;
	stat("big.bin", &st);
	printf("%ld\n", (long)st.st_size);
	fflush(stdout);
	if (WIFSIGNALED(status)) raise(WTERMSIG(status));
	return 0;
}`)
	inv := run(t, newWorkdir(t), singleTest([]string{bin}, "", defaultLimits().with("fileSizeBytes", 1<<20)))
	r := inv.result.Tests[0]
	if str(r.LimitExceeded) != "fileSize" || num(r.Signal) != strconv.Itoa(int(syscall.SIGXFSZ)) {
		t.Fatalf("limitExceeded %s signal %s, want fileSize and SIGXFSZ", str(r.LimitExceeded), num(r.Signal))
	}
	if r.Stdout != "1048576\n" {
		t.Fatalf("big.bin has %q bytes, want it stopped at the 1 MiB limit", r.Stdout)
	}
}

func TestExitCodesAndSignalsAreReported(t *testing.T) {
	segv := compileC(t, "segv", `int main(void) { *(volatile int *)0 = 1; return 0; }`)
	cases := []struct {
		name          string
		argv          []string
		exitCode, sig string
	}{
		{"exit 3", []string{"sh", "-c", "exit 3"}, "3", "<null>"},
		{"segfault", []string{segv}, "<null>", "11"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := onlyTest(t, c.argv, "", defaultLimits())
			if num(r.ExitCode) != c.exitCode || num(r.Signal) != c.sig || r.LimitExceeded != nil {
				t.Fatalf("exitCode %s signal %s limitExceeded %s, want %s %s null", num(r.ExitCode), num(r.Signal), str(r.LimitExceeded), c.exitCode, c.sig)
			}
		})
	}
}

func TestTenMiBOfStdinIsDeliveredWhole(t *testing.T) {
	bin := compileC(t, "stdin_sum", `
#include <stdio.h>
int main(void) {
	unsigned long long n = 0, h = 1469598103934665603ULL;
	int c;
	while ((c = getchar()) != EOF) { n++; h = (h ^ (unsigned char)c) * 1099511628211ULL; }
	printf("%llu %llu\n", n, h);
	return 0;
}`)
	var b strings.Builder
	for i := 0; b.Len() < 10<<20; i++ {
		fmt.Fprintf(&b, "%d line of input\n", i)
	}
	input := b.String()[:10<<20]
	h := uint64(1469598103934665603)
	for i := 0; i < len(input); i++ {
		h = (h ^ uint64(input[i])) * 1099511628211
	}
	r := onlyTest(t, []string{bin}, input, defaultLimits())
	if want := fmt.Sprintf("%d %d\n", len(input), h); r.Stdout != want {
		t.Fatalf("the program saw %q, want %q", r.Stdout, want)
	}
}

func TestProgramCannotReachIntoTheRunner(t *testing.T) {
	// The program's parent is the runner, running as the same uid.
	bin := compileC(t, "reach_runner", `
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
	pid_t runner = getppid();
	printf("attach %s\n", ptrace(PTRACE_ATTACH, runner, 0, 0) == 0 ? "ok" : "denied");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", runner);
	printf("mem %s\n", open(path, O_RDWR) >= 0 ? "ok" : "denied");
	/* Signal 0 only probes: the filter refuses these whatever the signal would be. */
	printf("kill %s\n", kill(runner, 0) == 0 ? "ok" : "denied");
	printf("kill all %s\n", kill(-1, 0) == 0 ? "ok" : "denied");
	printf("tgkill %s\n", syscall(SYS_tgkill, runner, runner, 0) == 0 ? "ok" : "denied");
	printf("own group %s\n", kill(0, 0) == 0 ? "ok" : "denied");
	return 0;
}`)
	r := onlyTest(t, []string{bin}, "", defaultLimits())
	if r.Stdout != "attach denied\nmem denied\nkill denied\nkill all denied\ntgkill denied\nown group ok\n" {
		t.Fatalf("the program could reach into the runner:\n%s", r.Stdout)
	}
}
