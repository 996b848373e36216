package sandbox

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSweepRemovesOnlyWhatAppeared(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write := func(rel string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("keep.txt")
	write("src/main.c")
	// Not the uid's alone: only the work directory is swept.
	s := &Session{}
	s.memOnce.Do(func() { s.mem = memorySource{uid: os.Getuid()} })
	left := s.Remember(dir, true)
	write("keep.txt") // changed, stays
	write("new.txt")
	write("src/cache/state")
	write("locked/inside")
	if err := os.Chmod(filepath.Join(dir, "locked"), 0o500); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "target"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := left.Sweep(); err != nil {
		t.Fatal(err)
	}
	var found []string
	walkOwned(dir, os.Getuid(), 0, func(path string, _ *unix.Stat_t) bool {
		rel, _ := filepath.Rel(dir, path)
		found = append(found, rel)
		return true
	})
	want := map[string]bool{"keep.txt": true, "src": true, "src/main.c": true}
	if len(found) != len(want) {
		t.Fatalf("after the sweep the work directory holds %v, want %v", found, want)
	}
	for _, f := range found {
		if !want[f] {
			t.Fatalf("after the sweep the work directory holds %v, want %v", found, want)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "target")); err != nil {
		t.Fatalf("the sweep followed a symlink out of the work directory: %v", err)
	}
}

func TestWalkOwnedStopsAtItsBudget(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	visited := 0
	count := func(string, *unix.Stat_t) bool { visited++; return true }
	if complete := walkOwned(dir, os.Getuid(), 2, count); complete || visited != 2 {
		t.Fatalf("budget 2: complete %v after %d entries, want false after 2", complete, visited)
	}
	visited = 0
	if complete := walkOwned(dir, os.Getuid(), 3, count); !complete || visited != 3 {
		t.Fatalf("budget 3: complete %v after %d entries, want true after 3", complete, visited)
	}
}
