package sandbox

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The structures of linux/seccomp.h, which golang.org/x/sys/unix does not declare. Their
// sizes are part of the ioctl request numbers (checked by a test).
type seccompData struct {
	nr   int32
	arch uint32
	ip   uint64
	args [6]uint64
}

type seccompNotif struct {
	id    uint64
	pid   uint32 // the calling thread, in the runner's pid namespace
	flags uint32
	data  seccompData
}

type seccompNotifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

// guard answers, for one program run, the system calls the filter hands to the runner: a
// call aimed at another process goes ahead only if that process is in the program's tree.
// If the runner dies, the kernel fails those calls with ENOSYS.
type guard struct {
	listener *os.File
	tree     family
	done     chan struct{}
}

// startGuard answers the notifications of listener (a non-blocking seccomp listener fd,
// which the guard owns) until stop.
func startGuard(listener int) (*guard, error) {
	if err := unix.SetNonblock(listener, true); err != nil {
		unix.Close(listener)
		return nil, fmt.Errorf("make the seccomp listener non-blocking: %v", err)
	}
	g := &guard{listener: os.NewFile(uintptr(listener), "seccomp listener"), tree: family{root: os.Getpid()}, done: make(chan struct{})}
	rc, err := g.listener.SyscallConn()
	if err != nil {
		g.listener.Close()
		return nil, fmt.Errorf("watch the seccomp listener: %v", err)
	}
	go func() {
		defer close(g.done)
		// The poller wakes this for a pending notification and for the hang-up once every
		// process of the program is gone; stop's Close ends it in any case.
		_ = rc.Read(func(fd uintptr) bool { return g.answerPending(int(fd)) })
	}()
	return g, nil
}

// guardStopTimeout bounds the wait for the guard at the end of a run. The guard never blocks
// on anything the program controls; should it still be stuck, the run's result must not wait
// for it (the program is gone, and its calls with it).
const guardStopTimeout = 2 * time.Second

// stop ends the guard; every process of the program is gone by then. A nil guard (no
// listener: the filter refuses those calls itself) has nothing to stop.
func (g *guard) stop() {
	if g == nil {
		return
	}
	g.listener.Close()
	select {
	case <-g.done:
	case <-time.After(guardStopTimeout):
		fmt.Fprintln(os.Stderr, "runner: the seccomp guard did not stop in time; left behind")
	}
}

// answerPending answers every notification waiting on fd and reports whether the listener
// is finished. SECCOMP_IOCTL_NOTIF_RECV blocks whatever the file's flags, so it is only
// called once poll has seen a notification waiting.
func (g *guard) answerPending(fd int) bool {
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, 0); err != nil && !errors.Is(err, unix.EINTR) {
			return true
		}
		switch {
		case pfd[0].Revents&unix.POLLIN != 0:
		case pfd[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0:
			return true // no process uses the filter any more
		default:
			return false
		}
		var n seccompNotif // RECV requires a zeroed buffer
		if err := notifIoctl(fd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(&n)); err != nil {
			// ENOENT: the caller was killed or interrupted after poll saw it.
			continue
		}
		resp := g.answer(fd, &n)
		// ENOENT: the caller went away meanwhile; it will not run the call.
		_ = notifIoctl(fd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&resp))
	}
}

// answer decides one notification: the call goes ahead unchanged, fails with an errno, or,
// for pidfd_send_signal, is carried out by the runner.
func (g *guard) answer(fd int, n *seccompNotif) seccompNotifResp {
	if uint32(n.data.nr) == nativeSyscalls.pidfdSendSignal {
		return sendSignalForProgram(fd, n, g.tree)
	}
	return verdict(n.id, g.tree.check(int(n.pid), uint32(n.data.nr), n.data.args))
}

// verdict is the response that lets the call go ahead (errno 0) or fails it with errno.
func verdict(id uint64, errno unix.Errno) seccompNotifResp {
	if errno == 0 {
		return seccompNotifResp{id: id, flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	}
	return seccompNotifResp{id: id, error: -int32(errno)}
}

// idValidOldNumber is SECCOMP_IOCTL_NOTIF_ID_VALID as first numbered, with the wrong
// direction bit: kernels from before its 2020 fix know only this one, later ones both.
const idValidOldNumber = 0x80082102

// stillWaiting reports whether the notification's caller is still blocked in the call, so
// that what the runner read about it by pid was about that caller and not a pid's reuse.
func stillWaiting(fd int, id uint64) bool {
	err := notifIoctl(fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id))
	if errors.Is(err, unix.EINVAL) {
		err = notifIoctl(fd, idValidOldNumber, unsafe.Pointer(&id))
	}
	return err == nil
}

func notifIoctl(fd int, req uint, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}
