package main_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// guessInteractor is testlib's interactor convention in sh: the secret comes from the input
// file ($1), the program gets "higher", "lower" or "correct" for each guess and at most 10
// guesses; the exit code is the verdict (0 accepted, 1 wrong answer, 2 presentation error).
const guessInteractor = `
read n < "$1"
echo "secret $n" > "$2"
i=0
while read g; do
  i=$((i+1))
  if [ "$g" = "$n" ]; then echo correct; echo "guessed $n in $i" >&2; exit 0; fi
  if [ $i -ge 10 ]; then echo "too many guesses" >&2; exit 1; fi
  if [ "$g" -lt "$n" ]; then echo higher; else echo lower; fi
done
echo "the program stopped before guessing $n" >&2; exit 2
`

// binarySearch plays the game right; linearSearch needs up to 100 guesses.
const binarySearch = `lo=1; hi=100
while :; do m=$(( (lo+hi)/2 )); echo $m; read r || exit 3
  case $r in correct) exit 0;; higher) lo=$((m+1));; lower) hi=$((m-1));; esac
done`

const linearSearch = `i=1; while :; do echo $i; read r || exit 3; [ "$r" = correct ] && exit 0; i=$((i+1)); done`

func interactiveJob(argv []string, files []any, tests []any, lim limits, interactor map[string]any) map[string]any {
	return map[string]any{
		"files":      files,
		"run":        map[string]any{"command": argv},
		"tests":      tests,
		"limits":     lim,
		"interactor": interactor,
	}
}

func shProgram(script string) ([]string, []any) {
	return []string{"sh", "main.sh"}, []any{map[string]any{"path": "main.sh", "content": script}}
}

func scriptInteractor(script string, lim limits) map[string]any {
	return map[string]any{
		"files":  []any{map[string]any{"path": "interact.sh", "content": script}},
		"run":    map[string]any{"command": []string{"sh", "interact.sh"}},
		"limits": lim,
	}
}

func secretTests(secrets ...string) []any {
	var tests []any
	for _, s := range secrets {
		tests = append(tests, map[string]any{"name": "n" + s, "stdin": s + "\n"})
	}
	return tests
}

// runInteractive runs an interactive job and returns its tests, failing on a runner error.
func runInteractive(t *testing.T, job map[string]any, want int) []testResult {
	t.Helper()
	inv := run(t, newWorkdir(t), job)
	if inv.result.Error != nil || len(inv.result.Tests) != want {
		t.Fatalf("error %s, %d results; want %d results and no error\nstderr: %s", str(inv.result.Error), len(inv.result.Tests), want, inv.stderr)
	}
	for _, r := range inv.result.Tests {
		if r.Interactor == nil {
			t.Fatalf("test %s has no interactor run", r.Name)
		}
	}
	assertNothingLeft(t)
	return inv.result.Tests
}

func TestTheProgramAndTheInteractorTalkThroughPipes(t *testing.T) {
	argv, files := shProgram(binarySearch)
	tests := runInteractive(t, interactiveJob(argv, files, secretTests("1", "37", "100"), defaultLimits(),
		scriptInteractor(guessInteractor, defaultLimits())), 3)
	for _, r := range tests {
		i := r.Interactor
		if num(r.ExitCode) != "0" || num(i.ExitCode) != "0" || !strings.HasPrefix(i.Stderr, "guessed "+r.Name[1:]+" in ") {
			t.Errorf("test %s: program exit %s stderr %q; interactor exit %s stderr %q; want both 0 and the interactor's guess count",
				r.Name, num(r.ExitCode), r.Stderr, num(i.ExitCode), i.Stderr)
		}
		// The program's stdout went to the interactor, not into the result.
		if r.Stdout != "" || i.Stdout != "" {
			t.Errorf("test %s: stdout %q and interactor stdout %q are the pipes' and must not be captured", r.Name, r.Stdout, i.Stdout)
		}
	}

	argv, files = shProgram(linearSearch)
	tests = runInteractive(t, interactiveJob(argv, files, secretTests("5", "50"), defaultLimits(),
		scriptInteractor(guessInteractor, defaultLimits())), 2)
	if i := tests[0].Interactor; num(i.ExitCode) != "0" {
		t.Errorf("5 in 5 linear guesses: interactor exit %s, stderr %q; want 0", num(i.ExitCode), i.Stderr)
	}
	// The interactor stops listening after 10 guesses: the program's next write breaks the
	// pipe (SIGPIPE) or its read ends (exit 3); the interactor's verdict stands.
	if i, p := tests[1].Interactor, tests[1]; num(i.ExitCode) != "1" || i.Stderr != "too many guesses\n" || p.LimitExceeded != nil {
		t.Errorf("50 by linear search: interactor exit %s stderr %q, program limit %s; want the interactor's exit 1 and no program limit",
			num(i.ExitCode), i.Stderr, str(p.LimitExceeded))
	}
}

