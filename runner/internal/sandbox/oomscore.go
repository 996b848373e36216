package sandbox

import (
	"bytes"
	"os"
	"strconv"
)

// preferAsOOMVictim makes the kernel's OOM killer pick the program (and every process it
// starts: the value is inherited) before the runner when the container runs out of memory:
// shared memory a program keeps without mapping it counts in no process's size, so without
// this the runner, not the program, can be the largest process and die without a result.
// Raising the score needs no privilege; the program can lower it again only to 0, the
// runner's own.
func preferAsOOMVictim(pid int) {
	_ = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/oom_score_adj", []byte("1000"), 0)
}

// keepAsOOMVictim raises again, at every poll, the score of any process of the tree that
// lowered its own: without CAP_SYS_RESOURCE the kernel lets a process go down to its
// oom_score_adj_min, which it inherits from the container's first process (the runtime
// sets it, 953 say, where the runner's own value is the same), and a program at the
// runner's value that keeps its memory in the kernel (pipes, sockets, messages) has less
// RSS than the runner, so the OOM killer would take the runner. A program that made itself
// non-dumpable has its /proc files owned by root and keeps the value it chose; the runner
// counts kernel memory from its cgroup and kills such a hoard at the limit first.
func keepAsOOMVictim(pids []int) {
	for _, pid := range pids {
		path := "/proc/" + strconv.Itoa(pid) + "/oom_score_adj"
		if v, err := os.ReadFile(path); err == nil && string(bytes.TrimSpace(v)) != "1000" {
			_ = os.WriteFile(path, []byte("1000"), 0)
		}
	}
}
