package sandbox

import (
	"testing"

	"golang.org/x/sys/unix"
)

// shimSide stands in for the shim: its own copy of the channel's shim end.
func shimSide(t *testing.T, c *listenerChannel) int {
	t.Helper()
	fd, err := unix.Dup(int(c.shimEnd.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestListenerChannelWithoutAListener(t *testing.T) {
	t.Run("the shim exited before sending", func(t *testing.T) {
		c, err := newListenerChannel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		unix.Close(shimSide(t, c))
		if g, err := c.receive(); g != nil || err != nil {
			t.Fatalf("got guard %v, error %v; want neither: the shim's status says what happened", g, err)
		}
	})
	t.Run("the kernel gave the shim no listener", func(t *testing.T) {
		c, err := newListenerChannel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		shim := shimSide(t, c)
		defer unix.Close(shim)
		if err := unix.Sendmsg(shim, []byte{1}, nil, nil, 0); err != nil {
			t.Fatal(err)
		}
		if g, err := c.receive(); g != nil || err != nil {
			t.Fatalf("got guard %v, error %v; want neither: the filter refuses those calls itself", g, err)
		}
	})
}
