package sandbox

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ipcKind is one kind of SysV IPC object, as /proc/sysvipc lists them (in the runner's IPC
// namespace: the pod's own).
type ipcKind struct {
	name     string // the file in /proc/sysvipc
	idColumn string
	remove   func(id int) error
}

var ipcKinds = []ipcKind{
	{"shm", "shmid", func(id int) error { _, err := unix.SysvShmCtl(id, unix.IPC_RMID, nil); return err }},
	{"sem", "semid", func(id int) error { return ipcSyscall(unix.SYS_SEMCTL, id, 0, unix.IPC_RMID) }},
	{"msg", "msqid", func(id int) error { return ipcSyscall(unix.SYS_MSGCTL, id, unix.IPC_RMID, 0) }},
}

func ipcSyscall(nr uintptr, a, b, c int) error {
	if _, _, errno := unix.Syscall(nr, uintptr(a), uintptr(b), uintptr(c)); errno != 0 {
		return errno
	}
	return nil
}

// ipcObject is one SysV IPC object; bytes is the memory a shared memory segment holds
// (resident and swapped), or the bytes queued in a message queue (cbytes), 0 for semaphores.
type ipcObject struct {
	id    int
	bytes int64
}

// listIPC lists the objects of a kind that uid created. The creator, unlike the owner, cannot
// be changed with IPC_SET, so a program cannot hand its objects to another uid.
func listIPC(kind ipcKind, uid int) []ipcObject {
	data, err := os.ReadFile("/proc/sysvipc/" + kind.name)
	if err != nil {
		return nil
	}
	return parseIPC(string(data), kind.idColumn, uid)
}

func parseIPC(listing, idColumn string, uid int) []ipcObject {
	return parseIPCBy(listing, idColumn, "cuid", uid)
}

// parseIPCBy lists the objects whose uidColumn (cuid: creator, uid: owner) is uid.
func parseIPCBy(listing, idColumn, uidColumn string, uid int) []ipcObject {
	lines := strings.Split(strings.TrimSpace(listing), "\n")
	header := strings.Fields(lines[0])
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	if _, ok := col[idColumn]; !ok {
		return nil
	}
	if _, ok := col[uidColumn]; !ok {
		return nil
	}
	num := func(f []string, name string) int64 {
		i, ok := col[name]
		if !ok {
			return 0
		}
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return n
	}
	var out []ipcObject
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != len(header) || num(f, uidColumn) != int64(uid) {
			continue
		}
		out = append(out, ipcObject{id: int(num(f, idColumn)), bytes: num(f, "rss") + num(f, "swap") + num(f, "cbytes")})
	}
	return out
}
