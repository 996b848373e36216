package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"
)

// guardFIFOC calls pidfd_send_signal on a plain directory whose entry "status" is a FIFO,
// from a child, and on /proc/self (which must still work), from the main process.
const guardFIFOC = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
	mkdir("d", 0755);
	mkfifo("d/status", 0644);
	int fd = open("d", O_RDONLY | O_DIRECTORY);
	pid_t p = fork();
	if (p == 0) {
		long r = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0);
		printf("fifo directory: %s\n", r < 0 ? strerrorname_np(errno) : "ok");
		return 0;
	}
	int st;
	waitpid(p, &st, 0);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", (int)p);
	pid_t q = fork();
	if (q == 0) { pause(); return 0; }
	snprintf(path, sizeof path, "/proc/%d", (int)q);
	int pfd = open(path, O_RDONLY | O_DIRECTORY);
	long r = syscall(SYS_pidfd_send_signal, pfd, 15, NULL, 0);
	printf("proc directory of a child: %s\n", r < 0 ? strerrorname_np(errno) : "ok");
	waitpid(q, &st, 0);
	printf("child ended by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}`

func TestGuardDoesNotBlockOnAFIFOInAFakeProcessDirectory(t *testing.T) {
	bin := compileC(t, "guard_fifo", guardFIFOC)
	r := runWithin(t, singleTest([]string{bin}, "", defaultLimits()), 15*time.Second, "a guard blocked on the FIFO never gives a result")
	want := "fifo directory: EBADF\nproc directory of a child: ok\nchild ended by signal 15\n"
	if num(r.ExitCode) != "0" || r.Stdout != want {
		t.Fatalf("exitCode %s stdout:\n%s\nwant:\n%s", num(r.ExitCode), r.Stdout, want)
	}
	assertNothingLeft(t)
}

// runWithin runs a single-test job like onlyTest, but fails the test (saying why) if the
// runner gives no result within d.
func runWithin(t *testing.T, job any, d time.Duration, why string) testResult {
	t.Helper()
	data, _ := json.Marshal(job)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, runnerBin, "run", "--workdir", newWorkdir(t))
	asSandboxUser(cmd)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runner: %v (%s)\nstderr: %s", err, why, stderr.String())
	}
	return decodeResult(t, stdout.Bytes()).Tests[0]
}

// fifoSwapC swaps a directory and a FIFO (RENAME_EXCHANGE) as fast as it can for a second:
// a scan that saw a directory and opens the name then finds the FIFO.
const fifoSwapC = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
int main(void) {
	mkdir("d", 0755); mkdir("d/x", 0755); mkfifo("f", 0644);
	time_t t0 = time(0);
	long n = 0;
	while (time(0) - t0 < 2) { syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "f", RENAME_EXCHANGE); n++; }
	printf("swapped\n");
	return 0;
}`

func TestScanDoesNotBlockOnAFIFOSwappedForADirectory(t *testing.T) {
	bin := compileC(t, "fifo_swap", fifoSwapC)
	r := runWithin(t, singleTest([]string{bin}, "", defaultLimits()), 20*time.Second, "a scan blocked on the FIFO never gives a result")
	if num(r.ExitCode) != "0" || r.Stdout != "swapped\n" {
		t.Fatalf("exitCode %s limitExceeded %s stdout %q", num(r.ExitCode), str(r.LimitExceeded), r.Stdout)
	}
	assertNothingLeft(t)
}
