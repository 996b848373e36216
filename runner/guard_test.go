package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests play a hostile program against the runner, in the process layout of a sandbox
// pod: PID 1 of a PID namespace with its own /proc is `runner idle` (a warm pod) and `runner
// run` is exec'd into it, or `runner run` is PID 1 itself (a cold pod). Everything runs as the
// same non-root uid, so only the seccomp filter and the runner's answers stand between the
// program and the runner's or PID 1's threads. Each attack must fail, the runner must give a
// result judging the program on its own behaviour, and PID 1 must be unharmed.

// podTimeout bounds one `runner run`: a runner that was stopped or starved gives no result.
const podTimeout = 20 * time.Second

// warmPod is a PID namespace whose PID 1 is `runner idle`, as in a warm pod.
type warmPod struct {
	unshare *exec.Cmd
	pid1    int // the host pid of `runner idle`
	stopped bool
}

func startWarmPod(t *testing.T) *warmPod {
	t.Helper()
	if !isRoot() {
		t.Fatal("these tests make PID and mount namespaces and need root")
	}
	p := &warmPod{unshare: exec.Command("unshare", append([]string{"--pid", "--fork", "--mount-proc", "--"}, sandboxSession(runnerBin, "idle")...)...)}
	if err := p.unshare.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	deadline := time.Now().Add(5 * time.Second)
	for p.pid1 == 0 || !isIdleRunner(p.pid1) {
		if time.Now().After(deadline) {
			t.Fatal("runner idle did not start as PID 1 of the pod")
		}
		time.Sleep(5 * time.Millisecond)
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.unshare.Process.Pid, p.unshare.Process.Pid))
		if f := strings.Fields(string(data)); len(f) > 0 {
			p.pid1, _ = strconv.Atoi(f[0])
		}
	}
	return p
}

func isIdleRunner(pid int) bool {
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return string(cmdline) == runnerBin+"\x00idle\x00"
}

// stop ends the pod: SIGKILL to its PID 1 kills everything in the namespace, and unshare
// returns once PID 1, the last of them, is gone.
func (p *warmPod) stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	if p.pid1 != 0 {
		_ = syscall.Kill(p.pid1, syscall.SIGKILL)
	} else {
		_ = p.unshare.Process.Kill()
	}
	_ = p.unshare.Wait()
}

// sandboxSession is argv run as the sandbox uid, as a session leader: the program then shares
// the runner's session, where the kernel would let it join the runner's process group.
func sandboxSession(argv ...string) []string {
	uid := strconv.Itoa(sandboxUID)
	return append([]string{"setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", "--", "setsid"}, argv...)
}

// run execs `runner run` into the pod, as the operator does in a warm pod.
func (p *warmPod) run(t *testing.T, job any) result {
	t.Helper()
	cmd := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(p.pid1), "-p", "-m", "--"},
		sandboxSession(runnerBin, "run", "--workdir", newWorkdir(t))...)...)
	res := awaitPodResult(t, cmd, job, func() { _ = syscall.Kill(p.pid1, syscall.SIGKILL) })
	p.assertHealthy(t)
	return res
}

// assertHealthy checks that PID 1 of the pod is alive and neither stopped nor traced.
func (p *warmPod) assertHealthy(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid1))
	if err != nil || isZombie(p.pid1) {
		t.Fatalf("PID 1 of the pod (runner idle) is gone")
	}
	i := bytes.LastIndexByte(data, ')')
	if state := data[i+2]; state == 'T' || state == 't' {
		t.Fatalf("PID 1 of the pod (runner idle) is stopped (state %c)", state)
	}
}

