package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// These tests run the real runner binary on real programs, as a sandbox pod would: as a
// non-root uid of its own (when the tests run as root), with a writable work directory.

// sandboxUID is the uid the runner runs as when the tests are root. No account has it and
// no process may be using it when the tests start, so every process of it belongs to a test.
const sandboxUID = 64123

var (
	runnerBin string // the runner built for this test run
	shareDir  string // compiled test programs, readable by the sandbox uid
	// judgeDir is the runner's --judge-dir: a top-level directory, as /coderun/judge is in a
	// pod, since an interactive test hides its top-level directory from the program.
	judgeDir string
)

func TestMain(m *testing.M) {
	code, err := setUp(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setUp(m *testing.M) (int, error) {
	var err error
	if shareDir, err = os.MkdirTemp("", "coderun-runner-test-"); err != nil {
		return 0, err
	}
	defer os.RemoveAll(shareDir)
	if err := os.Chmod(shareDir, 0o755); err != nil {
		return 0, err
	}
	if judgeDir, err = os.MkdirTemp("/", "coderun-judge-test-"); err != nil {
		return 0, fmt.Errorf("the tests make a top-level judge directory, as a pod has: %v", err)
	}
	defer os.RemoveAll(judgeDir)
	if isRoot() {
		if err := os.Chown(judgeDir, sandboxUID, sandboxUID); err != nil {
			return 0, err
		}
	}
	runnerBin = filepath.Join(shareDir, "runner")
	build := exec.Command("go", "build", "-o", runnerBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build the runner: %v\n%s", err, out)
	}
	if isRoot() {
		if pids := processesOf(sandboxUID); len(pids) > 0 {
			return 0, fmt.Errorf("uid %d is in use by processes %v: the tests need it to themselves", sandboxUID, pids)
		}
	}
	return m.Run(), nil
}

func isRoot() bool { return os.Geteuid() == 0 }

// processesOf lists the live (non-zombie) processes whose uid is uid.
func processesOf(uid int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) == uid && !isZombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func isZombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || i+2 >= len(data) || data[i+2] == 'Z' || data[i+2] == 'X'
}

// asSandboxUser makes cmd run as the sandbox uid when the tests are root.
func asSandboxUser(cmd *exec.Cmd) {
	if isRoot() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: sandboxUID, Gid: sandboxUID}}
	}
}

// newWorkdir makes an empty work directory owned by the uid the runner runs as.
func newWorkdir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(shareDir, "work-")
	if err != nil {
		t.Fatal(err)
	}
	if isRoot() {
		if err := os.Chown(dir, sandboxUID, sandboxUID); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// compileC builds a C program with the host gcc into the shared directory.
func compileC(t *testing.T, name, src string) string {
	t.Helper()
	srcPath := filepath.Join(shareDir, name+".c")
	bin := filepath.Join(shareDir, name)
	if err := os.WriteFile(srcPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-O2", "-o", bin, srcPath).CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", name, err, out)
	}
	return bin
}

// compileTestdata builds testdata/NAME.c with compileC.
func compileTestdata(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	return compileC(t, name, string(src))
}

// limits is the job's limits object; tests change single fields of defaultLimits().
type limits map[string]int64

func defaultLimits() limits {
	return limits{"cpuTimeMillis": 2000, "wallTimeMillis": 5000, "memoryMiB": 256,
		"outputBytes": 65536, "processes": 16, "fileSizeBytes": 1 << 20}
}