// The program does not get the test's input: only the interactor has it, as a file.
func TestTheProgramSeesOnlyTheInteractor(t *testing.T) {
	argv, files := shProgram(`read first; echo "first line: $first" >&2; echo 42`)
	interactor := `read n < "$1"; echo hello; read g; echo "got $g, secret $n" >&2; exit 0`
	tests := runInteractive(t, interactiveJob(argv, files, secretTests("77"), defaultLimits(), scriptInteractor(interactor, defaultLimits())), 1)
	if r := tests[0]; r.Stderr != "first line: hello\n" || r.Interactor.Stderr != "got 42, secret 77\n" {
		t.Errorf("program stderr %q, interactor stderr %q; want the interactor's line and the program's answer", r.Stderr, r.Interactor.Stderr)
	}
}

func TestAProgramThatNeverAnswersRunsIntoItsWallLimitNotItsCPULimit(t *testing.T) {
	argv, files := shProgram(`sleep 30`)
	lim := defaultLimits().with("wallTimeMillis", 1000)
	tests := runInteractive(t, interactiveJob(argv, files, secretTests("5"), lim, scriptInteractor(guessInteractor, defaultLimits())), 1)
	r := tests[0]
	if str(r.LimitExceeded) != "wallTime" || r.CPUTimeMillis > 200 {
		t.Errorf("program limit %s after %d ms of CPU; want wallTime with almost no CPU", str(r.LimitExceeded), r.CPUTimeMillis)
	}
	// Once the program's tree is gone the interactor reads EOF and ends by itself.
	if i := r.Interactor; num(i.ExitCode) != "2" || i.LimitExceeded != nil || i.CPUTimeMillis > 200 {
		t.Errorf("interactor exit %s limit %s CPU %d ms stderr %q; want exit 2 at EOF, no limit, almost no CPU",
			num(i.ExitCode), str(i.LimitExceeded), i.CPUTimeMillis, i.Stderr)
	}
}

// spinner is a program that burns argv[1] ms of its own CPU time.
func spinner(t *testing.T) string {
	return compileC(t, "interact_spin", `#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
	long want = atol(argv[1]) * 1000000L;
	struct timespec ts;
	do clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); while (ts.tv_sec * 1000000000L + ts.tv_nsec < want);
	return 0;
}
`)
}

