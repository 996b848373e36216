package sandbox

import (
	"syscall"
	"testing"
	"time"

	"coderun.dev/runner/internal/protocol"
)

func TestLimitExceeded(t *testing.T) {
	lim := protocol.Limits{CPUTimeMillis: 1000, WallTimeMillis: 3000, MemoryMiB: 64, OutputBytes: 100, Processes: 4, FileSizeBytes: 100}
	sig := func(s syscall.Signal) *int { n := int(s); return &n }
	cases := []struct {
		name string
		f    runFacts
		want string
	}{
		{"clean run", runFacts{cpu: 10 * time.Millisecond, memoryKiB: 1024}, ""},
		{"killed for memory", runFacts{killedFor: protocol.LimitMemory, signal: sig(syscall.SIGKILL)}, protocol.LimitMemory},
		{"killed for output", runFacts{killedFor: protocol.LimitOutput, signal: sig(syscall.SIGKILL)}, protocol.LimitOutput},
		{"killed for processes while also over CPU", runFacts{killedFor: protocol.LimitProcesses, cpu: 2 * time.Second}, protocol.LimitProcesses},
		{"file too large", runFacts{signal: sig(syscall.SIGXFSZ)}, protocol.LimitFileSize},
		{"peak over memory limit between polls", runFacts{memoryKiB: 64*1024 + 1}, protocol.LimitMemory},
		{"peak exactly at memory limit", runFacts{memoryKiB: 64 * 1024}, ""},
		{"memory wins over the wall time it caused", runFacts{killedFor: protocol.LimitWallTime, memoryKiB: 70 * 1024}, protocol.LimitMemory},
		{"killed for wall time", runFacts{killedFor: protocol.LimitWallTime, signal: sig(syscall.SIGKILL)}, protocol.LimitWallTime},
		{"killed for CPU time", runFacts{killedFor: protocol.LimitCPUTime, cpu: time.Second}, protocol.LimitCPUTime},
		{"RLIMIT_CPU signal", runFacts{signal: sig(syscall.SIGXCPU)}, protocol.LimitCPUTime},
		{"finished just past the CPU limit", runFacts{cpu: 1001 * time.Millisecond}, protocol.LimitCPUTime},
		{"segfault is no limit", runFacts{signal: sig(syscall.SIGSEGV)}, ""},
		{"OOM killer", runFacts{oomKilled: true, signal: sig(syscall.SIGKILL)}, protocol.LimitMemory},
		{"OOM killer while the wall time ran out", runFacts{oomKilled: true, killedFor: protocol.LimitWallTime}, protocol.LimitMemory},
		{"killed for output before the OOM killer came", runFacts{oomKilled: true, killedFor: protocol.LimitOutput}, protocol.LimitOutput},
	}
	for _, c := range cases {
		c.f.limits = lim
		if got := limitExceeded(c.f); got != c.want {
			t.Errorf("%s: limitExceeded = %q, want %q", c.name, got, c.want)
		}
	}
}
