package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stashC keeps memory where no RSS shows it. It reads "MODE MIB PATH MILLIS" from stdin:
// memfd (kept open, never mapped), file (written to PATH, then closed), shm (a SysV segment,
// never mapped more than a MiB at a time), anon (malloc'd and touched), report (says what
// earlier tests left), then sleeps MILLIS and exits.
const stashC = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>
static void fill(int fd, long mib) {
	static char buf[1 << 16];
	memset(buf, 7, sizeof buf);
	for (long i = 0; i < mib * 16; i++) if (write(fd, buf, sizeof buf) != sizeof buf) { perror("write"); exit(3); }
}
static void report(const char *path) { printf("%s %s\n", path, access(path, F_OK) == 0 ? "here" : "gone"); }
int main(void) {
	char mode[16], path[256];
	long mib, millis;
	if (scanf("%15s %ld %255s %ld", mode, &mib, path, &millis) != 4) return 2;
	if (!strcmp(mode, "memfd")) {
		fill(memfd_create("stash", 0), mib);
	} else if (!strcmp(mode, "file")) {
		int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		if (fd < 0) { perror(path); return 3; }
		fill(fd, mib);
		close(fd);
	} else if (!strcmp(mode, "shm")) {
		/* Filled a MiB per attachment, so that no more than a MiB is ever mapped. */
		int id = shmget(IPC_PRIVATE, mib << 20, IPC_CREAT | 0600);
		if (id < 0) { perror("shmget"); return 3; }
		for (long i = 0; i < mib; i++) {
			char *p = shmat(id, 0, 0);
			if (p == (char *)-1) { perror("shmat"); return 3; }
			memset(p + (i << 20), 7, 1 << 20);
			shmdt(p);
		}
	} else if (!strcmp(mode, "anon")) {
		memset(malloc(mib << 20), 7, mib << 20);
	} else if (!strcmp(mode, "report")) {
		report("/tmp/coderun-stash"); report("/dev/shm/coderun-stash"); report("stash.bin");
		report("keep.txt"); report("built.txt");
		if (strcmp(path, "-")) report(path);
	}
	fflush(stdout);
	usleep(millis * 1000);
	return 0;
}`

// stashes are the ways to keep 100 MiB out of every process's RSS, each under a 32 MiB limit.
// The memfd lives only while its process does, so that program waits to be seen.
var stashes = []struct{ name, stdin string }{
	{"memfd kept as an fd, never mapped", "memfd 100 - 1000"},
	{"file in /tmp", "file 100 /tmp/coderun-stash 0"},
	{"file in /dev/shm", "file 100 /dev/shm/coderun-stash 0"},
	{"file in the work directory", "file 100 stash.bin 0"},
	{"SysV shared memory, detached", "shm 100 - 0"},
}

// assertUIDAlone fails the test, saying why, when the runner saw other processes of its uid
// (another session's runner, say) and so left /tmp, /dev/shm and SysV IPC alone.
func assertUIDAlone(t *testing.T, stderr string) {
	t.Helper()
	if !strings.Contains(stderr, "is the runner's alone") {
		t.Fatalf("the runner did not have uid %d to itself (the tests need it alone): %s", sandboxUID, stderr)
	}
}

func assertMemoryExceeded(t *testing.T, r testResult) {
	t.Helper()
	t.Logf("memoryKiB %d, limitExceeded %s, wall %d ms", r.MemoryKiB, str(r.LimitExceeded), r.WallTimeMillis)
	if str(r.LimitExceeded) != "memory" || r.MemoryKiB <= 32*1024 {
		t.Fatalf("limitExceeded %s memoryKiB %d (exit %s, stderr %q), want memory above the 32 MiB limit", str(r.LimitExceeded), r.MemoryKiB, num(r.ExitCode), r.Stderr)
	}
}

// stashPaths are where stashC's programs leave files outside the work directory.
var stashPaths = []string{"/tmp/coderun-stash", "/dev/shm/coderun-stash", "/tmp/coderun-compile-stash"}

// noStashesLeft removes what an earlier, failed, run may have left, and returns a check, for
// the end of the test, that the runner removed everything the programs left since.
func noStashesLeft(t *testing.T) func() {
	t.Helper()
	for _, p := range stashPaths {
		os.Remove(p)
	}
	before := sharedMemoryInUse(t)
	return func() {
		t.Helper()
		for _, p := range stashPaths {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s, left by a program, is still there (%v)", p, err)
			}
		}
		for _, id := range sharedMemoryInUse(t) {
			if !slices.Contains(before, id) {
				t.Errorf("SysV segment %s of a program outlived its job", id)
			}
		}
	}
}

// sharedMemoryInUse lists the SysV shared memory segments the sandbox uid created.
func sharedMemoryInUse(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/sysvipc/shm")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	cuid := -1
	for i, name := range strings.Fields(lines[0]) {
		if name == "cuid" {
			cuid = i
		}
	}
	var ids []string
	for _, line := range lines[1:] {
		if f := strings.Fields(line); cuid >= 0 && len(f) > cuid && f[cuid] == strconv.Itoa(sandboxUID) {
			ids = append(ids, f[1])
		}
	}
	return ids
}

func TestSharedMemoryCountsWithoutACgroup(t *testing.T) {
	if !isRoot() {
		t.Fatal("the runner counts /tmp, /dev/shm and SysV IPC only when it has its uid to itself: run the tests as root")
	}
	bin := compileC(t, "stash", stashC)
	defer noStashesLeft(t)()
	for _, s := range stashes {
		t.Run(s.name, func(t *testing.T) {
			inv := run(t, newWorkdir(t), singleTest([]string{bin}, s.stdin, defaultLimits().with("memoryMiB", 32, "fileSizeBytes", 1<<30)))
			assertUIDAlone(t, inv.stderr)
			if !strings.Contains(inv.stderr, "shared memory from a scan") {
				t.Fatalf("the runner did not scan for shared memory: %s", inv.stderr)
			}
			assertMemoryExceeded(t, inv.result.Tests[0])
			assertNothingLeft(t)
		})
	}
}

func TestWhatATestLeavesIsRemovedBeforeTheNextTest(t *testing.T) {
	if !isRoot() {
		t.Fatal("the runner sweeps /tmp, /dev/shm and SysV IPC only when it has its uid to itself: run the tests as root")
	}
	bin := compileC(t, "stash", stashC)
	defer noStashesLeft(t)()
	// The judge directory (a volume of its own in a pod) is as writable as /tmp.
	judgeStash := judgeDir + "/coderun-stash"
	leaves := []string{"file 8 /tmp/coderun-stash 0", "file 8 /dev/shm/coderun-stash 0", "file 8 stash.bin 0", "shm 8 - 0", "file 8 " + judgeStash + " 0"}
	var tests []any
	for i, stdin := range leaves {
		tests = append(tests, map[string]any{"name": strconv.Itoa(i), "stdin": stdin})
	}
	tests = append(tests, map[string]any{"name": "report", "stdin": "report 0 " + judgeStash + " 0"})
	inv := run(t, newWorkdir(t), map[string]any{
		"files":   []any{map[string]any{"path": "keep.txt", "content": "job file"}},
		"compile": map[string]any{"command": []string{"sh", "-c", "echo built > built.txt; echo x > /tmp/coderun-compile-stash"}},
		"run":     map[string]any{"command": []string{bin}},
		"tests":   tests,
		"limits":  defaultLimits().with("memoryMiB", 32, "fileSizeBytes", 1<<30),
	})
	assertUIDAlone(t, inv.stderr)
	res := inv.result
	if res.Error != nil || len(res.Tests) != len(tests) {
		t.Fatalf("error %s, %d results", str(res.Error), len(res.Tests))
	}
	for _, r := range res.Tests[:len(leaves)] {
		if r.LimitExceeded != nil || r.MemoryKiB < 8*1024 {
			t.Errorf("test %s: memoryKiB %d limitExceeded %s, want the 8 MiB it left counted, within the limit", r.Name, r.MemoryKiB, str(r.LimitExceeded))
		}
	}
	last := res.Tests[len(leaves)]
	want := "/tmp/coderun-stash gone\n/dev/shm/coderun-stash gone\nstash.bin gone\nkeep.txt here\nbuilt.txt here\n" + judgeStash + " gone\n"
	if last.Stdout != want {
		t.Errorf("the last test found:\n%s\nwant:\n%s", last.Stdout, want)
	}
	if last.MemoryKiB >= 8*1024 {
		t.Errorf("the last test was charged %d KiB: what earlier tests left counted against it", last.MemoryKiB)
	}
}

func TestShortRunsHaveAMeasuredPeak(t *testing.T) {
	// It lives about 2 ms, less than one poll interval; its true peak is about 1.2 MiB.
	bin := compileC(t, "hello", `#include <stdio.h>
