package sandbox

import (
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
