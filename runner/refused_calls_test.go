package main_test

import (
	"strings"
	"testing"
)

// refusedC tries the calls that hide memory from the runner or keep it from the program's
// /proc files, and a few that must keep working, and prints how each went.
const refusedC = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
static void show(const char *what, long r) { printf("%s %s\n", what, r < 0 ? strerrorname_np(errno) : "ok"); }
int main(void) {
	int pf[2];
	static char page[4096] __attribute__((aligned(4096)));
	if (pipe(pf)) return 2;
	struct iovec io = { page, sizeof page };
	show("vmsplice", vmsplice(pf[1], &io, 1, 0));
	show("memfd_secret", syscall(SYS_memfd_secret, 0));
	show("set_dumpable", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
	printf("dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	show("set_name", prctl(PR_SET_NAME, (unsigned long)"judged", 0, 0, 0));
	show("splice_write", write(pf[1], "x", 1));
	return 0;
}`

func TestCallsThatHideMemoryOrTheProgramAreRefused(t *testing.T) {
	bin := compileC(t, "refused", refusedC)
	r := onlyTest(t, []string{bin}, "", defaultLimits())
	want := "vmsplice EPERM\nmemfd_secret EPERM\nset_dumpable EPERM\ndumpable 1\nset_name ok\nsplice_write ok\n"
	if r.Stdout != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s(stderr %s)", r.Stdout, want, strings.TrimSpace(r.Stderr))
	}
}
