package sandbox

import (
	"io"
)

// capture keeps the first limit bytes read from r and drains the rest, so the runner's memory
// stays bounded by the limit however much the program writes.
type capture struct {
	data      []byte
	truncated bool
}

// readCapped reads r to EOF. overflow is called once, as soon as more than limit bytes arrived.
func readCapped(r io.Reader, limit int64, overflow func()) capture {
	var c capture
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			room := limit - int64(len(c.data))
			if int64(n) > room {
				c.data = append(c.data, buf[:room]...)
				if !c.truncated {
					c.truncated = true
					overflow()
				}
			} else {
				c.data = append(c.data, buf[:n]...)
			}
		}
		if err != nil {
			return c
		}
	}
}
