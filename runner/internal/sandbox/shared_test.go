package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSharedScanCountsEachObjectOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "stash")
	if err := os.WriteFile(file, bytes.Repeat([]byte{1}, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(file, filepath.Join(dir, "same-stash")); err != nil {
		t.Fatal(err)
	}
	scan := &sharedScan{uid: os.Getuid(), dirs: []string{dir}}
	before := scan.bytes([]int{os.Getpid()})
	fd, err := unix.MemfdCreate("stash", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, bytes.Repeat([]byte{1}, 2<<20)); err != nil {
		t.Fatal(err)
	}
	after := scan.bytes([]int{os.Getpid()})
	if before < 1<<20 || before >= 2<<20 {
		t.Errorf("a 1 MiB file with two names counts %d bytes, want 1 MiB", before)
	}
	if after-before != 2<<20 {
		t.Errorf("a 2 MiB memfd held by an fd adds %d bytes, want 2 MiB", after-before)
	}
}
