package execute

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"coderun.dev/runner/internal/interact"
	"coderun.dev/runner/internal/protocol"
	"coderun.dev/runner/internal/sandbox"
)

// Names of the files an interactor gets, in testlib's order: the input (the test's stdin,
// which the program never sees), the output (a file the interactor may write, e.g. for a
// later checker; unused here), and the answer.
var interactFiles = []string{"input", "output", "answer"}

// interactTest runs one test of an interactive problem: the program and the interactor at
// the same time, each under a side runner of its own (package interact). The interactor's
// directory and files exist only during the test, under the judge directory; each side runs in
// a Landlock domain of its own (program.Confine hides the judge directory, the interactor
// reaches its two directories in it), so the program, though it runs as the same uid at the
// same time, can neither open those files nor the interactor's memory or fds in /proc (see
// PROTOCOL.md, "Interactor").
func interactTest(inter *checker, t protocol.Test, program interact.Side) (prog, interactor protocol.Run, err error) {
	argv, dirs, cleanup, err := inter.unpack(interactFiles, [][]byte{[]byte(t.Stdin), nil, []byte(t.Answer)})
	if err != nil {
		return prog, interactor, err
	}
	defer cleanup()
	own := &sandbox.Confinement{Hide: program.Confine.Hide, Reach: dirs}
	p, i, err := interact.Run(program, interact.Side{Argv: argv, Dir: inter.dir, Env: inter.env, Limits: inter.lim, Confine: own})
	if err != nil {
		return prog, interactor, fmt.Errorf("the interactive test could not run: %v", err)
	}
	return runResult(p), runResult(i), nil
}

// interactiveConfinement is the program's side of an interactive job: the top-level directory
// that holds the judge directory is hidden from it. That directory must hold neither the work
// directory nor the temporary directory, which the program needs.
func interactiveConfinement(dirs Dirs) (*sandbox.Confinement, error) {
	if dirs.Judge == "" || !filepath.IsAbs(dirs.Judge) {
		return nil, errors.New("an interactive job needs runner run --judge-dir with an absolute path: the interactor's files go there, out of the program's reach")
	}
	hide := sandbox.TopLevel(dirs.Judge)
	for _, needed := range []string{dirs.Work, os.TempDir()} {
		if sandbox.TopLevel(needed) == hide {
			return nil, fmt.Errorf("the judge directory %s must be in a top-level directory apart from %s, which the program needs: it is hidden from the program", dirs.Judge, needed)
		}
	}
	return &sandbox.Confinement{Hide: hide}, nil
}