func TestEachSideIsChargedOnlyItsOwnCPU(t *testing.T) {
	// The interactor thinks before its first reply; the program waits for it.
	spin := spinner(t)
	slow := strings.Replace(guessInteractor, "i=0\n", "i=0\n"+spin+" 1000\n", 1)
	argv, files := shProgram(binarySearch)
	lim := defaultLimits().with("cpuTimeMillis", 500, "wallTimeMillis", 20000)
	tests := runInteractive(t, interactiveJob(argv, files, secretTests("37"), lim,
		scriptInteractor(slow, defaultLimits().with("cpuTimeMillis", 10000, "wallTimeMillis", 20000))), 1)
	r := tests[0]
	if num(r.ExitCode) != "0" || r.LimitExceeded != nil || r.CPUTimeMillis > 300 || r.WallTimeMillis < 900 {
		t.Errorf("program waiting for a busy interactor: exit %s limit %s CPU %d ms wall %d ms; want exit 0 with little CPU over seconds of wall",
			num(r.ExitCode), str(r.LimitExceeded), r.CPUTimeMillis, r.WallTimeMillis)
	}
	if i := r.Interactor; num(i.ExitCode) != "0" || i.CPUTimeMillis < 900 {
		t.Errorf("busy interactor: exit %s CPU %d ms stderr %q; want exit 0 with its second or more of CPU", num(i.ExitCode), i.CPUTimeMillis, i.Stderr)
	}

	// And the other way round: a program that thinks is charged, the waiting interactor not.
	argv, files = shProgram(spin + " 1000; " + binarySearch)
	tests = runInteractive(t, interactiveJob(argv, files, secretTests("50"), defaultLimits().with("cpuTimeMillis", 5000),
		scriptInteractor(guessInteractor, defaultLimits().with("cpuTimeMillis", 300))), 1)
	r = tests[0]
	if num(r.ExitCode) != "0" || r.CPUTimeMillis < 700 {
		t.Errorf("busy program: exit %s CPU %d ms; want exit 0 with its second or more of CPU", num(r.ExitCode), r.CPUTimeMillis)
	}
	if i := r.Interactor; num(i.ExitCode) != "0" || i.LimitExceeded != nil || i.CPUTimeMillis > 200 {
		t.Errorf("interactor waiting for a busy program: exit %s limit %s CPU %d ms; want exit 0 with little CPU",
			num(i.ExitCode), str(i.LimitExceeded), i.CPUTimeMillis)
	}
}

func TestAnInteractorThatHangsRunsIntoItsOwnWallLimit(t *testing.T) {
	argv, files := shProgram(`echo 1; exit 0`)
	tests := runInteractive(t, interactiveJob(argv, files, secretTests("5"), defaultLimits(),
		scriptInteractor(`read g; sleep 30`, defaultLimits().with("wallTimeMillis", 1000))), 1)
	r := tests[0]
	if num(r.ExitCode) != "0" || r.LimitExceeded != nil {
		t.Errorf("program: exit %s limit %s; want exit 0", num(r.ExitCode), str(r.LimitExceeded))
	}
	if i := r.Interactor; str(i.LimitExceeded) != "wallTime" {
		t.Errorf("hanging interactor: limit %s exit %s; want wallTime", str(i.LimitExceeded), num(i.ExitCode))
	}
}

func TestAProgramThatWritesAfterTheInteractorLeftGetsSIGPIPE(t *testing.T) {
	argv, files := shProgram(`exec yes`)
	tests := runInteractive(t, interactiveJob(argv, files, secretTests("5"), defaultLimits(),
		scriptInteractor(`read g; echo "no thanks" >&2; exit 1`, defaultLimits())), 1)
	r := tests[0]
	if num(r.Signal) != "13" || r.LimitExceeded != nil || num(r.Interactor.ExitCode) != "1" {
		t.Errorf("program: signal %s exit %s limit %s; interactor exit %s; want SIGPIPE (13) and the interactor's 1",
			num(r.Signal), num(r.ExitCode), str(r.LimitExceeded), num(r.Interactor.ExitCode))
	}
}

func TestAForkBombOnEitherSideStaysWithinThatSidesLimit(t *testing.T) {
	bomb := compileC(t, "interact_forkbomb", "#include <unistd.h>\nint main(void) { for (;;) fork(); }\n")
	lim := defaultLimits().with("processes", 8, "wallTimeMillis", 3000)
	tests := runInteractive(t, interactiveJob([]string{bomb}, nil, secretTests("5"), lim, scriptInteractor(guessInteractor, defaultLimits())), 1)
	if r := tests[0]; str(r.LimitExceeded) != "processes" || r.Interactor.LimitExceeded != nil || num(r.Interactor.ExitCode) != "2" {
		t.Errorf("program's fork bomb: program limit %s; interactor limit %s exit %s; want processes, and the interactor ending at EOF",
			str(r.LimitExceeded), str(r.Interactor.LimitExceeded), num(r.Interactor.ExitCode))
	}
	argv, files := shProgram(binarySearch)
	bombing := map[string]any{"run": map[string]any{"command": []string{bomb}}, "limits": lim}
	tests = runInteractive(t, interactiveJob(argv, files, secretTests("5"), defaultLimits(), bombing), 1)
	if r := tests[0]; str(r.Interactor.LimitExceeded) != "processes" || r.LimitExceeded != nil || num(r.ExitCode) != "3" {
		t.Errorf("interactor's fork bomb: interactor limit %s; program limit %s exit %s signal %s; want processes, and the program ending at EOF (exit 3)",
			str(r.Interactor.LimitExceeded), str(r.LimitExceeded), num(r.ExitCode), num(r.Signal))
	}
}