func (l limits) with(kv ...any) limits {
	out := limits{}
	for k, v := range l {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return out
}

// singleTest is the job that runs argv once with stdin under lim.
func singleTest(argv []string, stdin string, lim limits) map[string]any {
	return map[string]any{
		"run":    map[string]any{"command": argv},
		"tests":  []any{map[string]any{"name": "t", "stdin": stdin}},
		"limits": lim,
	}
}

// The result document, declared here independently of the runner's own types so that a
// renamed or missing field fails the tests: these names are the contract with the operator.
type result struct {
	Compile        *compileResult `json:"compile"`
	CheckerCompile *compileResult `json:"checkerCompile"`
	// InteractorCompile is the interactor's compile step (a job with an interactor).
	InteractorCompile *compileResult `json:"interactorCompile"`
	Tests             []testResult   `json:"tests"`
	Error             *string        `json:"error"`
}

type compileResult struct {
	ExitCode        *int    `json:"exitCode"`
	Signal          *int    `json:"signal"`
	Output          string  `json:"output"` // decoded from outputEncoding by decodeResult
	OutputEncoding  string  `json:"outputEncoding"`
	OutputTruncated bool    `json:"outputTruncated"`
	CPUTimeMillis   int64   `json:"cpuTimeMillis"`
	WallTimeMillis  int64   `json:"wallTimeMillis"`
	LimitExceeded   *string `json:"limitExceeded"`
}

type testResult struct {
	Name            string  `json:"name"`
	ExitCode        *int    `json:"exitCode"`
	Signal          *int    `json:"signal"`
	CPUTimeMillis   int64   `json:"cpuTimeMillis"`
	WallTimeMillis  int64   `json:"wallTimeMillis"`
	MemoryKiB       int64   `json:"memoryKiB"`
	Stdout          string  `json:"stdout"` // decoded from stdoutEncoding by decodeResult
	StdoutEncoding  string  `json:"stdoutEncoding"`
	Stderr          string  `json:"stderr"`
	StderrEncoding  string  `json:"stderrEncoding"`
	StdoutTruncated bool    `json:"stdoutTruncated"`
	StderrTruncated bool    `json:"stderrTruncated"`
	LimitExceeded   *string `json:"limitExceeded"`
	// The checker's run on this test (a job with a checker, a program that finished); its
	// name stays empty.
	Checker *testResult `json:"checker"`
	// The interactor's run beside the program (a job with an interactor).
	Interactor *testResult `json:"interactor"`
}

// invocation is one finished `runner run`.
type invocation struct {
	result  result
	raw     string // the result document as printed
	stderr  string
	elapsed time.Duration
	maxRSS  int64 // the runner's own peak RSS, KiB
}

// runRaw runs `runner run --workdir DIR` with the raw job bytes on stdin (or extra args).
func runRaw(t *testing.T, workdir string, job []byte, extraArgs ...string) invocation {
	t.Helper()
	args := append([]string{"run", "--workdir", workdir, "--judge-dir", judgeDir}, extraArgs...)
	cmd := exec.Command(runnerBin, args...)
	asSandboxUser(cmd)
	cmd.Stdin = bytes.NewReader(job)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	inv := invocation{stderr: stderr.String(), elapsed: time.Since(start)}
	if err != nil {
		t.Fatalf("runner run failed: %v\nstderr: %s", err, stderr.String())
	}
	inv.maxRSS = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	inv.raw = stdout.String()
	inv.result = decodeResult(t, stdout.Bytes())
	return inv
}

// decodeResult parses the runner's stdout as the contract says: exactly one JSON line, no
// unknown fields, every output with its encoding, which it decodes in place.
func decodeResult(t *testing.T, stdout []byte) result {
	t.Helper()
	if n := bytes.Count(stdout, []byte("\n")); n != 1 || !bytes.HasSuffix(stdout, []byte("\n")) {
		t.Fatalf("stdout must be exactly one JSON line, got %d lines: %q", n, stdout)
	}
	dec := json.NewDecoder(bytes.NewReader(stdout))
	dec.DisallowUnknownFields()
	var res result
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("result is not the contract's JSON: %v\n%s", err, stdout)
	}
	if res.Tests == nil {
		t.Fatalf("result.tests must be an array, never null")
	}
	for what, c := range map[string]*compileResult{"compile": res.Compile, "checkerCompile": res.CheckerCompile, "interactorCompile": res.InteractorCompile} {
		if c != nil {
			c.Output = decodeOutput(t, what+".output", c.Output, c.OutputEncoding)
		}
	}
	for i := range res.Tests {
		r := &res.Tests[i]
		r.Stdout = decodeOutput(t, "stdout of "+r.Name, r.Stdout, r.StdoutEncoding)
		r.Stderr = decodeOutput(t, "stderr of "+r.Name, r.Stderr, r.StderrEncoding)
		for what, c := range map[string]*testResult{"checker": r.Checker, "interactor": r.Interactor} {
			if c != nil {
				c.Stdout = decodeOutput(t, what+" stdout of "+r.Name, c.Stdout, c.StdoutEncoding)
				c.Stderr = decodeOutput(t, what+" stderr of "+r.Name, c.Stderr, c.StderrEncoding)
			}
		}
	}
	return res
}

func decodeOutput(t *testing.T, what, text, encoding string) string {
	t.Helper()
	switch encoding {
	case "utf8":
		return text
	case "base64":
		data, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			t.Fatalf("%s is not standard base64: %v", what, err)
		}
		return string(data)
	}
	t.Fatalf("%s has encoding %q, want \"utf8\" or \"base64\"", what, encoding)
	return ""
}

// run runs a job document and returns the result.
func run(t *testing.T, workdir string, job any) invocation {
	t.Helper()
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	return runRaw(t, workdir, data)
}

// onlyTest runs a single-test job and returns that test's result, failing on a runner error.
func onlyTest(t *testing.T, argv []string, stdin string, lim limits) testResult {
	t.Helper()
	inv := run(t, newWorkdir(t), singleTest(argv, stdin, lim))
	if inv.result.Error != nil {
		t.Fatalf("runner error: %s", *inv.result.Error)
	}
	if len(inv.result.Tests) != 1 {
		t.Fatalf("want 1 test result, got %d", len(inv.result.Tests))
	}
	return inv.result.Tests[0]
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func num(p *int) string {
	if p == nil {
		return "<null>"
	}
	return strconv.Itoa(*p)
}

// assertNothingLeft fails if any process of the sandbox uid is still alive.
func assertNothingLeft(t *testing.T) {
	t.Helper()
	if !isRoot() {
		return
	}
	if pids := processesOf(sandboxUID); len(pids) > 0 {
		t.Fatalf("processes of the program are still running after the result: %v", pids)
	}
}
