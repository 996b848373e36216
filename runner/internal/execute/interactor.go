package execute

import (
	"fmt"

	"coderun.dev/runner/internal/interact"
	"coderun.dev/runner/internal/protocol"
)

// Names of the files an interactor gets, in testlib's order: the input (the test's stdin,
// which the program never sees), the output (a file the interactor may write, e.g. for a
// later checker; unused here), and the answer.
var interactFiles = []string{"input", "output", "answer"}

// interactTest runs one test of an interactive problem: the program and the interactor at
// the same time, each under a side runner of its own (package interact). The interactor's
// directory and files exist only during the test; unlike a checker's, they are on disk while
// the program runs, as the same uid (see PROTOCOL.md, "Interactor").
func interactTest(inter *checker, t protocol.Test, program interact.Side) (prog, interactor protocol.Run, err error) {
	argv, cleanup, err := inter.unpack(interactFiles, [][]byte{[]byte(t.Stdin), nil, []byte(t.Answer)})
	if err != nil {
		return prog, interactor, err
	}
	defer cleanup()
	p, i, err := interact.Run(program, interact.Side{Argv: argv, Dir: inter.dir, Env: inter.env, Limits: inter.lim})
	if err != nil {
		return prog, interactor, fmt.Errorf("the interactive test could not run: %v", err)
	}
	return runResult(p), runResult(i), nil
}
