// Command runner is the sandbox runner injected into every sandbox pod: it writes a job's
// files, compiles, runs each test under limits, and prints one JSON result document.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"coderun.dev/runner/internal/execute"
	"coderun.dev/runner/internal/idle"
	"coderun.dev/runner/internal/install"
	"coderun.dev/runner/internal/interact"
	"coderun.dev/runner/internal/protocol"
	"coderun.dev/runner/internal/sandbox"
	"coderun.dev/runner/internal/workdir"
)

// The shim's no_new_privs and seccomp filter are per-thread and must be set on the thread
// that calls execve, so main starts locked to the process's first thread (locking in init is
// the only way to get that thread); every other command unlocks it at once.
func init() { runtime.LockOSThread() }

const usage = `usage:
  runner install DIR                  copy this binary to DIR/runner
  runner idle                         wait as PID 1 of a warm pod, reaping zombies, until SIGTERM
  runner run [--workdir DIR] [--judge-dir DIR] [--pristine] [FILE]
                                      run the job document in FILE (or stdin), print the result JSON;
                                      --judge-dir holds the checker's and the interactor's files, in a
                                      top-level directory the program is kept out of (interactive jobs);
                                      --pristine first removes what an earlier run in this container
                                      left (processes, files, IPC) and refuses if it cannot
`

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

func dispatch(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	if args[0] != sandbox.ShimCommand {
		runtime.UnlockOSThread()
	}
	switch args[0] {
	case "run":
		// The runner mostly waits; one P keeps its idle threads from spinning on the CPUs
		// the program is being timed on.
		runtime.GOMAXPROCS(1)
		return runCommand(args[1:], os.Stdin, os.Stdout)
	case "install":
		if len(args) != 2 {
			fmt.Fprint(os.Stderr, "runner install: give exactly one directory\n"+usage)
			return 2
		}
		dest, err := install.Install(args[1])
		if err != nil {
			fmt.Fprintf(os.Stderr, "runner install: %v\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "runner installed at %s\n", dest)
		return 0
	case "idle":
		return idle.Run()
	case sandbox.ShimCommand:
		return sandbox.ShimMain(args[1:])
	case interact.SideCommand:
		return interact.SideMain(os.Stdin, os.Stdout)
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "runner: unknown command %q\n%s", args[0], usage)
	return 2
}

// runCommand always prints exactly one result document and exits 0 once it has, whatever
// went wrong before; only a failure to write the result itself exits 1.
func runCommand(args []string, stdin io.Reader, stdout io.Writer) int {
	out := protocol.NewResultWriter(stdout)
	var message *string
	parsed, err := parseRunArgs(args)
	if err == nil {
		err = runJob(parsed, stdin, out)
	}
	if err != nil {
		text := err.Error()
		message = &text
	}
	if err := out.Finish(message); err != nil {
		fmt.Fprintf(os.Stderr, "runner: cannot write the result: %v\n", err)
		return 1
	}
	if parsed.file == "" {
		awaitInputEnd(stdin)
	}
	return 0
}

// inputEndWait bounds how long the runner waits, after its result, for its stdin to end.
const inputEndWait = 30 * time.Second

// awaitInputEnd returns when stdin ends (or after inputEndWait). The operator closes the exec's
// stdin once it has read the whole result: the API server can relay the exec's exit status
// before the last output bytes and then drop them, so the runner must not exit before then.
func awaitInputEnd(stdin io.Reader) {
	ended := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(inputEndWait):
		fmt.Fprintln(os.Stderr, "runner: stdin did not end after the result; exiting")
	}
}

// runArgs are the arguments of `runner run`.
type runArgs struct {
	workdir  string
	judgeDir string // where checkers and interactors get their directories ("" the temporary directory)
	file     string // "" reads the job from stdin
	pristine bool   // a pool pod that may have served before: clean and verify first
}

func parseRunArgs(args []string) (runArgs, error) {
	fs := flag.NewFlagSet("runner run", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error goes into the result instead
	dirFlag := fs.String("workdir", "", "work directory (default $CODERUN_WORKDIR, else a new temporary directory)")
	pristine := fs.Bool("pristine", false, "remove what an earlier run in this container left, and verify it, before the job")
	judgeFlag := fs.String("judge-dir", "", "where checkers and interactors get their directories: in a top-level directory apart from the work directory (default the temporary directory; an interactive job needs it)")
	const runUsage = "usage: runner run [--workdir DIR] [--judge-dir DIR] [--pristine] [FILE]"
	if err := fs.Parse(args); err != nil {
		return runArgs{}, errors.New("bad arguments to runner run: " + err.Error() + "; " + runUsage)
	}
	if fs.NArg() > 1 {
		return runArgs{}, errors.New("runner run takes at most one job file; " + runUsage)
	}
	if *pristine && *dirFlag == "" {
		return runArgs{}, errors.New("runner run --pristine needs --workdir: it empties that directory; " + runUsage)
	}
	return runArgs{workdir: *dirFlag, judgeDir: *judgeFlag, file: fs.Arg(0), pristine: *pristine}, nil
}

// runJob returns a failure of the runner or of the job document, never of the program; the
// results of the steps that ran before it are already written to out.
func runJob(args runArgs, stdin io.Reader, out *protocol.ResultWriter) (err error) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "runner: internal error: %v\n", p)
			err = fmt.Errorf("internal runner error: %v", p)
		}
	}()
	src := stdin
	if args.file != "" {
		f, err := os.Open(args.file)
		if err != nil {
			return fmt.Errorf("cannot open the job document: %v", err)
		}
		defer f.Close()
		src = f
	}
	// Before the job is read: a session opened ahead into a pool pod does this while it waits,
	// off the run's path. Nothing but the operator's exec can start a process here afterwards.
	if args.pristine {
		if err := sandbox.MakePristine(sandbox.PodPlaces(args.workdir, args.judgeDir)); err != nil {
			return err
		}
	}
	sb, err := sandbox.Prepare(args.judgeDir)
	if err != nil {
		return err
	}
	job, err := protocol.ReadJob(src)
	if err != nil {
		return err
	}
	dir, owned, err := workdir.Choose(args.workdir)
	if err != nil {
		return err
	}
	if owned {
		defer func() {
			if err := os.RemoveAll(dir); err != nil {
				fmt.Fprintf(os.Stderr, "runner: cannot remove the work directory: %v\n", err)
			}
		}()
	}
	return execute.Execute(sb, job, execute.Dirs{Work: dir, Judge: args.judgeDir}, out)
}
