package sandbox

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// assembler builds a classic BPF program with forward jumps to named labels, so that the
// seccomp filter reads as a list of decisions instead of hand-counted skips.
type assembler struct {
	ins    []bpf.Instruction
	jumps  []labelledJump
	labels map[string]int
}

type labelledJump struct {
	at     int
	target string
}

func (a *assembler) add(ins bpf.Instruction) { a.ins = append(a.ins, ins) }

// jumpIf jumps to target when the accumulator compares true with val, else falls through.
func (a *assembler) jumpIf(cond bpf.JumpTest, val uint32, target string) {
	a.jumps = append(a.jumps, labelledJump{at: len(a.ins), target: target})
	a.add(bpf.JumpIf{Cond: cond, Val: val})
}

// jumpIfNot jumps to target when the accumulator differs from val.
func (a *assembler) jumpIfNot(val uint32, target string) {
	a.jumpIf(bpf.JumpNotEqual, val, target)
}

// jump always jumps to target.
func (a *assembler) jump(target string) {
	a.jumps = append(a.jumps, labelledJump{at: len(a.ins), target: target})
	a.add(bpf.Jump{})
}

// loadArg loads the low 32 bits of system call argument n (seccomp_data.args[n]): the
// kernel truncates int and pid_t arguments to them too.
func (a *assembler) loadArg(n uint32) {
	a.add(bpf.LoadAbsolute{Off: seccompDataArgs + 8*n, Size: 4})
}

// ret ends the filter with the action val.
func (a *assembler) ret(val uint32) { a.add(bpf.RetConstant{Val: val}) }

func (a *assembler) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.ins)
}

// assemble resolves every jump; classic BPF only jumps forward, a conditional jump at most
// 255 instructions (the filter is kept within that, so one limit serves both kinds).
func (a *assembler) assemble() ([]bpf.Instruction, error) {
	for _, j := range a.jumps {
		to, ok := a.labels[j.target]
		if !ok {
			return nil, fmt.Errorf("bpf: jump to undefined label %q", j.target)
		}
		skip := to - j.at - 1
		if skip < 0 || skip > 255 {
			return nil, fmt.Errorf("bpf: jump to %q at %d cannot be encoded (skip %d)", j.target, j.at, skip)
		}
		switch ins := a.ins[j.at].(type) {
		case bpf.JumpIf:
			ins.SkipTrue = uint8(skip)
			a.ins[j.at] = ins
		case bpf.Jump:
			ins.Skip = uint32(skip)
			a.ins[j.at] = ins
		}
	}
	return a.ins, nil
}
