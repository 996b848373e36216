package main_test

import (
	"strings"
	"testing"
)

// permutationChecker accepts any order of the answer's tokens (testlib's argument order:
// input, output, answer) and says so on stderr; it also reports how many checks its own
// directory has seen, which must always be one.
const permutationChecker = `
echo run >> seen
if [ "$(tr -s ' \n' '\n\n' < "$2" | sort)" = "$(tr -s ' \n' '\n\n' < "$3" | sort)" ]; then
  echo "ok permutation, checks seen here: $(wc -l < seen)" >&2; exit 0
fi
echo "wrong answer: not a permutation of the answer, checks seen here: $(wc -l < seen)" >&2; exit 1
`

func checkerJob(program string, tests []any, checker map[string]any) map[string]any {
	return map[string]any{
		"files":   []any{map[string]any{"path": "main.sh", "content": program}},
		"run":     map[string]any{"command": []string{"sh", "main.sh"}},
		"tests":   tests,
		"limits":  defaultLimits(),
		"checker": checker,
	}
}

func scriptChecker(script string, lim limits) map[string]any {
	return map[string]any{
		"files":  []any{map[string]any{"path": "check.sh", "content": script}},
		"run":    map[string]any{"command": []string{"sh", "check.sh"}},
		"limits": lim,
	}
}

func TestACheckerJudgesEachFinishedTestWithInputOutputAndAnswer(t *testing.T) {
	program := `read mode; case $mode in
	  same) echo "1 2 3";;
	  swapped) echo "3 1 2";;
	  wrong) echo "1 2 4";;
	  crash) exit 5;;
	esac`
	tests := []any{
		map[string]any{"name": "same", "stdin": "same\n", "answer": "1 2 3\n"},
		map[string]any{"name": "swapped", "stdin": "swapped\n", "answer": "1 2 3\n"},
		map[string]any{"name": "wrong", "stdin": "wrong\n", "answer": "1 2 3\n"},
		map[string]any{"name": "crash", "stdin": "crash\n", "answer": "1 2 3\n"},
	}
	inv := run(t, newWorkdir(t), checkerJob(program, tests, scriptChecker(permutationChecker, defaultLimits())))
	res := inv.result
	if res.Error != nil || len(res.Tests) != 4 {
		t.Fatalf("error %s, %d results; want 4 results and no error", str(res.Error), len(res.Tests))
	}
	want := []struct {
		exit   int
		stderr string
	}{
		{0, "ok permutation, checks seen here: 1\n"},
		{0, "ok permutation, checks seen here: 1\n"},
		{1, "wrong answer: not a permutation of the answer, checks seen here: 1\n"},
	}
	for i, w := range want {
		c := res.Tests[i].Checker
		if c == nil || c.ExitCode == nil || *c.ExitCode != w.exit || c.Stderr != w.stderr {
			t.Errorf("test %s: checker %+v; want exit %d and stderr %q", res.Tests[i].Name, c, w.exit, w.stderr)
		}
	}
	if c := res.Tests[3].Checker; c != nil {
		t.Errorf("the checker ran on a program that exited with code 5: %+v", c)
	}
	if res.CheckerCompile != nil {
		t.Errorf("a checker without a compile step reported one: %+v", res.CheckerCompile)
	}
	assertNothingLeft(t)
}

