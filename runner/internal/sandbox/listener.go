package sandbox

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// guardFD is the shim's end of the socket on which it hands its seccomp listener to the
// runner. Like statusFD it is close-on-exec: the program must never hold the listener, or
// it could answer its own calls.
const guardFD = 4

// listenerChannel is the socket pair that carries the listener from the shim to the runner.
type listenerChannel struct {
	runnerEnd int
	shimEnd   *os.File // given to the shim as guardFD; closed in the runner once it started
}

func newListenerChannel() (*listenerChannel, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create the socket for the seccomp listener: %v", err)
	}
	return &listenerChannel{runnerEnd: fds[0], shimEnd: os.NewFile(uintptr(fds[1]), "guard")}, nil
}

func (c *listenerChannel) close() {
	_ = c.shimEnd.Close() // already closed once the shim started: harmless
	_ = unix.Close(c.runnerEnd)
}

// receive waits for the shim's one message and starts the guard on the listener it carries.
// It returns a nil guard when the shim exited before sending (its status says why) or when
// the kernel gave it no listener (the filter then refuses calls aimed at other processes).
func (c *listenerChannel) receive() (*guard, error) {
	_ = c.shimEnd.Close()
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(c.runnerEnd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("receive the seccomp listener from the sandbox shim: %v", err)
	}
	if n == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) == 0 {
		noListenerNote.Do(func() {
			fmt.Fprintln(os.Stderr, "runner: the kernel offers no seccomp user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER): a program's signals and other calls aimed at its own child processes fail with EPERM, like those aimed at the runner")
		})
		return nil, nil
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("the sandbox shim sent a malformed seccomp listener message")
	}
	return startGuard(fds[0])
}

// noListenerNote says once per runner that the fallback filter is in use.
var noListenerNote sync.Once

// sendListener is the shim's side: one byte, carrying the listener when there is one. The
// shim's copy is closed afterwards; the runner's is the only one left.
func sendListener(listener int) error {
	var rights []byte
	if listener >= 0 {
		rights = unix.UnixRights(listener)
		defer unix.Close(listener)
	}
	if err := unix.Sendmsg(guardFD, []byte{1}, rights, nil, 0); err != nil {
		return fmt.Errorf("hand the seccomp listener to the runner on fd %d: %v", guardFD, err)
	}
	return nil
}
