package execute

import (
	"fmt"
	"os"
	"path/filepath"

	"coderun.dev/runner/internal/protocol"
	"coderun.dev/runner/internal/sandbox"
	"coderun.dev/runner/internal/workdir"
)

// checker is the problem setter's compiled checker. It runs with the same layers as the
// program, as the same uid, so the program could change any file of it it can reach: nothing
// of the checker is on disk while the program runs. Its directory is kept in a snapshot (in a
// memfd of the runner, out of the program's reach) and recreated from it for each check,
// after the program's tree is gone; the test's answer is written only then, too.
type checker struct {
	dir  string // the checker's work directory; exists only while it runs
	snap *workdir.Snapshot
	argv []string
	env  []string
	lim  protocol.Limits
}

// Names of the files a check gets, in testlib's order: input, output, answer.
var checkFiles = []string{"input", "output", "answer"}

// compileChecker writes and compiles the checker in a directory of its own, outside the
// program's work directory. Nil without error: the checker did not compile (its result is
// written; the operator reports it as the problem setter's fault) and no test is run.
func compileChecker(sb *sandbox.Session, c *protocol.Checker, out *protocol.ResultWriter) (*checker, error) {
	dir, err := os.MkdirTemp("", "coderun-checker-")
	if err != nil {
		return nil, fmt.Errorf("cannot create the checker's directory: %v", err)
	}
	chk := &checker{dir: dir, argv: c.RunCommand, env: ProgramEnv(dir, c.Env), lim: c.Limits}
	if err := chk.build(sb, c, out); err != nil || chk.snap == nil {
		_ = workdir.ForceRemove(dir)
		return nil, err
	}
	return chk, nil
}

func (chk *checker) build(sb *sandbox.Session, c *protocol.Checker, out *protocol.ResultWriter) error {
	if err := workdir.WriteFiles(chk.dir, c.Files); err != nil {
		return fmt.Errorf("checker: %v", err)
	}
	if c.CompileCommand != nil {
		left := sb.Remember(chk.dir, false)
		o, err := sb.Run(sandbox.Spec{Argv: c.CompileCommand, Dir: chk.dir, Env: chk.env, Limits: c.CompileLimits, MergeOutput: true})
		if err != nil {
			return fmt.Errorf("the checker's compile command %q could not be started: %v", c.CompileCommand[0], err)
		}
		res := compileResult(o)
		out.CheckerCompile(res)
		if err := left.Sweep(); err != nil {
			return fmt.Errorf("after the checker's compile step: %v", err)
		}
		if !res.Succeeded() {
			return nil
		}
	}
	snap, err := workdir.Take(chk.dir)
	if err != nil {
		return fmt.Errorf("checker: %v", err)
	}
	chk.snap = snap
	if err := workdir.ForceRemove(chk.dir); err != nil {
		return fmt.Errorf("cannot put the checker away before the tests: %v", err)
	}
	return nil
}

// check runs the checker on one test: its input, the program's output and the answer.
func (chk *checker) check(sb *sandbox.Session, t protocol.Test, output []byte) (protocol.Run, error) {
	// Whatever stands at the checker's path now was put there by the program: it goes.
	if err := workdir.ForceRemove(chk.dir); err != nil && !os.IsNotExist(err) {
		return protocol.Run{}, err
	}
	if err := os.Mkdir(chk.dir, 0o700); err != nil {
		return protocol.Run{}, fmt.Errorf("cannot recreate the checker's directory: %v", err)
	}
	defer func() { _ = workdir.ForceRemove(chk.dir) }()
	if err := chk.snap.Restore(); err != nil {
		return protocol.Run{}, fmt.Errorf("cannot restore the checker: %v", err)
	}
	data, err := os.MkdirTemp("", "coderun-check-")
	if err != nil {
		return protocol.Run{}, fmt.Errorf("cannot create the check's directory: %v", err)
	}
	defer func() { _ = workdir.ForceRemove(data) }()
	argv := append([]string{}, chk.argv...)
	for i, content := range [][]byte{[]byte(t.Stdin), output, []byte(t.Answer)} {
		p := filepath.Join(data, checkFiles[i])
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return protocol.Run{}, fmt.Errorf("cannot write the check's %s file: %v", checkFiles[i], err)
		}
		argv = append(argv, p)
	}
	left := sb.Remember(chk.dir, false)
	o, err := sb.Run(sandbox.Spec{Argv: argv, Dir: chk.dir, Env: chk.env, Limits: chk.lim})
	if err != nil {
		return protocol.Run{}, fmt.Errorf("the checker's command %q could not be started: %v", chk.argv[0], err)
	}
	if err := left.Sweep(); err != nil {
		return protocol.Run{}, fmt.Errorf("after the checker: %v", err)
	}
	return runResult(o), nil
}

func (chk *checker) close() { chk.snap.Close() }