#include <unistd.h>
int main(void) { puts("hello"); fflush(stdout); usleep(2000); return 0; }`)
	var tests []any
	for i := range 20 {
		tests = append(tests, map[string]any{"name": strconv.Itoa(i)})
	}
	res := run(t, newWorkdir(t), map[string]any{"run": map[string]any{"command": []string{bin}}, "tests": tests, "limits": defaultLimits()}).result
	var peaks []int64
	for _, r := range res.Tests {
		peaks = append(peaks, r.MemoryKiB)
	}
	t.Logf("memoryKiB of 20 runs: %v", peaks)
	missed := 0
	for _, r := range res.Tests {
		if r.Stdout != "hello\n" || r.MemoryKiB > 16*1024 {
			t.Fatalf("test %s: stdout %q memoryKiB %d, want hello and its peak of about a MiB", r.Name, r.Stdout, r.MemoryKiB)
		}
		if r.MemoryKiB < 512 {
			missed++
		}
	}
	// A runner kept off the CPU for the program's whole life (a loaded machine) cannot see it.
	if missed > 2 {
		t.Fatalf("%d of 20 runs have no measured peak, want at most 2", missed)
	}
}

// memoryCgroup makes a memory cgroup of its own for a runner (v1 beneath this process's, or
// v2 at the root), limited to limitMiB, and removes it after the test.
func memoryCgroup(t *testing.T, limitMiB int) string {
	t.Helper()
	if !isRoot() {
		t.Fatal("making a memory cgroup needs root")
	}
	name := fmt.Sprintf("coderun-test-%d", time.Now().UnixNano())
	var dir, limitFile string
	if self, err := os.ReadFile("/proc/self/cgroup"); err == nil && dirExists("/sys/fs/cgroup/memory") {
		for _, line := range strings.Split(string(self), "\n") {
			if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && strings.Contains(","+parts[1]+",", ",memory,") {
				dir = filepath.Join("/sys/fs/cgroup/memory", parts[2], name)
			}
		}
		limitFile = "memory.limit_in_bytes"
	} else if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		dir, limitFile = filepath.Join("/sys/fs/cgroup", name), "memory.max"
	}
	if dir == "" {
		t.Fatal("no cgroup v1 memory hierarchy and no cgroup v2 found")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond) // the last processes may still be leaving it
		}
	})
	if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(strconv.Itoa(limitMiB<<20)), 0); err != nil {
		t.Fatal(err)
	}
	return dir
}

func dirExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// runInContainer runs `runner run` the way a sandbox container does, in the cgroup cg (which holds
// nothing else) and in a mount namespace where /tmp, /dev/shm and the work directory are
// tmpfs, as a pod's emptyDirs of medium Memory are.
func runInContainer(t *testing.T, cg string, job []byte) invocation {
	t.Helper()
	if filepath.Dir(shareDir) != "/tmp" {
		t.Fatalf("this test moves a tmpfs onto /tmp and needs the test directory %s directly in /tmp", shareDir)
	}
	workdir := newWorkdir(t)
	uid := strconv.Itoa(sandboxUID)
	cpuCG := cpuacctCgroup(t)
	script := `set -e
