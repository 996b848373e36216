package sandbox

import (
	"strings"
	"testing"

	"coderun.dev/runner/internal/protocol"
)

func TestShimArgumentsRoundTrip(t *testing.T) {
	lim := protocol.Limits{CPUTimeMillis: 1500, WallTimeMillis: 5000, MemoryMiB: 256, OutputBytes: 1, Processes: 16, FileSizeBytes: 4096}
	s := shimLimitsFor(lim, 5)
	// RLIMIT_CPU has whole seconds: the backstop is rounded up and given a second of slack.
	if s.cpuSeconds != 3 || s.fileSizeBytes != 4096 || s.nproc != 5+16+nprocHeadroom || s.stackBytes != 256<<20 {
		t.Fatalf("shim limits = %+v", s)
	}
	args := append(s.args(), "--", "./main", "--flag")
	got, c, argv, err := parseShimArgs(args)
	if err != nil || got != s || c != nil || strings.Join(argv, " ") != "./main --flag" {
		t.Fatalf("parse = %+v %v %v %v", got, c, argv, err)
	}
	confined := Confinement{Hide: "/coderun", Reach: []string{"/coderun/judge/a", "/coderun/judge/b"}}
	args = append(append(s.args(), confined.args()...), "--", "./main")
	if _, c, _, err = parseShimArgs(args); err != nil || c == nil || c.Hide != confined.Hide || strings.Join(c.Reach, " ") != "/coderun/judge/a /coderun/judge/b" {
		t.Fatalf("parse of a confinement = %+v %v", c, err)
	}
	for _, bad := range [][]string{{"cpu=1"}, {"cpu=x", "--", "a"}, {"procs=1", "--", "a"}, {"cpu=1", "--"}, {"reach=/coderun/x", "--", "a"}} {
		if _, _, _, err := parseShimArgs(bad); err == nil {
			t.Errorf("parseShimArgs(%q) accepted bad arguments", bad)
		}
	}
}

func TestParseShimStatus(t *testing.T) {
	p, err := parseShimStatus([]byte("started 1234 5678\n"))
	if err != nil || p != (preExec{cpuMicros: 1234, maxRSSKiB: 5678}) {
		t.Fatalf("got %+v %v", p, err)
	}
	if _, err := parseShimStatus([]byte("started 1 2\nerror cannot execute \"./main\": permission denied\n")); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("an exec failure after the started line must win: %v", err)
	}
	if _, err := parseShimStatus(nil); err == nil || !strings.Contains(err.Error(), "exited before starting") {
		t.Fatalf("silence must mean the shim died: %v", err)
	}
}
