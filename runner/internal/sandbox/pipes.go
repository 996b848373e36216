package sandbox

import (
	"fmt"
	"os"
)

// pipes are the program's stdin, stdout and stderr, and the shim's status pipe.
type pipes struct {
	stdinR, stdinW, outR, outW, errR, errW, statusR, statusW *os.File
	merged                                                   bool
}

// newPipes makes the pipes; a given stdin or stdout (an interactive test's) is used as the
// program's end instead of a pipe, and the runner then has no end of its own for it.
func newPipes(merge bool, stdin, stdout *os.File) (*pipes, error) {
	p := &pipes{merged: merge, stdinR: stdin, outW: stdout}
	var err error
	if stdin == nil {
		if p.stdinR, p.stdinW, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("create stdin pipe: %v", err)
		}
	}
	if stdout != nil {
		if merge {
			p.closeAll()
			return nil, fmt.Errorf("a given stdout cannot take the merged output")
		}
	} else if p.outR, p.outW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("create stdout pipe: %v", err)
	}
	if merge {
		p.errR, p.errW = p.outR, p.outW
	} else if p.errR, p.errW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("create stderr pipe: %v", err)
	}
	if p.statusR, p.statusW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("create status pipe: %v", err)
	}
	return p, nil
}

// closeChildEnds drops the runner's copies of the ends the program holds, so that EOF on
// the runner's ends means every process of the program has closed them or died.
func (p *pipes) closeChildEnds() {
	for _, f := range []*os.File{p.stdinR, p.outW, p.errW, p.statusW} {
		if f != nil {
			_ = f.Close()
		}
	}
}

func (p *pipes) closeAll() {
	for _, f := range []*os.File{p.stdinR, p.stdinW, p.outR, p.outW, p.errR, p.errW, p.statusR, p.statusW} {
		if f != nil {
			_ = f.Close()
		}
	}
}
