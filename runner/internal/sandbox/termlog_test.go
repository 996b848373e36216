package sandbox

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestTerminationLogIsEmptiedButNeverCreated(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "termination-log")
	if err := os.WriteFile(log, []byte("left by an earlier test"), 0o666); err != nil {
		t.Fatal(err)
	}
	emptyTerminationLog(log)
	if info, err := os.Stat(log); err != nil || info.Size() != 0 {
		t.Fatalf("termination log not emptied: %v %v", info, err)
	}
	missing := filepath.Join(dir, "missing")
	emptyTerminationLog(missing)
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("a missing termination log was created: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	emptyTerminationLog(fifo) // must not block: nobody reads it
}
