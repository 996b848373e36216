package sandbox

import (
	"slices"
	"testing"
)

func TestOlderExecsAreTheRunnersExecdBeforeThisOne(t *testing.T) {
	self := procInfo{pid: 50, ppid: 0, started: 100, alive: true}
	cases := []struct {
		name  string
		procs []procInfo
		want  []int
	}{
		{"alone with PID 1", []procInfo{{pid: 1, started: 1, alive: true}, self}, nil},
		{"a runner exec'd before this one", []procInfo{{pid: 40, started: 90, alive: true}, self}, []int{40}},
		{"a runner exec'd after this one waits for it", []procInfo{{pid: 60, started: 110, alive: true}, self}, nil},
		{"same tick: the lower pid is older", []procInfo{{pid: 49, started: 100, alive: true}, {pid: 51, started: 100, alive: true}, self}, []int{49}},
		{"a program's process (its parent is inside the container) is not a runner", []procInfo{{pid: 30, ppid: 29, started: 10, alive: true}, self}, nil},
		{"an older runner that has ended (a zombie) is gone", []procInfo{{pid: 40, started: 90, alive: false}, self}, nil},
	}
	for _, c := range cases {
		if got := olderExecs(c.procs, self); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
