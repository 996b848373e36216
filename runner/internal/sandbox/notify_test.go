package sandbox

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The ioctl request numbers carry the size of the structure they copy (_IOWR, _IOW).
func TestNotificationStructuresMatchTheIoctlSizes(t *testing.T) {
	size := func(req uint) uintptr { return uintptr(req>>16) & 0x3fff }
	if got, want := unsafe.Sizeof(seccompNotif{}), size(unix.SECCOMP_IOCTL_NOTIF_RECV); got != want {
		t.Errorf("seccompNotif is %d bytes, SECCOMP_IOCTL_NOTIF_RECV copies %d", got, want)
	}
	if got, want := unsafe.Sizeof(seccompNotifResp{}), size(unix.SECCOMP_IOCTL_NOTIF_SEND); got != want {
		t.Errorf("seccompNotifResp is %d bytes, SECCOMP_IOCTL_NOTIF_SEND copies %d", got, want)
	}
	if got, want := unsafe.Sizeof(uint64(0)), size(unix.SECCOMP_IOCTL_NOTIF_ID_VALID); got != want {
		t.Errorf("a notification id is %d bytes, SECCOMP_IOCTL_NOTIF_ID_VALID copies %d", got, want)
	}
}
