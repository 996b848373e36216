package main_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// hoardC keeps memory in the kernel, where no process's RSS shows it. It reads "MODE MIB":
// pipe (filled pipes), unix (filled AF_UNIX socket pairs), msg (filled SysV message queues),
// or nofile (prints RLIMIT_NOFILE); it prints how much it stashed and sleeps a second.
const hoardC = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
static char buf[1 << 16];
static long fill(int fd) {
	long n = 0, w;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((w = write(fd, buf, sizeof buf)) > 0 || (w < 0 && (w = write(fd, buf, 512)) > 0)) n += w;
	return n;
}
int main(void) {
	char mode[16];
	long mib, total = 0;
	if (scanf("%15s %ld", mode, &mib) != 2) return 2;
	memset(buf, 7, sizeof buf);
	long want = mib << 20;
	if (!strcmp(mode, "nofile")) {
		struct rlimit r;
		getrlimit(RLIMIT_NOFILE, &r);
		printf("%ld %ld\n", (long)r.rlim_cur, (long)r.rlim_max);
		return 0;
	}
	while (total < want) {
		if (!strcmp(mode, "pipe")) {
			int p[2];
			if (pipe(p) != 0) break;
			fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
			total += fill(p[1]);
		} else if (!strcmp(mode, "unix")) {
			int s[2];
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0) break;
			total += fill(s[0]) + fill(s[1]);
		} else if (!strcmp(mode, "msg")) {
			int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
			if (q < 0) break;
			struct { long type; char text[8192]; } m = {1};
			for (int i = 0; i < 2 && msgsnd(q, &m, sizeof m.text, IPC_NOWAIT) == 0; i++) total += sizeof m.text;
		} else return 2;
	}
	printf("stashed %ld MiB\n", total >> 20);
	fflush(stdout);
	sleep(1);
	return 0;
}`

var hoards = []struct{ name, stdin string }{
	{"pipe buffers", "pipe 200"},
	{"AF_UNIX socket buffers", "unix 200"},
	{"SysV message queues", "msg 200"},
}

func TestKernelMemoryCountsFromTheContainersCgroup(t *testing.T) {
	bin := compileC(t, "hoard", hoardC)
	for _, h := range hoards {
		t.Run(h.name, func(t *testing.T) {
			job, _ := json.Marshal(singleTest([]string{bin}, h.stdin, defaultLimits().with("memoryMiB", 32)))
			inv := runInContainer(t, memoryCgroup(t, 1024), job)
			if !strings.Contains(inv.stderr, "kernel memory memory.") {
				t.Fatalf("the runner does not count kernel memory from its cgroup: %s", inv.stderr)
			}
			assertMemoryExceeded(t, inv.result.Tests[0])
			assertNothingLeft(t)
		})
	}
}

func TestMessageQueuesCountWithoutACgroup(t *testing.T) {
	if !isRoot() {
		t.Fatal("the runner counts SysV IPC only when it has its uid to itself: run the tests as root")
	}
	bin := compileC(t, "hoard", hoardC)
	inv := run(t, newWorkdir(t), singleTest([]string{bin}, "msg 200", defaultLimits().with("memoryMiB", 32)))
	assertUIDAlone(t, inv.stderr)
	assertMemoryExceeded(t, inv.result.Tests[0])
	assertNothingLeft(t)
}

func TestOpenFilesAreBounded(t *testing.T) {
	bin := compileC(t, "hoard", hoardC)
	r := onlyTest(t, []string{bin}, "nofile 0", defaultLimits())
	if r.Stdout != "512 512\n" {
		t.Fatalf("RLIMIT_NOFILE soft and hard are %q, want 512 512", r.Stdout)
	}
}

func TestAProgramCannotLowerItsOOMScoreForLong(t *testing.T) {
	// The shell lowers its own score (as far as the kernel lets it without privilege), waits
	// for a few of the runner's polls, and reports what it has.
	r := onlyTest(t, []string{"sh", "-c", "echo 0 > /proc/$$/oom_score_adj && cat /proc/$$/oom_score_adj && sleep 0.1 && cat /proc/$$/oom_score_adj"}, "", defaultLimits())
	if r.Stdout != "0\n1000\n" {
		t.Fatalf("the program's oom_score_adj, lowered then after 100 ms: %q (stderr %q), want 0 then 1000", r.Stdout, r.Stderr)
	}
}
