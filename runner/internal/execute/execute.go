// Package execute carries out one job: write its files, compile, run every test, and turn
// what happened into the result document.
package execute

import (
	"fmt"
	"time"

	"coderun.dev/runner/internal/interact"
	"coderun.dev/runner/internal/protocol"
	"coderun.dev/runner/internal/sandbox"
	"coderun.dev/runner/internal/workdir"
)

// Dirs are where a job's files go: the program's work directory, and the directory under which
// the checker and the interactor get theirs ("" the temporary directory).
type Dirs struct {
	Work, Judge string
}

// Execute runs a validated job in dirs.Work and writes the compile step's and each test's
// result to out as soon as it has them. A returned error is a failure of the runner itself
// (files that cannot be written, a command that cannot be started, leftovers that cannot be
// removed): it ends the job, and the results written so far stand.
func Execute(sb *sandbox.Session, job protocol.Job, dirs Dirs, out *protocol.ResultWriter) error {
	dir := dirs.Work
	var confine *sandbox.Confinement
	if job.Interactor != nil {
		var err error
		if confine, err = interactiveConfinement(dirs); err != nil {
			return err
		}
	}
	if err := workdir.WriteFiles(dir, job.Files); err != nil {
		return err
	}
	env := ProgramEnv(dir, job.Env)
	// What a step leaves in /tmp, /dev/shm or SysV IPC is removed after it, so that it neither
	// counts against the next step's memory nor carries data over to it.
	left := sb.Remember(dir, false)
	if job.CompileCommand != nil {
		o, err := sb.Run(sandbox.Spec{
			Argv: job.CompileCommand, Dir: dir, Env: env, Limits: job.CompileLimits, MergeOutput: true,
		})
		if err != nil {
			return fmt.Errorf("compile command %q could not be started: %v", job.CompileCommand[0], err)
		}
		res := compileResult(o)
		out.Compile(res)
		if err := left.Sweep(); err != nil {
			return fmt.Errorf("after the compile step: %v", err)
		}
		if !res.Succeeded() {
			return nil
		}
		if job.CompileOutputs != nil {
			if err := workdir.KeepOnly(dir, job.CompileOutputs); err != nil {
				return err
			}
		}
	}
	if len(job.Tests) == 0 {
		return nil
	}
	var chk, inter *checker
	if job.Checker != nil {
		var err error
		if chk, err = compileChecker(sb, dirs.Judge, "checker", job.Checker, out.CheckerCompile); err != nil || chk == nil {
			return err
		}
		defer chk.close()
	}
	if job.Interactor != nil {
		var err error
		if inter, err = compileChecker(sb, dirs.Judge, "interactor", job.Interactor, out.InteractorCompile); err != nil || inter == nil {
			return err
		}
		defer inter.close()
	}
	// Every test finds the work directory exactly as the compile step left it (or as the
	// job's files made it): names, contents, modes, times, extended attributes. The
	// snapshot lives in the runner, out of the program's reach; after each test whatever
	// the test changed is put back and whatever it added is removed, so a test can neither
	// read an earlier test's traces nor break a later test (replacing ./main, say).
	snap, err := workdir.Take(dir)
	if err != nil {
		return err
	}
	defer snap.Close()
	left = sb.Remember(dir, false)
	for _, t := range job.Tests {
		var res protocol.TestResult
		var output []byte
		if inter != nil {
			run, judged, err := interactTest(inter, t, interact.Side{Argv: job.RunCommand, Dir: dir, Env: env, Limits: job.Limits, Confine: confine})
			if err != nil {
				return fmt.Errorf("test %q: %v", t.Name, err)
			}
			res = protocol.TestResult{Name: t.Name, Run: run, Interactor: &judged}
		} else {
			o, err := sb.Run(sandbox.Spec{
				Argv: job.RunCommand, Dir: dir, Env: env, Stdin: []byte(t.Stdin), Limits: job.Limits,
			})
			if err != nil {
				return fmt.Errorf("run command %q could not be started for test %q: %v", job.RunCommand[0], t.Name, err)
			}
			res, output = protocol.TestResult{Name: t.Name, Run: runResult(o)}, o.Stdout
		}
		if err := left.Sweep(); err != nil {
			return fmt.Errorf("after test %q: %v", t.Name, err)
		}
		if err := snap.Restore(); err != nil {
			return fmt.Errorf("after test %q: restoring the work directory: %v", t.Name, err)
		}
		// The checker runs once nothing of the program is left: no process, no file.
		if chk != nil && res.Finished() {
			run, err := chk.check(sb, t, output)
			if err != nil {
				return fmt.Errorf("checking test %q: %v", t.Name, err)
			}
			res.Checker = &run
		}
		out.Test(res)
	}
	return nil
}

func compileResult(o sandbox.Outcome) protocol.CompileResult {
	return protocol.CompileResult{
		ExitCode:        o.ExitCode,
		Signal:          o.Signal,
		Output:          o.Stdout,
		OutputTruncated: o.StdoutTruncated,
		CPUTimeMillis:   millis(o.CPUTime),
		WallTimeMillis:  millis(o.WallTime),
		LimitExceeded:   optional(o.LimitExceeded),
	}
}

func runResult(o sandbox.Outcome) protocol.Run {
	return protocol.Run{
		ExitCode:        o.ExitCode,
		Signal:          o.Signal,
		CPUTimeMillis:   millis(o.CPUTime),
		WallTimeMillis:  millis(o.WallTime),
		MemoryKiB:       o.MemoryKiB,
		Stdout:          o.Stdout,
		Stderr:          o.Stderr,
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
