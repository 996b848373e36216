package main_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sumC = `#include <stdio.h>
int main(void) { long a, b; if (scanf("%ld %ld", &a, &b) != 2) return 2; printf("%ld\n", a + b); return 0; }
`

func sumJob() map[string]any {
	return map[string]any{
		"files":   []any{map[string]any{"path": "src/main.c", "content": sumC}},
		"compile": map[string]any{"command": []string{"gcc", "-O2", "-o", "main", "src/main.c"}},
		"run":     map[string]any{"command": []string{"./main"}},
		"tests": []any{
			map[string]any{"name": "small", "stdin": "1 2\n"},
			map[string]any{"name": "large", "stdin": "40000000000 2\n"},
			map[string]any{"name": "no input", "stdin": ""},
		},
		"limits": defaultLimits(),
	}
}

func TestCompilesOnceAndRunsEveryTest(t *testing.T) {
	inv := run(t, newWorkdir(t), sumJob())
	res := inv.result
	if res.Error != nil {
		t.Fatalf("runner error: %s", *res.Error)
	}
	if res.Compile == nil || num(res.Compile.ExitCode) != "0" || res.Compile.LimitExceeded != nil {
		t.Fatalf("compile = %+v, want a clean exit 0", res.Compile)
	}
	want := []struct{ name, stdout, exit string }{{"small", "3\n", "0"}, {"large", "40000000002\n", "0"}, {"no input", "", "2"}}
	if len(res.Tests) != len(want) {
		t.Fatalf("got %d test results, want %d", len(res.Tests), len(want))
	}
	for i, w := range want {
		got := res.Tests[i]
		if got.Name != w.name || got.Stdout != w.stdout || num(got.ExitCode) != w.exit || got.LimitExceeded != nil {
			t.Errorf("test %d = name %q stdout %q exit %s limit %s, want %q %q %s null", i, got.Name, got.Stdout, num(got.ExitCode), str(got.LimitExceeded), w.name, w.stdout, w.exit)
		}
	}
}

func TestOnlyTheCompileOutputsReachTheRuns(t *testing.T) {
	job := sumJob()
	job["compile"] = map[string]any{"command": []string{"sh", "-c", "gcc -O2 -c -o main.o src/main.c && gcc -o main main.o && mkdir -p .cache && echo x > .cache/obj"}, "outputs": []string{"main"}}
	job["run"] = map[string]any{"command": []string{"sh", "-c", "ls -A; ./main"}}
	res := run(t, newWorkdir(t), job).result
	if res.Error != nil {
		t.Fatalf("runner error: %s", *res.Error)
	}
	if len(res.Tests) != 3 || res.Tests[0].Stdout != "main\n3\n" {
		t.Fatalf("tests = %+v, want the work directory to hold only main (no source, object file or cache), and main to work", res.Tests)
	}
}

func TestFailedCompileRunsNoTestAndKeepsItsOutput(t *testing.T) {
	job := sumJob()
	job["files"] = []any{map[string]any{"path": "src/main.c", "content": "int main(void) { return undefined_name; }\n"}}
	res := run(t, newWorkdir(t), job).result
	if res.Error != nil {
		t.Fatalf("a compile error is the program's failure, not the runner's: %s", *res.Error)
	}
	if res.Compile == nil || num(res.Compile.ExitCode) == "0" {
		t.Fatalf("compile = %+v, want a non-zero exit", res.Compile)
	}
	if !strings.Contains(res.Compile.Output, "undefined_name") {
		t.Fatalf("compile output lacks the compiler's message: %q", res.Compile.Output)
	}
	if len(res.Tests) != 0 {
		t.Fatalf("%d tests ran after a failed compile, want none", len(res.Tests))
	}
}

func TestCompileOutputMergesStdoutAndStderrAndIsCapped(t *testing.T) {
	job := func(script string, outputBytes int) map[string]any {
		return map[string]any{
			"compile":       map[string]any{"command": []string{"sh", "-c", script}},
			"run":           map[string]any{"command": []string{"true"}},
			"tests":         []any{map[string]any{"name": "t"}},
			"limits":        defaultLimits(),
			"compileLimits": defaultLimits().with("outputBytes", outputBytes),
		}
	}
	res := run(t, newWorkdir(t), job("echo to-stdout; echo to-stderr >&2; echo again", 1000)).result
	if res.Compile == nil || res.Compile.Output != "to-stdout\nto-stderr\nagain\n" || res.Compile.OutputTruncated {
		t.Fatalf("compile = %+v, want both streams merged in order", res.Compile)
	}
	if len(res.Tests) != 1 {
		t.Fatalf("the compile succeeded, so the test should have run")
	}
	res = run(t, newWorkdir(t), job("yes compiler-warning", 1000)).result
	if res.Compile == nil || len(res.Compile.Output) != 1000 || !res.Compile.OutputTruncated || str(res.Compile.LimitExceeded) != "output" {
		t.Fatalf("compile = %+v, want output cut at 1000 bytes", res.Compile)
	}
	if len(res.Tests) != 0 {
		t.Fatalf("tests ran after a compile that hit a limit")
	}
}

