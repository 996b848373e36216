package execute

import (
	"os"
	"testing"
)

func TestAnInteractiveJobHidesTheTopLevelDirectoryOfItsJudgeDirectory(t *testing.T) {
	tmp := os.TempDir()
	cases := []struct {
		dirs Dirs
		hide string // "" when refused
	}{
		{Dirs{Work: "/work", Judge: "/coderun/judge"}, "/coderun"},
		{Dirs{Work: "/work", Judge: "/coderun-judge-test-1"}, "/coderun-judge-test-1"},
		{Dirs{Work: "/work", Judge: ""}, ""},                    // no judge directory
		{Dirs{Work: "/work", Judge: "judge"}, ""},               // relative
		{Dirs{Work: "/work/program", Judge: "/work/judge"}, ""}, // would hide the work directory
		{Dirs{Work: "/work", Judge: tmp + "/judge"}, ""},        // would hide $TMPDIR
	}
	for _, c := range cases {
		got, err := interactiveConfinement(c.dirs)
		switch {
		case c.hide == "" && err == nil:
			t.Errorf("%+v: confined to %+v, want a refusal", c.dirs, got)
		case c.hide != "" && (err != nil || got.Hide != c.hide || len(got.Reach) != 0):
			t.Errorf("%+v: %+v %v, want hide %s", c.dirs, got, err, c.hide)
		}
	}
}
