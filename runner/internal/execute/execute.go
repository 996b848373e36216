// Package execute carries out one job: write its files, compile, run every test, and turn
// what happened into the result document.
package execute

import (
	"fmt"
	"os"
	"strings"
	"time"

	"coderun.dev/runner/internal/protocol"
	"coderun.dev/runner/internal/sandbox"
	"coderun.dev/runner/internal/workdir"
)

// Execute runs a validated job in dir. Failures of the runner itself (files that cannot be
// written, a command that cannot be started) end the job with the result's error set.
func Execute(sb *sandbox.Session, job protocol.Job, dir string) protocol.Result {
	res := protocol.Result{Tests: []protocol.TestResult{}}
	if err := workdir.WriteFiles(dir, job.Files); err != nil {
		return protocol.Failed(res, err.Error())
	}
	env := ProgramEnv(os.Environ(), dir)
	if job.CompileCommand != nil {
		out, err := sb.Run(sandbox.Spec{
			Argv: job.CompileCommand, Dir: dir, Env: env, Limits: job.CompileLimits, MergeOutput: true,
		})
		if err != nil {
			return protocol.Failed(res, fmt.Sprintf("compile command %q could not be started: %v", job.CompileCommand[0], err))
		}
		res.Compile = compileResult(out)
		if !res.Compile.Succeeded() {
			return res
		}
	}
	for _, t := range job.Tests {
		out, err := sb.Run(sandbox.Spec{
			Argv: job.RunCommand, Dir: dir, Env: env, Stdin: []byte(t.Stdin), Limits: job.Limits,
		})
		if err != nil {
			return protocol.Failed(res, fmt.Sprintf("run command %q could not be started for test %q: %v", job.RunCommand[0], t.Name, err))
		}
		res.Tests = append(res.Tests, testResult(t.Name, out))
	}
	return res
}

// ProgramEnv is the runner's environment with HOME and TMPDIR pointed at the work directory:
// in a sandbox pod it is the only writable place, and compilers need a temporary directory.
func ProgramEnv(base []string, dir string) []string {
	env := make([]string, 0, len(base)+2)
	for _, kv := range base {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+dir, "TMPDIR="+dir)
}

func compileResult(o sandbox.Outcome) *protocol.CompileResult {
	return &protocol.CompileResult{
		ExitCode:        o.ExitCode,
		Signal:          o.Signal,
		Output:          string(o.Stdout),
		OutputTruncated: o.StdoutTruncated,
		CPUTimeMillis:   millis(o.CPUTime),
		WallTimeMillis:  millis(o.WallTime),
		LimitExceeded:   optional(o.LimitExceeded),
	}
}

func testResult(name string, o sandbox.Outcome) protocol.TestResult {
	return protocol.TestResult{
		Name:            name,
		ExitCode:        o.ExitCode,
		Signal:          o.Signal,
		CPUTimeMillis:   millis(o.CPUTime),
		WallTimeMillis:  millis(o.WallTime),
		MemoryKiB:       o.MemoryKiB,
		Stdout:          string(o.Stdout),
		Stderr:          string(o.Stderr),
		StdoutTruncated: o.StdoutTruncated,
		StderrTruncated: o.StderrTruncated,
		LimitExceeded:   optional(o.LimitExceeded),
	}
}

func millis(d time.Duration) int64 { return d.Milliseconds() }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
