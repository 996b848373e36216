// Package idle is PID 1 of a warm sandbox pod: it holds the pod open, reaps the zombies that
// exec'd runs leave to it, and exits cleanly when the pod is deleted.
package idle

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Run blocks until SIGTERM or SIGINT and returns the exit code. Outside PID 1 it makes itself
// a child subreaper so that it still adopts and reaps orphans of its descendants.
func Run() int {
	if os.Getpid() != 1 {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	// Programs run as this process's uid: non-dumpable, it cannot be ptraced by them and
	// made to do what their seccomp filter forbids (open a socket, signal the runner).
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "runner idle: cannot make itself non-dumpable: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	reap()
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			return 0
		}
		reap()
	}
	return 0
}

// reap collects every exited child without blocking; SIGCHLD signals coalesce, so one
// signal may stand for many exits.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}