// badInput checks a result that reports a job error: error set and saying what, no tests.
func assertJobError(t *testing.T, inv invocation, wantInError string) {
	t.Helper()
	res := inv.result
	if res.Error == nil {
		t.Fatalf("error is null, want a message containing %q", wantInError)
	}
	if !strings.Contains(*res.Error, wantInError) {
		t.Fatalf("error %q does not contain %q", *res.Error, wantInError)
	}
	if len(res.Tests) != 0 || res.Compile != nil {
		t.Fatalf("nothing should have run: compile %+v, %d tests", res.Compile, len(res.Tests))
	}
}

func TestBadJobsGetAClearErrorInAWholeResult(t *testing.T) {
	withFile := func(path string) string {
		j := sumJob()
		j["files"] = []any{map[string]any{"path": path, "content": "x"}}
		data, _ := json.Marshal(j)
		return string(data)
	}
	var gzipGarbage bytes.Buffer
	gzipGarbage.Write([]byte{0x1f, 0x8b, 0x08, 0x00, 'n', 'o', 't', ' ', 'g', 'z', 'i', 'p'})
	cases := []struct {
		name, job, want string
	}{
		{"empty", "", "empty"},
		{"malformed JSON", `{"run": {"command": ["./main"]`, "not valid JSON"},
		{"not an object", `[1, 2]`, "not valid JSON"},
		{"unknown field", `{"run": {"command": ["./main"]}, "limits": {}, "timeout": 3}`, `unknown field "timeout"`},
		{"missing run", `{"tests": [], "limits": {}}`, "run is missing"},
		{"empty run command", `{"run": {"command": []}, "limits": {}}`, "run.command is missing or empty"},
		{"empty compile command", `{"compile": {"command": []}, "run": {"command": ["./main"]}}`, "compile.command is missing or empty"},
		{"missing limit", `{"run": {"command": ["./main"]}, "limits": {"cpuTimeMillis": 1000}}`, "limits.wallTimeMillis is missing"},
		{"negative limit", strings.Replace(withFile("main.c"), `"memoryMiB":256`, `"memoryMiB":-1`, 1), "limits.memoryMiB is -1"},
		{"absolute path", withFile("/etc/passwd"), "is absolute"},
		{"parent path", withFile("../outside.c"), `contains ".."`},
		{"nested parent path", withFile("src/../../outside.c"), `contains ".."`},
		{"bad encoding", strings.Replace(withFile("main.c"), `"content":"x"`, `"content":"x","encoding":"hex"`, 1), `encoding "hex" is not supported`},
		{"bad base64", strings.Replace(withFile("main.c"), `"content":"x"`, `"content":"!!","encoding":"base64"`, 1), "not valid standard base64"},
		{"gzip garbage", gzipGarbage.String(), "gzip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertJobError(t, runRaw(t, newWorkdir(t), []byte(c.job)), c.want)
		})
	}
}

func TestSymlinkInTheWorkdirCannotLeadAFileOutside(t *testing.T) {
	workdir := newWorkdir(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(workdir, "escape")); err != nil {
		t.Fatal(err)
	}
	job := sumJob()
	job["files"] = []any{map[string]any{"path": "escape/planted.c", "content": "x"}}
	data, _ := json.Marshal(job)
	assertJobError(t, runRaw(t, workdir, data), "escape/planted.c")
	if _, err := os.Stat(filepath.Join(outside, "planted.c")); err == nil {
		t.Fatal("a file was written outside the work directory through a symlink")
	}
}

func TestGzippedJobIsDecompressed(t *testing.T) {
	data, _ := json.Marshal(sumJob())
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(data)
	zw.Close()
	res := runRaw(t, newWorkdir(t), zipped.Bytes()).result
	if res.Error != nil || len(res.Tests) != 3 || res.Tests[0].Stdout != "3\n" {
		t.Fatalf("gzipped job: error %s, tests %+v", str(res.Error), res.Tests)
	}
}

