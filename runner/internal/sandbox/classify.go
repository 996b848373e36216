package sandbox

import (
	"syscall"
	"time"

	"coderun.dev/runner/internal/protocol"
)

// runFacts is what the runner observed about one finished process tree.
type runFacts struct {
	killedFor string // the limit the runner killed the tree for, or ""
	signal    *int
	oomKilled bool // the kernel's OOM killer killed a process of the program (memoryMeter)
	cpu       time.Duration
	memoryKiB int64
	limits    protocol.Limits
}

// limitExceeded names the limit a run went over, or "" for none. A limit that is a cause
// (memory, output, processes, file size) wins over the time limits a starved or blocked
// program then also runs into. An OOM kill means the container's memory ran out: memory.
func limitExceeded(f runFacts) string {
	switch {
	case f.killedFor == protocol.LimitMemory || f.killedFor == protocol.LimitOutput || f.killedFor == protocol.LimitProcesses:
		return f.killedFor
	case f.oomKilled:
		return protocol.LimitMemory
	case f.signal != nil && *f.signal == int(syscall.SIGXFSZ):
		return protocol.LimitFileSize
	case f.memoryKiB > f.limits.MemoryMiB*1024:
		return protocol.LimitMemory
	case f.killedFor != "":
		return f.killedFor
	case f.signal != nil && *f.signal == int(syscall.SIGXCPU),
		f.cpu >= time.Duration(f.limits.CPUTimeMillis)*time.Millisecond:
		return protocol.LimitCPUTime
	}
	return ""
}