// The program runs as the checker's uid, so it is the layout that protects the checker: while
// the program runs, neither the checker's files nor any answer is on disk to read or change.
func TestTheProgramFindsNoCheckerAndNoAnswerOnDisk(t *testing.T) {
	program := strings.ReplaceAll(`read secret
	found=$(ls -d JUDGE/coderun-check* 2>/dev/null; grep -rl "ANS""WER-" "$HOME" 2>/dev/null)
	echo "found: [$found]"
	for d in JUDGE/coderun-checker-*; do echo "exit 9" 2>/dev/null > "$d/check.sh"; done 2>/dev/null
	echo "ANS""WER-$secret"`, "JUDGE", judgeDir)
	var tests []any
	for _, n := range []string{"1", "2", "3"} {
		tests = append(tests, map[string]any{"name": n, "stdin": n + "\n", "answer": "found: []\nANSWER-" + n + "\n"})
	}
	exact := `cmp -s "$2" "$3" && { echo "ok in $(pwd)" >&2; exit 0; }; echo "wrong answer" >&2; exit 1`
	inv := run(t, newWorkdir(t), checkerJob(program, tests, scriptChecker(exact, defaultLimits())))
	for _, r := range inv.result.Tests {
		if !strings.HasPrefix(r.Stdout, "found: []\n") {
			t.Errorf("test %s: the program found %q on disk (exit %v, limit %v, stderr %q)", r.Name, r.Stdout, r.ExitCode, str(r.LimitExceeded), r.Stderr)
		}
		// Where the program looked: the checker's directory is there while the checker runs.
		if r.Checker == nil || r.Checker.ExitCode == nil || *r.Checker.ExitCode != 0 || !strings.HasPrefix(r.Checker.Stderr, "ok in "+judgeDir+"/coderun-checker-") {
			t.Errorf("test %s: checker %+v, want exit 0 in %s/coderun-checker-*", r.Name, r.Checker, judgeDir)
		}
	}
	assertNothingLeft(t)
}

func TestACheckerIsCompiledOnceAndItsFailureStopsTheRun(t *testing.T) {
	compiled := map[string]any{
		"files":   []any{map[string]any{"path": "check.src", "content": "echo ok >&2; exit 0\n"}},
		"compile": map[string]any{"command": []string{"sh", "-c", "cp check.src check.sh && echo built"}},
		"run":     map[string]any{"command": []string{"sh", "check.sh"}},
		"limits":  defaultLimits(),
	}
	tests := []any{map[string]any{"name": "1", "answer": "x"}, map[string]any{"name": "2", "answer": "x"}}
	inv := run(t, newWorkdir(t), checkerJob("echo x", tests, compiled))
	res := inv.result
	if c := res.CheckerCompile; c == nil || c.ExitCode == nil || *c.ExitCode != 0 || c.Output != "built\n" {
		t.Fatalf("checkerCompile %+v; want exit 0 and output \"built\\n\"", c)
	}
	for _, r := range res.Tests {
		if r.Checker == nil || r.Checker.Stderr != "ok\n" {
			t.Errorf("test %s: checker %+v; want stderr ok", r.Name, r.Checker)
		}
	}

	compiled["compile"] = map[string]any{"command": []string{"sh", "-c", "echo syntax error; exit 4"}}
	res = run(t, newWorkdir(t), checkerJob("echo x", tests, compiled)).result
	if c := res.CheckerCompile; c == nil || c.ExitCode == nil || *c.ExitCode != 4 || c.Output != "syntax error\n" {
		t.Fatalf("checkerCompile %+v; want exit 4 and its output", c)
	}
	if len(res.Tests) != 0 || res.Error != nil {
		t.Fatalf("a checker that did not compile: %d tests ran, error %s; want none", len(res.Tests), str(res.Error))
	}
	assertNothingLeft(t)
}

func TestACheckerRunsUnderItsOwnLimits(t *testing.T) {
	spin := `while :; do :; done`
	tests := []any{map[string]any{"name": "1", "answer": "x"}}
	res := run(t, newWorkdir(t), checkerJob("echo x", tests, scriptChecker(spin, defaultLimits().with("cpuTimeMillis", 300)))).result
	if len(res.Tests) != 1 || res.Tests[0].ExitCode == nil || *res.Tests[0].ExitCode != 0 {
		t.Fatalf("the program's own result must stand: %+v", res.Tests)
	}
	c := res.Tests[0].Checker
	if c == nil || c.LimitExceeded == nil || *c.LimitExceeded != "cpuTime" {
		t.Fatalf("checker %+v; want limitExceeded cpuTime", c)
	}
	assertNothingLeft(t)
}
