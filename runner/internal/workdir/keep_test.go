package workdir

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func tree(t *testing.T, dir string) string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			}
			paths = append(paths, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return strings.Join(paths, " ")
}

func TestKeepOnlyLeavesWhatTheOutputsName(t *testing.T) {
	cases := []struct {
		name     string
		patterns []string
		want     string
	}{
		{"one binary", []string{"main"}, "main"},
		{"classes at any listed depth, and the argument file", []string{"*.class", "pkg/*.class", "main.argfile"}, "A.class B.class main.argfile pkg/ pkg/C.class"},
		{"a directory, whole", []string{"pkg"}, "pkg/ pkg/C.class pkg/c.java pkg/locked/ pkg/locked/x"},
		{"nothing matches", []string{"none"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"main", "main.c", "A.class", "B.class", "Main.java", "main.argfile", "pkg/C.class", "pkg/c.java", "pkg/locked/x", ".cache/go-build/00/x"} {
				p := filepath.Join(dir, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A compiler may leave a directory it cannot be listed or removed from as it is.
			if err := os.Chmod(filepath.Join(dir, "pkg/locked"), 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "pkg/locked"), 0o700) })
			if err := KeepOnly(dir, c.patterns); err != nil {
				t.Fatal(err)
			}
			if got := tree(t, dir); got != c.want {
				t.Errorf("left %q, want %q", got, c.want)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "main")); c.want == "main" && (err != nil || string(b) != "main") {
				t.Errorf("main = %q, %v: a kept file must be untouched", b, err)
			}
		})
	}
}