// everyAttackRefused is what testdata/interact_attack.c reports when every kind of attack on
// every process outside its own tree was refused.
const everyAttackRefused = "SIGKILL on at least 4 others: EPERM\nSIGSTOP on at least 4 others: EPERM\n" +
	"PTRACE_ATTACH on at least 4 others: EPERM\nPTRACE_SEIZE on at least 4 others: EPERM\n"

func TestTheProgramCanNeitherSignalNorTraceTheInteractorOrTheRunners(t *testing.T) {
	bin := compileTestdata(t, "interact_attack")
	tests := runInteractive(t, interactiveJob([]string{bin}, nil, secretTests("63"), defaultLimits(),
		scriptInteractor(guessInteractor, defaultLimits())), 1)
	r := tests[0]
	want := everyAttackRefused
	if r.Stderr != want || num(r.ExitCode) != "0" || num(r.Interactor.ExitCode) != "0" {
		t.Errorf("attack: stderr\n%s\nwant\n%s\nprogram exit %s, interactor exit %s stderr %q; want both 0",
			r.Stderr, want, num(r.ExitCode), num(r.Interactor.ExitCode), r.Interactor.Stderr)
	}
}

func TestTheInteractorCanNeitherSignalNorTraceTheProgramOrTheRunners(t *testing.T) {
	bin := compileTestdata(t, "interact_attack")
	argv, files := shProgram(binarySearch)
	attacker := map[string]any{"run": map[string]any{"command": []string{bin}}, "limits": defaultLimits()}
	tests := runInteractive(t, interactiveJob(argv, files, secretTests("50"), defaultLimits(), attacker), 1)
	r := tests[0]
	want := everyAttackRefused
	if r.Interactor.Stderr != want || num(r.Interactor.ExitCode) != "0" || num(r.ExitCode) != "0" || r.LimitExceeded != nil {
		t.Errorf("attack: stderr\n%s\nwant\n%s\ninteractor exit %s, program exit %s signal %s; want both 0",
			r.Interactor.Stderr, want, num(r.Interactor.ExitCode), num(r.ExitCode), num(r.Signal))
	}
}

// The program runs as the interactor's uid, at the same time: without a Landlock domain of
// its own it could open the interactor's input and answer files by the paths on its command
// line, or its memory and fds through /proc, and so learn the secret or forge the verdict; and
// without the attribute calls refused, it could make the input unreadable (chmod, an ACL) for
// an interactor that then takes an empty secret.
func TestTheProgramCannotReadTheInteractorsFilesOrMemory(t *testing.T) {
	bin := compileTestdata(t, "interact_steal")
	tests := runInteractive(t, interactiveJob([]string{bin}, nil, secretTests("63"), defaultLimits(),
		scriptInteractor(guessInteractor, defaultLimits())), 1)
	r := tests[0]
	var files, filesTried, dirs, dirsTried, mem, memTried, fds, fdsTried, attrs, attrsTried int
	report := r.Stderr[max(strings.LastIndex(r.Stderr, "\nfiles "), -1)+1:]
	if _, err := fmt.Sscanf(report, "files %d/%d dirs %d/%d mem %d/%d fds %d/%d attrs %d/%d\n",
		&files, &filesTried, &dirs, &dirsTried, &mem, &memTried, &fds, &fdsTried, &attrs, &attrsTried); err != nil {
		t.Fatalf("the attack's report %q: %v", r.Stderr, err)
	}
	// The interactor's three files (input, output, answer); the mem of the interactor and
	// of the runners, twice each.
	if filesTried < 3 || memTried < 2 {
		t.Fatalf("the attack found too little to try (%q): the test no longer tests", r.Stderr)
	}
	if files+dirs+mem+fds+attrs != 0 || strings.Contains(r.Stderr, "read ") {
		t.Errorf("the program reached the interactor: %q; want nothing opened", r.Stderr)
	}
	if num(r.ExitCode) != "0" || num(r.Interactor.ExitCode) != "0" {
		t.Errorf("program exit %s, interactor exit %s stderr %q; want both 0", num(r.ExitCode), num(r.Interactor.ExitCode), r.Interactor.Stderr)
	}
}

