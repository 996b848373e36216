package execute

import (
	"fmt"
	"os"
	"path/filepath"

	"coderun.dev/runner/internal/protocol"
	"coderun.dev/runner/internal/sandbox"
	"coderun.dev/runner/internal/workdir"
)

// checker is the problem setter's compiled checker (or interactor: name says which). It runs
// with the same layers as the program, as the same uid, so the program could change any file
// of it it can reach: nothing of the checker is on disk while the program runs. Its directory
// is kept in a snapshot (in a memfd of the runner, out of the program's reach) and recreated
// from it for each check, after the program's tree is gone; the test's answer is written only
// then, too. (The interactor runs beside the program: see interactor.go.)
type checker struct {
	name string // "checker" or "interactor"
	dir  string // the checker's work directory; exists only while it runs
	snap *workdir.Snapshot
	argv []string
	env  []string
	lim  protocol.Limits
}

// Names of the files a check gets, in testlib's order: input, output, answer.
var checkFiles = []string{"input", "output", "answer"}

// compileChecker writes and compiles the checker (name: or the interactor) in a directory
// of its own under judgeDir, outside the program's work directory; written gets its compile
// step's result.
// Nil without error: it did not compile (its result is written; the operator reports it as
// the problem setter's fault) and no test is run.
func compileChecker(sb *sandbox.Session, judgeDir, name string, c *protocol.Checker, written func(protocol.CompileResult)) (*checker, error) {
	dir, err := os.MkdirTemp(judgeDir, "coderun-"+name+"-")
	if err != nil {
		return nil, fmt.Errorf("cannot create the %s's directory: %v", name, err)
	}
	chk := &checker{name: name, dir: dir, argv: c.RunCommand, env: ProgramEnv(dir, c.Env), lim: c.Limits}
	if err := chk.build(sb, c, written); err != nil || chk.snap == nil {
		_ = workdir.ForceRemove(dir)
		return nil, err
	}
	return chk, nil
}

func (chk *checker) build(sb *sandbox.Session, c *protocol.Checker, written func(protocol.CompileResult)) error {
	if err := workdir.WriteFiles(chk.dir, c.Files); err != nil {
		return fmt.Errorf("%s: %v", chk.name, err)
	}
	if c.CompileCommand != nil {
		left := sb.Remember(chk.dir, false)
		o, err := sb.Run(sandbox.Spec{Argv: c.CompileCommand, Dir: chk.dir, Env: chk.env, Limits: c.CompileLimits, MergeOutput: true})
		if err != nil {
			return fmt.Errorf("the %s's compile command %q could not be started: %v", chk.name, c.CompileCommand[0], err)
		}
		res := compileResult(o)
		written(res)
		if err := left.Sweep(); err != nil {
			return fmt.Errorf("after the %s's compile step: %v", chk.name, err)
		}
		if !res.Succeeded() {
			return nil
		}
	}
	snap, err := workdir.Take(chk.dir)
	if err != nil {
		return fmt.Errorf("%s: %v", chk.name, err)
	}
	chk.snap = snap
	if err := workdir.ForceRemove(chk.dir); err != nil {
		return fmt.Errorf("cannot put the %s away before the tests: %v", chk.name, err)
	}
	return nil
}

// unpack recreates the checker's directory from its snapshot and a fresh directory beside it
// with the files of a test (named as files, with contents), and returns the argv with their
// paths appended and both directories; cleanup removes them.
func (chk *checker) unpack(names []string, contents [][]byte) (argv, dirs []string, cleanup func(), err error) {
	// Whatever stands at the checker's path now was put there by the program: it goes.
	if err := workdir.ForceRemove(chk.dir); err != nil && !os.IsNotExist(err) {
		return nil, nil, nil, err
	}
	if err := os.Mkdir(chk.dir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("cannot recreate the %s's directory: %v", chk.name, err)
	}
	removeDir := func() { _ = workdir.ForceRemove(chk.dir) }
	if err := chk.snap.Restore(); err != nil {
		removeDir()
		return nil, nil, nil, fmt.Errorf("cannot restore the %s: %v", chk.name, err)
	}
	data, err := os.MkdirTemp(filepath.Dir(chk.dir), "coderun-"+chk.name+"-files-")
	if err != nil {
		removeDir()
		return nil, nil, nil, fmt.Errorf("cannot create the %s's test directory: %v", chk.name, err)
	}
	cleanup = func() {
		removeDir()
		_ = workdir.ForceRemove(data)
	}
	argv = append([]string{}, chk.argv...)
	for i, content := range contents {
		p := filepath.Join(data, names[i])
		if err := os.WriteFile(p, content, 0o644); err != nil {
			cleanup()
			return nil, nil, nil, fmt.Errorf("cannot write the %s's %s file: %v", chk.name, names[i], err)
		}
		argv = append(argv, p)
	}
	return argv, []string{chk.dir, data}, cleanup, nil
}

// check runs the checker on one test: its input, the program's output and the answer.
func (chk *checker) check(sb *sandbox.Session, t protocol.Test, output []byte) (protocol.Run, error) {
	argv, _, cleanup, err := chk.unpack(checkFiles, [][]byte{[]byte(t.Stdin), output, []byte(t.Answer)})
	if err != nil {
		return protocol.Run{}, err
	}
	defer cleanup()
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
