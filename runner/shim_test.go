package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestShimSetsHardLimitsTheProgramCannotRaise runs the shim directly, without the runner's
// watching, to show that the kernel itself holds the program: hard rlimits it cannot raise,
// RLIMIT_NPROC stopping forks, no_new_privs and a seccomp filter in force.
func TestShimSetsHardLimitsTheProgramCannotRaise(t *testing.T) {
	bin := compileC(t, "show_limits", `
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
int main(void) {
	int res[] = {RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_CPU, RLIMIT_CORE};
	const char *names[] = {"nproc", "fsize", "cpu", "core"};
	for (int i = 0; i < 4; i++) {
		struct rlimit r;
		getrlimit(res[i], &r);
		printf("%s %llu %llu", names[i], (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
		r.rlim_cur = r.rlim_max = RLIM_INFINITY;
		printf(" raise=%s\n", setrlimit(res[i], &r) == 0 ? "ok" : "denied");
	}
	printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	int n = 0;
	for (int i = 0; i < 100; i++) {
		pid_t p = fork();
		if (p < 0) break;
		if (p == 0) { pause(); _exit(0); }
		n++;
	}
	printf("forks %d\n", n);
	fflush(stdout);
	kill(0, SIGKILL); /* the shim put us in a process group of our own */
	return 0;
}`)
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer statusR.Close()
	cmd := exec.Command(runnerBin, "__shim", "cpu=1", "fsize=4096", "nproc=5", "stack=8388608", "--", bin)
	asSandboxUser(cmd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// fd 4 is where the shim hands over its seccomp listener; this test has no use for it.
	guard, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	guardRunner, guardShim := os.NewFile(uintptr(guard[0]), "guard"), os.NewFile(uintptr(guard[1]), "guard")
	defer guardRunner.Close()
	cmd.ExtraFiles = []*os.File{statusW, guardShim}
	var out bytes.Buffer
	cmd.Stdout = &out
	err = cmd.Run()
	statusW.Close()
	guardShim.Close()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the program should have ended by killing its own group: %v\n%s", err, out.String())
	}
	got := out.String()
	want := []string{
		"nproc 5 5 raise=denied",
		"fsize 4096 4096 raise=denied",
		"cpu 1 2 raise=denied",
		"core 0 0 raise=denied",
		"no_new_privs 1",
	}
	for _, w := range want {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("program output lacks %q:\n%s", w, got)
		}
	}
	// Alone under its uid, the program is 1 of the 5 tasks RLIMIT_NPROC allows.
	if isRoot() && !strings.Contains(got, "forks 4\n") {
		t.Errorf("want exactly 4 successful forks under RLIMIT_NPROC 5:\n%s", got)
	}
	status := new(bytes.Buffer)
	status.ReadFrom(statusR)
	if !strings.HasPrefix(status.String(), "started ") {
		t.Errorf("the shim reported %q on its status pipe, want a started line", status.String())
	}
}
