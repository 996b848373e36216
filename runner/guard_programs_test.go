package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// What the guard of guard_test.go must not get in the way of: programs that signal, renice,
// regroup and limit themselves and their own processes, through the filter's fast paths (the
// main process) and through the runner's answers (every other process of the tree).

func TestProgramsStillActOnThemselvesAndTheirOwnProcesses(t *testing.T) {
	bin := compileTestdata(t, "guard_family")
	cases := []struct {
		mode, exitCode, signal, stdout string
	}{
		{"kill-child", "0", "<null>", "kill of a child: ok\nchild ended by signal 15\n"},
		{"abort", "<null>", "6", ""},
		{"abort-child", "0", "<null>", "child ended by signal 6\n"},
		{"raise", "0", "<null>", "main handled 1\nraising child exited 0\n"},
		{"threads", "0", "<null>", "main threads signalled: yes\nthreaded child exited 0\n"},
		{"queue", "0", "<null>", "child got values 42 43\nqueued child exited 0\n" +
			"sigqueue to a child: ok\npidfd_send_signal with siginfo to a child: ok\n"},
		{"own", "0", "<null>", strings.Join([]string{
			"setpgid of a child into a group of its own: ok",
			"setpgid of another child into that group: ok",
			"setpriority of a child: ok",
			"setpriority of a child's group: ok",
			"sched_setaffinity of a child: ok",
			"sched_setscheduler of a child: ok",
			"prlimit64 of a child: ok",
			"F_SETOWN to a child: ok",
			"F_SETOWN to a child's group: ok",
			"tkill of a child: ok",
			"kill of a child's group: ok",
			"group child a ended by signal 15",
			"group child b ended by signal 15",
			"pidfd_send_signal to a child: ok",
			"pidfd child ended by signal 9",
		}, "\n") + "\n"},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			r := onlyTest(t, []string{bin, c.mode}, "", defaultLimits())
			if num(r.ExitCode) != c.exitCode || num(r.Signal) != c.signal || r.LimitExceeded != nil || r.Stdout != c.stdout {
				t.Fatalf("exitCode %s signal %s limitExceeded %s stdout:\n%s\nwant exitCode %s signal %s stdout:\n%s\nstderr: %s",
					num(r.ExitCode), num(r.Signal), str(r.LimitExceeded), r.Stdout, c.exitCode, c.signal, c.stdout, r.Stderr)
			}
			assertNothingLeft(t)
		})
	}
}

// goSignalsProgram needs the runtime's preemption signal (tgkill of its own thread) to get
// its only P back from a goroutine that never yields: in the main process and in a child,
// whose tgkill the runner answers. Go's os/exec kills a child through pidfd_send_signal.
const goSignalsProgram = `package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

func preempted() string {
	runtime.GOMAXPROCS(1)
	go func() {
		for {
		}
	}()
	time.Sleep(20 * time.Millisecond)
	return "preempted"
}

func main() {
	fmt.Println(preempted())
	if len(os.Args) > 1 {
		return
	}
	out, err := exec.Command(os.Args[0], "child").CombinedOutput()
	fmt.Printf("child: %s %v\n", out, err)
	sleep := exec.Command("sleep", "10")
	if err := sleep.Start(); err != nil {
		panic(err)
	}
	fmt.Println("kill:", sleep.Process.Kill(), sleep.Wait())
	sleep = exec.Command("sleep", "10")
	if err := sleep.Start(); err != nil {
		panic(err)
	}
	found, _ := os.FindProcess(sleep.Process.Pid)
	fmt.Println("signal found process:", found.Signal(syscall.SIGTERM), sleep.Wait())
}
`

