package execute

import (
	"slices"
	"testing"
)

func TestProgramEnvPointsHomeAndTmpAtTheWorkdir(t *testing.T) {
	got := ProgramEnv([]string{"PATH=/usr/bin", "HOME=/root", "TMPDIR=/tmp", "LANG=C.UTF-8"}, "/work")
	want := []string{"PATH=/usr/bin", "LANG=C.UTF-8", "HOME=/work", "TMPDIR=/work"}
	if !slices.Equal(got, want) {
		t.Fatalf("ProgramEnv = %v, want %v", got, want)
	}
}
