package sandbox

import (
	"slices"
	"testing"
)

func TestParseIPCKeepsTheCreatorsObjects(t *testing.T) {
	listing := `       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap
         0          7   600              10485760 23144 23144      0  1000  1000  1000  1000 1796538111 1796538111 1796538111               8388608                  4096
         0          8   600               1048576 23145 23145      1     0     0     0     0 1796538111 1796538111 1796538111               1048576                     0
         0          9   600               1048576 23146 23146      0     0     0  1000  1000 1796538111 1796538111 1796538111                 65536                     0
`
	got := parseIPC(listing, "shmid", 1000)
	want := []ipcObject{{id: 7, bytes: 8388608 + 4096}, {id: 9, bytes: 65536}}
	if !slices.Equal(got, want) {
		t.Fatalf("parsed %+v, want %+v (segment 9 was handed to root, but uid 1000 created it)", got, want)
	}
	sem := "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n         0          3   600          1  1000  1000  1000  1000          0 1796538111\n"
	if got := parseIPC(sem, "semid", 1000); !slices.Equal(got, []ipcObject{{id: 3}}) {
		t.Fatalf("semaphores: %+v", got)
	}
	if got := parseIPC("no header\n", "shmid", 1000); got != nil {
		t.Fatalf("an unknown listing gives %+v, want nothing", got)
	}
}