func TestJobFromAFileAsInAColdPod(t *testing.T) {
	data, _ := json.Marshal(sumJob())
	jobFile := filepath.Join(shareDir, "job.json")
	if err := os.WriteFile(jobFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runRaw(t, newWorkdir(t), nil, jobFile).result
	if res.Error != nil || len(res.Tests) != 3 || res.Tests[1].Stdout != "40000000002\n" {
		t.Fatalf("job from file: error %s, tests %+v", str(res.Error), res.Tests)
	}
}

func TestProgramThatCannotBeStartedIsARunnerError(t *testing.T) {
	inv := run(t, newWorkdir(t), singleTest([]string{"no-such-program-anywhere"}, "", defaultLimits()))
	if inv.result.Error == nil || !strings.Contains(*inv.result.Error, "no-such-program-anywhere") {
		t.Fatalf("error = %s, want it to name the missing program", str(inv.result.Error))
	}
}

func TestDefaultWorkdirComesFromTheEnvironment(t *testing.T) {
	workdir := newWorkdir(t)
	job := singleTest([]string{"sh", "-c", "pwd; echo $HOME $TMPDIR; cat note.txt"}, "", defaultLimits())
	job["files"] = []any{map[string]any{"path": "note.txt", "content": "aGVsbG8=", "encoding": "base64"}}
	data, _ := json.Marshal(job)
	cmd := exec.Command(runnerBin, "run")
	asSandboxUser(cmd)
	cmd.Env = append(os.Environ(), "CODERUN_WORKDIR="+workdir)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	res := decodeResult(t, out)
	if want := workdir + "\n" + workdir + " " + workdir + "\nhello"; len(res.Tests) != 1 || res.Tests[0].Stdout != want {
		t.Fatalf("got %+v, want stdout %q", res, want)
	}
}

func TestWithoutAWorkdirARemovedTemporaryOneIsUsed(t *testing.T) {
	tmp := newWorkdir(t) // stands in for $TMPDIR, writable by the runner's uid
	data, _ := json.Marshal(singleTest([]string{"pwd"}, "", defaultLimits()))
	cmd := exec.Command(runnerBin, "run")
	asSandboxUser(cmd)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "CODERUN_WORKDIR=")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	res := decodeResult(t, out)
	if len(res.Tests) != 1 {
		t.Fatalf("result %s", out)
	}
	dir := strings.TrimSpace(res.Tests[0].Stdout)
	if filepath.Dir(dir) != tmp {
		t.Fatalf("the program ran in %q, want a new directory under %s", dir, tmp)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the temporary work directory %s was not removed", dir)
	}
}

func TestBadArgumentsStillGiveAResult(t *testing.T) {
	data, _ := json.Marshal(sumJob())
	for _, args := range [][]string{{"--no-such-flag"}, {"job1.json", "job2.json"}, {"/no/such/job.json"}} {
		inv := runRaw(t, newWorkdir(t), data, args...)
		if inv.result.Error == nil || len(inv.result.Tests) != 0 {
			t.Errorf("runner run %v: error %s, %d tests; want an error result", args, str(inv.result.Error), len(inv.result.Tests))
		}
	}
}

// As the operator sends it: the gzip'd job on a stdin that stays open. The runner answers its
// result line without waiting for stdin to end, and exits only once stdin ends: an exit before
// the whole answer was read could let the API server drop the end of it.
func TestStdinJobIsAnsweredAtOnceAndTheRunnerExitsWhenStdinEnds(t *testing.T) {
	data, _ := json.Marshal(sumJob())
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(data)
	zw.Close()
	cmd := exec.Command(runnerBin, "run", "--workdir", newWorkdir(t))
	asSandboxUser(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	if _, err := stdin.Write(zipped.Bytes()); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		t.Fatalf("no result line while stdin is open: %v", err)
	}
	if res := decodeResult(t, line); res.Error != nil || len(res.Tests) != 3 {
		t.Fatalf("result: error %s, tests %+v", str(res.Error), res.Tests)
	}
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("the runner exited (%v) before its stdin ended", err)
	case <-time.After(300 * time.Millisecond):
	}
	stdin.Close()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the runner failed after stdin ended: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the runner did not exit within 5 s of its stdin ending")
	}
}
