package execute

import (
	"slices"
	"testing"

	"coderun.dev/runner/internal/protocol"
)

func TestProgramEnvIsTheFixedSetPlusTheJobs(t *testing.T) {
	got := ProgramEnv("/work", nil)
	want := []string{"PATH=" + DefaultPath, "HOME=/work", "TMPDIR=/work", "LANG=C.UTF-8"}
	if !slices.Equal(got, want) {
		t.Fatalf("ProgramEnv = %v, want %v", got, want)
	}
	got = ProgramEnv("/work", []protocol.EnvVar{{Name: "JAVA_HOME", Value: "/opt/jdk"}, {Name: "PATH", Value: "/opt/jdk/bin:/usr/bin"}, {Name: "LANG", Value: "C"}})
	want = []string{"PATH=/opt/jdk/bin:/usr/bin", "HOME=/work", "TMPDIR=/work", "LANG=C", "JAVA_HOME=/opt/jdk"}
	if !slices.Equal(got, want) {
		t.Fatalf("ProgramEnv = %v, want %v", got, want)
	}
}
