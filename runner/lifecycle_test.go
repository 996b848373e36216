package main_test

import (
	"bytes"
	"encoding/json"
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

func TestInstallCopiesARunnerThatWorks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared", "bin")
	if out, err := exec.Command(runnerBin, "install", dir).CombinedOutput(); err != nil {
		t.Fatalf("runner install: %v\n%s", err, out)
	}
	installed := filepath.Join(dir, "runner")
	info, err := os.Stat(installed)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o755 {
		t.Fatalf("installed runner has mode %v, want 0755", info.Mode().Perm())
	}
	job, _ := json.Marshal(singleTest([]string{"echo", "from the copy"}, "", defaultLimits()))
	cmd := exec.Command(installed, "run", "--workdir", t.TempDir())
	cmd.Stdin = bytes.NewReader(job)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if res := decodeResult(t, out); len(res.Tests) != 1 || res.Tests[0].Stdout != "from the copy\n" {
		t.Fatalf("the installed copy printed %s", out)
	}
}

// TestIdleReapsOrphansAsPID1AndExitsOnSIGTERM starts `runner idle` as PID 1 of a new PID
// namespace, as in a warm pod, and makes it inherit an orphan the way an exec'd run does.
func TestIdleReapsOrphansAsPID1AndExitsOnSIGTERM(t *testing.T) {
	if !isRoot() {
		t.Fatal("this test makes a PID namespace and needs root")
	}
	attach := compileC(t, "attach", `
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
int main(int argc, char **argv) {
	printf("attach %s\n", ptrace(PTRACE_ATTACH, atoi(argv[1]), 0, 0) == 0 ? "ok" : "denied");
	return 0;
}`)
	idle := exec.Command(runnerBin, "idle")
	idle.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID,
		Credential: &syscall.Credential{Uid: sandboxUID, Gid: sandboxUID}}
	var stderr bytes.Buffer
	idle.Stderr = &stderr
	if err := idle.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- idle.Wait() }()
	defer idle.Process.Kill()
	time.Sleep(100 * time.Millisecond)

	// nsenter's child joins the namespace; its own background child outlives it and is
	// re-parented to PID 1 of the namespace: the idle runner. The background child must not
	// hold the output pipe, or nsenter would only return once it has exited.
	enter := exec.Command("nsenter", "-t", strconv.Itoa(idle.Process.Pid), "-p", "--",
		"sh", "-c", "sleep 0.5 >/dev/null 2>&1 &")
	if out, err := enter.CombinedOutput(); err != nil {
		t.Fatalf("nsenter: %v\n%s", err, out)
	}
	orphan := findChildOf(t, idle.Process.Pid)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", orphan)); os.IsNotExist(err) {
			break // exited and reaped: no zombie left behind
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphan %d was not reaped by the idle runner (zombie: %v)", orphan, isZombie(orphan))
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A program of the same uid cannot take control of the idle runner.
	probe := exec.Command(attach, strconv.Itoa(idle.Process.Pid))
	asSandboxUser(probe)
	if out, err := probe.Output(); err != nil || string(out) != "attach denied\n" {
		t.Fatalf("ptrace of the idle runner by its uid: %s (%v), want denied", out, err)
	}

	if err := idle.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("runner idle exited with %v on SIGTERM, want 0; stderr %s", err, stderr.String())
		}
	case <-time.After(3 * time.Second):
		t.Fatal("runner idle did not exit on SIGTERM")
	}
}

// findChildOf returns the pid (in this namespace) of a child of parent, waiting briefly.
func findChildOf(t *testing.T, parent int) int {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", parent, parent))
		if f := strings.Fields(string(data)); len(f) > 0 {
			pid, _ := strconv.Atoi(f[0])
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the idle runner never adopted the orphan")
	return 0
}

// TestRunsAsPID1OfAPodWithItsOwnProc runs `runner run` the way a cold pod does: as PID 1 of
// a new PID namespace with its own /proc, as a non-root uid, on a program that leaves a
// daemon behind.
func TestRunsAsPID1OfAPodWithItsOwnProc(t *testing.T) {
	if !isRoot() {
		t.Fatal("this test makes PID and mount namespaces and needs root")
	}
	bin := compileC(t, "daemon_leaver", daemonC(`puts("done"); return 0;`))
	workdir := newWorkdir(t)
	job, _ := json.Marshal(singleTest([]string{bin}, "", defaultLimits().with("wallTimeMillis", 10000)))
	uid := strconv.Itoa(sandboxUID)
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--",
		"setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--",
		runnerBin, "run", "--workdir", workdir)
	cmd.Stdin = bytes.NewReader(job)
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("runner as PID 1: %v", err)
	}
	res := decodeResult(t, out)
	if len(res.Tests) != 1 {
		t.Fatalf("result %s", out)
	}
	r := res.Tests[0]
	if num(r.ExitCode) != "0" || r.Stdout != "done\n" || r.LimitExceeded != nil {
		t.Fatalf("as PID 1: exitCode %s stdout %q limitExceeded %s", num(r.ExitCode), r.Stdout, str(r.LimitExceeded))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the result took %v: the daemon was waited for instead of killed", d)
	}
	assertNothingLeft(t)
}