// runColdPod runs `runner run` as PID 1 of a pod of its own.
func runColdPod(t *testing.T, job any) result {
	t.Helper()
	if !isRoot() {
		t.Fatal("this test makes PID and mount namespaces and needs root")
	}
	cmd := exec.Command("unshare", append([]string{"--pid", "--fork", "--mount-proc", "--"},
		sandboxSession(runnerBin, "run", "--workdir", newWorkdir(t))...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return awaitPodResult(t, cmd, job, func() {
		// unshare's child is PID 1 of the pod: killing it ends the namespace.
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
		for _, f := range strings.Fields(string(data)) {
			pid, _ := strconv.Atoi(f)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// awaitPodResult runs cmd (a `runner run` in some pod) on job, failing the test unless the runner
// printed its result in time. kill ends the pod if it did not.
func awaitPodResult(t *testing.T, cmd *exec.Cmd, job any, kill func()) result {
	t.Helper()
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(podTimeout):
		kill()
		_ = cmd.Process.Kill() // nsenter stops itself when its child stops
		<-done
		t.Fatalf("the runner gave no result within %v: stopped or starved by the program\nstderr: %s", podTimeout, stderr.String())
	}
	if err != nil {
		t.Fatalf("the runner failed (%v): killed by the program?\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	res := decodeResult(t, stdout.Bytes())
	if res.Error != nil {
		t.Fatalf("runner error: %s", *res.Error)
	}
	return res
}

// attackVectors are the attack program's modes (testdata/guard_attack.c) and the lines each
// prints: every attempt must fail, and whatever it tried to change must be unchanged.
var attackVectors = []struct {
	mode string
	want []string
	// starves: the attack would slow the runner down rather than stop it, so the check
	// after it is the CPU limit's precision.
	starves bool
}{
	{mode: "kill", want: []string{"kill SIGKILL: EPERM", "tkill SIGKILL: EPERM", "tgkill SIGKILL: EPERM",
		"rt_sigqueueinfo SIGKILL: EPERM", "rt_tgsigqueueinfo SIGKILL: EPERM", "pidfd_send_signal /proc dir SIGKILL: EPERM"}},
	{mode: "stop", want: []string{"kill SIGSTOP: EPERM", "tkill SIGSTOP: EPERM", "tgkill SIGSTOP: EPERM",
		"rt_sigqueueinfo SIGSTOP: EPERM", "rt_tgsigqueueinfo SIGSTOP: EPERM", "pidfd_send_signal /proc dir SIGSTOP: EPERM"}},
	{mode: "group", want: []string{"kill runner group: EPERM", "kill -1: EPERM", "setpriority runner group: EPERM",
		"setpgid into runner group: EPERM", "own group is the runner's: no", "kill own group: ok"}},
	{mode: "fsetown", want: []string{"F_SETOWN thread: EPERM", "F_SETOWN runner group: EPERM", "F_SETOWN_EX: EPERM"}},
	{mode: "fiosetown", want: []string{"FIOSETOWN: EPERM", "SIOCSPGRP: EPERM", "TIOCSPGRP: EPERM"}},
	{mode: "limits", want: []string{"prlimit64 RLIMIT_NOFILE 0: EPERM", "prlimit64 RLIMIT_CPU 0: EPERM", "runner RLIMIT_NOFILE unchanged: yes"}},
	{mode: "priority", starves: true, want: []string{"setpriority PRIO_PROCESS: EPERM", "setpriority PRIO_USER: EPERM",
		"ioprio_set IOPRIO_WHO_PROCESS: EPERM", "ioprio_set IOPRIO_WHO_USER: EPERM", "runner nice unchanged: yes"}},
	{mode: "sched", starves: true, want: []string{"sched_setscheduler SCHED_IDLE: EPERM", "sched_setattr SCHED_IDLE: EPERM",
		"sched_setparam: EPERM", "sched_setaffinity: EPERM", "runner scheduling unchanged: yes"}},
	{mode: "trace", want: []string{"ptrace runner: EPERM", "ptrace PID 1: EPERM", "ptrace TRACEME: EPERM"}},
	// The runner and `runner idle` are non-dumpable: their memory, environment and files are
	// out of reach, and their /proc entries belong to root.
	{mode: "memory", want: []string{"process_vm_writev: EPERM", "process_vm_readv: EPERM", "open /proc/*/mem: EACCES",
		"open /proc/*/environ: EACCES", "open /proc/*/oom_score_adj: EACCES", "open /proc/*/fd/0: EACCES"}},
	{mode: "pidfd", want: []string{"pidfd_open: EPERM", "open_by_handle_at: EPERM", "pidfd_getfd: EPERM", "swap race: both outcomes seen: yes"}},
	// The kernel turns the exit signal of a child whose parent is the runner into SIGCHLD.
	{mode: "exit-signal", want: []string{"clone CLONE_PARENT|SIGKILL: ok", "clone3 CLONE_PARENT exit_signal SIGKILL: EINVAL"}},
	// The program holds no seccomp listener and cannot install one of its own.
	{mode: "others", want: []string{"kcmp: EPERM", "migrate_pages: EPERM", "move_pages: EPERM", "perf_event_open: EPERM",
		"process_madvise: EPERM", "second listener: EBUSY", "listeners held: 0"}},
}

// guardLimits leave the attacks room; the check after a starving attack runs into cpuTimeMillis.
func guardLimits() limits { return defaultLimits().with("processes", 64, "cpuTimeMillis", 500) }

// attackJob attacks in mode (from the main process, or from a grandchild in a session of its
// own) and then checks that the runner still runs and measures programs.
func attackJob(bin, mode string, grandchild, starves bool) map[string]any {
	argv := []string{bin}
	if grandchild {
		argv = append(argv, "grandchild")
	}
	after := "hello"
	if starves {
		after = "spin"
	}
	return map[string]any{
		"run":    map[string]any{"command": argv},
		"tests":  []any{map[string]any{"name": "attack", "stdin": mode}, map[string]any{"name": "after", "stdin": after}},
		"limits": guardLimits(),
	}
}

// assertAttackFailed checks the attack's own report and that the run after it was measured.
func assertAttackFailed(t *testing.T, res result, want []string, starves bool) {
	t.Helper()
	if len(res.Tests) != 2 {
		t.Fatalf("want 2 test results, got %d", len(res.Tests))
	}
	attack, after := res.Tests[0], res.Tests[1]
	wantOut := "runner threads found: several\n" + strings.Join(want, "\n") + "\n"
	if attack.Stdout != wantOut || num(attack.ExitCode) != "0" || attack.LimitExceeded != nil {
		t.Fatalf("the attack: exitCode %s signal %s limitExceeded %s\nstdout:\n%s\nwant:\n%s\nstderr: %s",
			num(attack.ExitCode), num(attack.Signal), str(attack.LimitExceeded), attack.Stdout, wantOut, attack.Stderr)
	}
	if !starves {
		if after.Stdout != "still running\n" || num(after.ExitCode) != "0" {
			t.Fatalf("the run after the attack: exitCode %s stdout %q stderr %q", num(after.ExitCode), after.Stdout, after.Stderr)
		}
		return
	}
	limit := guardLimits()["cpuTimeMillis"]
	if str(after.LimitExceeded) != "cpuTime" || after.CPUTimeMillis < limit*9/10 || after.CPUTimeMillis > limit*11/10 {
		t.Fatalf("after the attack a busy loop ended with limitExceeded %s at %d ms of CPU, want cpuTime within 10%% of %d ms",
			str(after.LimitExceeded), after.CPUTimeMillis, limit)
	}
}

func TestProgramCannotActOnTheRunnerOrPID1OfAWarmPod(t *testing.T) {
	bin := compileTestdata(t, "guard_attack")
	for _, v := range attackVectors {
		for _, grandchild := range []bool{false, true} {
			name := v.mode
			if grandchild {
				name += " from a setsid grandchild"
			}
			t.Run(name, func(t *testing.T) {
				p := startWarmPod(t)
				res := p.run(t, attackJob(bin, v.mode, grandchild, v.starves))
				assertAttackFailed(t, res, v.want, v.starves)
				p.stop()
				assertNothingLeft(t)
			})
		}
	}
}

// In a cold pod the runner is PID 1 itself.
func TestProgramCannotSignalTheRunnerAsPID1OfAColdPod(t *testing.T) {
	bin := compileTestdata(t, "guard_attack")
	for _, v := range attackVectors[:2] { // kill and stop
		t.Run(v.mode, func(t *testing.T) {
			res := runColdPod(t, attackJob(bin, v.mode, false, false))
			assertAttackFailed(t, res, v.want, false)
			assertNothingLeft(t)
		})
	}
}

// outerFilterC runs argv[2:] under a seccomp filter of its own, as a container runtime would:
//   - "listener": a filter allowing everything whose listener it keeps open. The kernel gives
//     a process one listener, so the shim's request for another fails with EBUSY, as it fails
//     on a kernel or runtime without user notification;
//   - "runtime-default": containerd's RuntimeDefault profile for a pod without CAP_SYS_PTRACE
//     as far as the runner is concerned: pidfd_getfd and process_vm_readv fail with EPERM.
const outerFilterC = `
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
	struct sock_filter deny[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_getfd, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {5, deny};
	int flags = 0;
	if (!strcmp(argv[1], "listener")) {
		prog.len = 1;
		prog.filter = &deny[4];
		flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0) return 111;
	pid_t p = fork();
	if (p == 0) { execv(argv[2], argv + 2); _exit(112); }
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 113;
}`

// runUnderOuterFilter runs `runner run` on job under outerFilterC in mode.
func runUnderOuterFilter(t *testing.T, mode string, job any) (result, string) {
	t.Helper()
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(compileC(t, "outer_filter", outerFilterC), mode, runnerBin, "run", "--workdir", newWorkdir(t))
	asSandboxUser(cmd)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("runner under an outer filter (%s): %v\nstderr: %s", mode, err, stderr.String())
	}
	res := decodeResult(t, stdout.Bytes())
	if res.Error != nil {
		t.Fatalf("runner error: %s", *res.Error)
	}
	return res, stderr.String()
}

func TestWithoutUserNotificationEveryOtherTargetIsRefused(t *testing.T) {
	bin := compileTestdata(t, "guard_attack")
	res, stderr := runUnderOuterFilter(t, "listener", attackJob(bin, "kill", false, false))
	if !strings.Contains(stderr, "no seccomp user notification") {
		t.Fatalf("the runner did not say that it fell back; stderr: %s", stderr)
	}
	assertAttackFailed(t, res, attackVectors[0].want, false)
	assertNothingLeft(t)
}