echo $$ > "$CG/cgroup.procs"
if [ -n "$CPUCG" ]; then echo $$ > "$CPUCG/cgroup.procs"; fi
podtmp=$(mktemp -d "$SHARE/podtmp.XXXXXX")
mount -t tmpfs -o mode=1777 tmpfs "$podtmp"
mkdir "$podtmp/$(basename "$SHARE")"
mount --bind "$SHARE" "$podtmp/$(basename "$SHARE")"
mount --move "$podtmp" /tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkdir /tmp/mqueue
mount -t mqueue mqueue /tmp/mqueue
mount -t tmpfs -o mode=0755,uid=` + uid + `,gid=` + uid + ` tmpfs "$WORK"
exec setpriv --reuid ` + uid + ` --regid ` + uid + ` --clear-groups -- "$RUNNER" run --workdir "$WORK"`
	// A pod has an IPC namespace of its own, whose POSIX message queues its runtime mounts at
	// /dev/mqueue (here in the private /tmp, so that the host's /dev stays as it is).
	cmd := exec.Command("unshare", "--mount", "--ipc", "--propagation", "private", "--", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "CG="+cg, "CPUCG="+cpuCG, "SHARE="+shareDir, "WORK="+workdir, "RUNNER="+runnerBin)
	cmd.Stdin = bytes.NewReader(job)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runner in a pod-like setting: %v\nstderr: %s", err, stderr.String())
	}
	inv := invocation{stderr: stderr.String(), raw: stdout.String(), result: decodeResult(t, stdout.Bytes())}
	if !strings.Contains(inv.stderr, "shared memory from cgroup") {
		t.Fatalf("the runner did not take shared memory from its cgroup: %s", inv.stderr)
	}
	return inv
}

func TestSharedMemoryCountsFromTheContainersCgroup(t *testing.T) {
	stash := compileC(t, "stash", stashC)
	touch := compileC(t, "touch_mib", touchMiBC)
	for _, s := range stashes {
		t.Run(s.name, func(t *testing.T) {
			job, _ := json.Marshal(singleTest([]string{stash}, s.stdin, defaultLimits().with("memoryMiB", 32, "fileSizeBytes", 1<<30)))
			assertMemoryExceeded(t, runInContainer(t, memoryCgroup(t, 1024), job).result.Tests[0])
			assertNothingLeft(t)
		})
	}
	// Counting shared memory once per page keeps the measure exact for ordinary memory.
	t.Run("100 MiB touched", func(t *testing.T) {
		job, _ := json.Marshal(singleTest([]string{touch, "100", "100"}, "", defaultLimits()))
		r := runInContainer(t, memoryCgroup(t, 1024), job).result.Tests[0]
		if r.LimitExceeded != nil || r.MemoryKiB < 100*1024 || r.MemoryKiB > 110*1024 {
			t.Fatalf("memoryKiB %d limitExceeded %s, want 100 MiB plus a little", r.MemoryKiB, str(r.LimitExceeded))
		}
	})
}

func TestKernelOOMKillIsReportedAsMemory(t *testing.T) {
	stash := compileC(t, "stash", stashC)
	// The runner's limit (1 GiB) is far above the container's (64 MiB): the kernel acts first.
	lim := defaultLimits().with("memoryMiB", 1024)
	job, _ := json.Marshal(map[string]any{
		// A compiler driver that survives its cc1's death, as gcc does.
		"compile":       map[string]any{"command": []string{"sh", "-c", "echo 'anon 300 - 0' | " + stash + "; echo 'cc1 was killed' >&2; exit 1"}},
		"run":           map[string]any{"command": []string{stash}},
		"tests":         []any{map[string]any{"name": "t", "stdin": "anon 300 - 0"}},
		"limits":        lim,
		"compileLimits": lim,
	})
	res := runInContainer(t, memoryCgroup(t, 64), job).result
	if c := res.Compile; c == nil || num(c.ExitCode) != "1" || str(c.LimitExceeded) != "memory" {
		t.Fatalf("compile = %+v, want exit 1 with limitExceeded memory", res.Compile)
	}
	job, _ = json.Marshal(singleTest([]string{stash}, "anon 300 - 0", lim))
	r := runInContainer(t, memoryCgroup(t, 64), job).result.Tests[0]
	if num(r.Signal) != "9" || str(r.LimitExceeded) != "memory" {
		t.Fatalf("signal %s limitExceeded %s, want 9 and memory", num(r.Signal), str(r.LimitExceeded))
	}
	assertNothingLeft(t)
}