func TestGoPythonAndCompilersStillManageTheirProcesses(t *testing.T) {
	dir := filepath.Join(shareDir, "gosignals")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(goSignalsProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module gosignals\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goBin := filepath.Join(shareDir, "gosignals-bin")
	build := exec.Command("go", "build", "-o", goBin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	python := `
import os, signal, subprocess
p = subprocess.Popen(["sleep", "10"])
p.send_signal(signal.SIGTERM)
print(p.wait())
q = subprocess.Popen(["sleep", "10"], start_new_session=True)
os.killpg(q.pid, signal.SIGKILL)
print(q.wait())
print(subprocess.run(["sh", "-c", "echo hi; kill -TERM $$"], capture_output=True).returncode)
`
	cases := []struct {
		name string
		argv []string
		want string
	}{
		{"go", []string{goBin}, "preempted\nchild: preempted\n <nil>\nkill: <nil> signal: killed\n" +
			"signal found process: <nil> signal: terminated\n"},
		// The system python: a per-user interpreter under /root is out of the sandbox uid's reach.
		{"python", []string{"/usr/bin/python3", "-c", python}, "-15\n-9\n-15\n"},
	}
	// Under containerd's RuntimeDefault profile the runner cannot copy a pidfd out of the
	// program (no pidfd_getfd without CAP_SYS_PTRACE), so pidfd_send_signal fails; Go probes
	// it before using pidfds and falls back to kill(2).
	t.Run("go under the runtime's default seccomp profile", func(t *testing.T) {
		res, _ := runUnderOuterFilter(t, "runtime-default", singleTest([]string{goBin}, "", defaultLimits().with("processes", 64)))
		if r := res.Tests[0]; num(r.ExitCode) != "0" || r.Stdout != cases[0].want {
			t.Fatalf("exitCode %s signal %s stdout:\n%s\nwant:\n%s\nstderr: %s", num(r.ExitCode), num(r.Signal), r.Stdout, cases[0].want, r.Stderr)
		}
		assertNothingLeft(t)
	})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := onlyTest(t, c.argv, "", defaultLimits().with("processes", 64, "wallTimeMillis", 10000))
			if num(r.ExitCode) != "0" || r.LimitExceeded != nil || r.Stdout != c.want {
				t.Fatalf("exitCode %s signal %s limitExceeded %s stdout:\n%s\nwant:\n%s\nstderr: %s",
					num(r.ExitCode), num(r.Signal), str(r.LimitExceeded), r.Stdout, c.want, r.Stderr)
			}
			assertNothingLeft(t)
		})
	}

	// LeakSanitizer stops the program's threads with ptrace from a task of its own.
	t.Run("gcc -fsanitize=address finding a leak", func(t *testing.T) {
		job := map[string]any{
			"files": []any{map[string]any{"path": "main.c", "content": `#include <stdlib.h>
int main(void) { void *volatile p = malloc(1234); p = 0; return 0; }
`}},
			"compile": map[string]any{"command": []string{"gcc", "-g", "-fsanitize=address", "-o", "main", "main.c"}},
			"run":     map[string]any{"command": []string{"./main"}},
			"tests":   []any{map[string]any{"name": "t"}},
			"limits":  defaultLimits(),
		}
		res := run(t, newWorkdir(t), job).result
		if res.Error != nil || res.Compile == nil || num(res.Compile.ExitCode) != "0" {
			t.Fatalf("compile: %+v error %s", res.Compile, str(res.Error))
		}
		if len(res.Tests) != 1 || !strings.Contains(res.Tests[0].Stderr, "ERROR: LeakSanitizer: detected memory leaks") {
			t.Fatalf("want LeakSanitizer's report of the leak, got %+v", res.Tests)
		}
	})

	t.Run("g++ with threads", func(t *testing.T) {
		job := map[string]any{
			"files": []any{map[string]any{"path": "main.cpp", "content": `#include <iostream>
#include <thread>
#include <vector>
int main() {
	std::vector<std::thread> ts;
	int sum[4] = {0};
	for (int i = 0; i < 4; i++) ts.emplace_back([&sum, i] { sum[i] = i + 1; });
	for (auto &t : ts) t.join();
	std::cout << sum[0] + sum[1] + sum[2] + sum[3] << std::endl;
}
`}},
			"compile": map[string]any{"command": []string{"g++", "-O2", "-pthread", "-o", "main", "main.cpp"}},
			"run":     map[string]any{"command": []string{"./main"}},
			"tests":   []any{map[string]any{"name": "t"}},
			"limits":  defaultLimits(),
		}
		res := run(t, newWorkdir(t), job).result
		if res.Error != nil || res.Compile == nil || num(res.Compile.ExitCode) != "0" {
			t.Fatalf("compile: %+v error %s", res.Compile, str(res.Error))
		}
		if len(res.Tests) != 1 || res.Tests[0].Stdout != "10\n" {
			t.Fatalf("tests: %+v", res.Tests)
		}
	})
}
