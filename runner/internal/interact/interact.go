// Package interact runs the two sides of an interactive test at the same time: the program
// and the interactor, the program's stdout piped to the interactor's stdin and the
// interactor's stdout to the program's stdin. Each side runs under a runner of its own (this
// binary's hidden `side` command): a child subreaper whose tree is that side alone, so each
// side's guard keeps it from signalling or tracing the other side and both runners, and each
// side's limits, kill and measurements see its own processes only.
package interact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"coderun.dev/runner/internal/protocol"
	"coderun.dev/runner/internal/sandbox"
)

// SideCommand is the hidden command that runs one side.
const SideCommand = "side"

// Side is what one side runs: as sandbox.Spec without stdin bytes (its stdin and stdout are
// the pipes to the other side) and without merged output.
type Side struct {
	Argv    []string             `json:"argv"`
	Dir     string               `json:"dir"`
	Env     []string             `json:"env"`
	Limits  protocol.Limits      `json:"limits"`
	Confine *sandbox.Confinement `json:"confine,omitempty"`
}

// sideReply is what the side command prints on its stdout.
type sideReply struct {
	Outcome *sandbox.Outcome `json:"outcome,omitempty"`
	Error   string           `json:"error,omitempty"`
}

// Run runs the program and the interactor together and returns what each did. An error is
// the runner's own failure (a side that could not be started), never a side's.
func Run(program, interactor Side) (prog, inter sandbox.Outcome, err error) {
	toProgramR, toProgramW, err := os.Pipe()
	if err != nil {
		return prog, inter, fmt.Errorf("create the interactor-to-program pipe: %v", err)
	}
	toInteractorR, toInteractorW, err := os.Pipe()
	if err != nil {
		toProgramR.Close()
		toProgramW.Close()
		return prog, inter, fmt.Errorf("create the program-to-interactor pipe: %v", err)
	}
	ends := []*os.File{toProgramR, toProgramW, toInteractorR, toInteractorW}
	progCmd, progOut, err := startSide(program, toProgramR, toInteractorW)
	if err != nil {
		closeAll(ends)
		return prog, inter, fmt.Errorf("the program's side: %v", err)
	}
	interCmd, interOut, err := startSide(interactor, toInteractorR, toProgramW)
	// The sides hold their own copies now: once a side's tree is gone, the other side's
	// reads see EOF and its writes EPIPE (SIGPIPE).
	closeAll(ends)
	if err != nil {
		_ = progCmd.Process.Kill()
		_ = progCmd.Wait()
		return prog, inter, fmt.Errorf("the interactor's side: %v", err)
	}
	progErr := waitSide(progCmd, progOut, &prog)
	interErr := waitSide(interCmd, interOut, &inter)
	if progErr != nil {
		return prog, inter, fmt.Errorf("the program's side: %v", progErr)
	}
	if interErr != nil {
		return prog, inter, fmt.Errorf("the interactor's side: %v", interErr)
	}
	return prog, inter, nil
}

func startSide(side Side, stdin, stdout *os.File) (*exec.Cmd, *bytes.Buffer, error) {
	request, err := json.Marshal(side)
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{"runner", SideCommand},
		Env:        []string{},
		Stdin:      bytes.NewReader(request),
		Stdout:     &out,
		Stderr:     os.Stderr,
		ExtraFiles: []*os.File{stdin, stdout}, // fds 3 and 4
		// If the runner dies, the side and (through its own Pdeathsig) its tree go too.
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	return cmd, &out, nil
}

func waitSide(cmd *exec.Cmd, out *bytes.Buffer, into *sandbox.Outcome) error {
	waitErr := cmd.Wait()
	var reply sideReply
	if err := json.Unmarshal(out.Bytes(), &reply); err != nil {
		return fmt.Errorf("no result from the side runner (%v): %v", waitErr, err)
	}
	if reply.Error != "" {
		return errors.New(reply.Error)
	}
	if reply.Outcome == nil {
		return fmt.Errorf("the side runner reported nothing (%v)", waitErr)
	}
	*into = *reply.Outcome
	return nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// SideMain is the side command: it reads a Side on stdin, runs it with fds 3 and 4 as its
// stdin and stdout, and prints a sideReply on stdout.
func SideMain(stdin io.Reader, stdout io.Writer) int {
	// The runner mostly waits; one P keeps its idle threads off the CPUs the sides use.
	runtime.GOMAXPROCS(1)
	outcome, err := runSide(stdin)
	reply := sideReply{Outcome: outcome}
	if err != nil {
		reply = sideReply{Error: err.Error()}
	}
	if err := json.NewEncoder(stdout).Encode(reply); err != nil {
		fmt.Fprintf(os.Stderr, "runner side: cannot write the result: %v\n", err)
		return 1
	}
	return 0
}

func runSide(stdin io.Reader) (*sandbox.Outcome, error) {
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	in, out := os.NewFile(3, "side stdin"), os.NewFile(4, "side stdout")
	defer in.Close()
	defer out.Close()
	var side Side
	if err := json.NewDecoder(stdin).Decode(&side); err != nil {
		return nil, fmt.Errorf("cannot read the side's request: %v", err)
	}
	sb, err := sandbox.PrepareBeside()
	if err != nil {
		return nil, err
	}
	o, err := sb.Run(sandbox.Spec{Argv: side.Argv, Dir: side.Dir, Env: side.Env, Limits: side.Limits, StdinFile: in, StdoutFile: out, Confine: side.Confine})
	if err != nil {
		return nil, fmt.Errorf("%q could not be started: %v", side.Argv[0], err)
	}
	return &o, nil
}
