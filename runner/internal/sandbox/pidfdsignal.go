package sandbox

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sendSignalForProgram carries out the program's pidfd_send_signal(fd, sig, info, flags). The
// target is named by a file descriptor (a pidfd, or a /proc/PID directory), which another
// thread of the program could swap for one naming the runner between a check and the
// kernel's own lookup. So the runner takes its own copy of the file, checks the process that
// copy refers to, and sends the signal itself through it. (Sending an arbitrary siginfo to
// itself this way fails with EPERM, as the sender is then the runner.)
func sendSignalForProgram(listener int, n *seccompNotif, tree family) seccompNotifResp {
	a := n.data.args
	fd, sig, infoAddr, flags := int32(a[0]), int(int32(a[1])), uintptr(a[2]), int(uint32(a[3]))
	if fd == unix.PIDFD_SELF_THREAD || fd == unix.PIDFD_SELF_THREAD_GROUP {
		return verdict(n.id, 0) // the caller itself, or with the group flag its own group
	}
	file, errno := copyCallersFile(listener, n, int(fd))
	if errno != 0 {
		return verdict(n.id, errno)
	}
	defer unix.Close(file)
	tgid, pgid, errno := signalTarget(file)
	if errno == 0 {
		if flags&unix.PIDFD_SIGNAL_PROCESS_GROUP != 0 {
			errno = tree.group(pgid, unix.ESRCH)
		} else {
			errno = tree.task(tgid)
		}
	}
	if errno != 0 {
		return verdict(n.id, errno)
	}
	var info *unix.Siginfo
	if infoAddr != 0 {
		info = new(unix.Siginfo)
		local := []unix.Iovec{{Base: (*byte)(unsafe.Pointer(info)), Len: uint64(unsafe.Sizeof(*info))}}
		remote := []unix.RemoteIovec{{Base: infoAddr, Len: int(unsafe.Sizeof(*info))}}
		if _, err := unix.ProcessVMReadv(int(n.pid), local, remote, 0); err != nil {
			return verdict(n.id, unix.EFAULT)
		}
		if !stillWaiting(listener, n.id) {
			return verdict(n.id, unix.ESRCH) // the pid was reused: that was not the caller's memory
		}
	}
	if err := unix.PidfdSendSignal(file, unix.Signal(sig), info, flags); err != nil {
		return verdict(n.id, errnoOf(err))
	}
	return seccompNotifResp{id: n.id}
}

// copyCallersFile duplicates the caller's file descriptor fd into the runner (pidfd_getfd,
// which needs the caller to be dumpable, as programs are unless they opt out).
func copyCallersFile(listener int, n *seccompNotif, fd int) (int, unix.Errno) {
	tgid, _, err := readStatusIDs("/proc/" + strconv.Itoa(int(n.pid)) + "/status")
	if err != nil {
		return -1, unix.ESRCH
	}
	pidfd, err := unix.PidfdOpen(tgid, 0)
	if err != nil {
		return -1, unix.ESRCH
	}
	defer unix.Close(pidfd)
	// The caller is still blocked in the call, so its process still holds tgid: the pidfd is
	// the caller's and not a reused pid's.
	if !stillWaiting(listener, n.id) {
		return -1, unix.ESRCH
	}
	file, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		return -1, errnoOf(err)
	}
	return file, 0
}

// signalTarget tells which process a pidfd or a /proc/PID directory refers to: its thread
// group and its process group, in the runner's pid namespace.
func signalTarget(file int) (tgid, pgid int, errno unix.Errno) {
	fdinfo, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(file))
	if err != nil {
		return 0, 0, unix.EBADF
	}
	if _, rest, ok := bytes.Cut(fdinfo, []byte("\nPid:")); ok {
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			return 0, 0, unix.EBADF
		}
		pid, err := strconv.Atoi(string(fields[0]))
		switch {
		case err != nil:
			return 0, 0, unix.EBADF
		case pid < 0:
			return 0, 0, unix.ESRCH // the process has exited
		case pid == 0:
			return 0, 0, unix.EPERM // outside the runner's pid namespace
		}
		tgid, pgid, err := readStatusIDs("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return 0, 0, unix.ESRCH
		}
		return tgid, pgid, 0
	}
	// A /proc/PID directory. Anything else is refused before it is looked into: the guard
	// must never block on a path the program controls (a FIFO named status in a directory
	// of its own would hold the open for ever).
	var fs unix.Statfs_t
	if err := unix.Fstatfs(file, &fs); err != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return 0, 0, unix.EBADF // not a process directory: the kernel refuses it too
	}
	// Its status file is read through the directory itself, refusing to cross into anything
	// mounted over it, without blocking, and only if it is a regular file.
	status, err := unix.Openat2(file, "status", &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	switch {
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH):
		return 0, 0, unix.ESRCH
	case err != nil:
		return 0, 0, unix.EBADF
	}
	f := os.NewFile(uintptr(status), "status")
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(status, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, 0, unix.EBADF
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return 0, 0, unix.ESRCH
	}
	tgid, pgid, err = parseStatusIDs(buf.Bytes())
	if err != nil {
		return 0, 0, unix.EBADF
	}
	return tgid, pgid, 0
}

func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unix.EPERM
}