// Without a top-level judge directory apart from the work directory, an interactive job
// cannot keep its interactor's files from the program: the runner refuses it, saying why.
func TestAnInteractiveJobNeedsAJudgeDirectoryApartFromTheProgram(t *testing.T) {
	argv, files := shProgram(binarySearch)
	job := interactiveJob(argv, files, secretTests("5"), defaultLimits(), scriptInteractor(guessInteractor, defaultLimits()))
	data, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	work := newWorkdir(t)
	inv := runRaw(t, work, data, "--judge-dir", filepath.Join(work, "judge"))
	if !strings.Contains(str(inv.result.Error), "must be in a top-level directory apart from") || len(inv.result.Tests) != 0 {
		t.Errorf("error %s with %d tests; want the refusal and no test", str(inv.result.Error), len(inv.result.Tests))
	}
}

func TestCheckerAndInteractorTogetherAreRefused(t *testing.T) {
	argv, files := shProgram(binarySearch)
	job := interactiveJob(argv, files, secretTests("5"), defaultLimits(), scriptInteractor(guessInteractor, defaultLimits()))
	job["checker"] = scriptChecker(permutationChecker, defaultLimits())
	inv := run(t, newWorkdir(t), job)
	if !strings.Contains(str(inv.result.Error), "checker and interactor are both given") || len(inv.result.Tests) != 0 {
		t.Errorf("error %s with %d tests; want the refusal and no test", str(inv.result.Error), len(inv.result.Tests))
	}
}

func TestTheInteractorIsCompiledOnceBeforeTheTests(t *testing.T) {
	argv, files := shProgram(binarySearch)
	built := scriptInteractor(guessInteractor, defaultLimits())
	built["compile"] = map[string]any{"command": []string{"sh", "-c", "cp interact.sh built.sh && echo built"}}
	built["run"] = map[string]any{"command": []string{"sh", "built.sh"}}
	inv := run(t, newWorkdir(t), interactiveJob(argv, files, secretTests("3", "99"), defaultLimits(), built))
	res := inv.result
	if res.Error != nil || res.InteractorCompile == nil || num(res.InteractorCompile.ExitCode) != "0" || res.InteractorCompile.Output != "built\n" || len(res.Tests) != 2 {
		t.Fatalf("error %s, interactorCompile %+v, %d tests; want one compile step that printed built and 2 tests", str(res.Error), res.InteractorCompile, len(res.Tests))
	}
	for _, r := range res.Tests {
		if r.Interactor == nil || num(r.Interactor.ExitCode) != "0" {
			t.Errorf("test %s: interactor %+v; want exit 0", r.Name, r.Interactor)
		}
	}

	broken := scriptInteractor(guessInteractor, defaultLimits())
	broken["compile"] = map[string]any{"command": []string{"sh", "-c", "echo syntax error; exit 1"}}
	inv = run(t, newWorkdir(t), interactiveJob(argv, files, secretTests("3"), defaultLimits(), broken))
	res = inv.result
	if res.Error != nil || res.InteractorCompile == nil || num(res.InteractorCompile.ExitCode) != "1" || len(res.Tests) != 0 {
		t.Errorf("error %s, interactorCompile %+v, %d tests; want the failed compile step and no test", str(res.Error), res.InteractorCompile, len(res.Tests))
	}
	assertNothingLeft(t)
}
