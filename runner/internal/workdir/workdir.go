// Package workdir prepares the directory a job runs in and writes the job's files into it
// without ever writing outside it.
package workdir

import (
	"fmt"
	"os"
	"path"

	"coderun.dev/runner/internal/protocol"
)

// Choose returns the work directory to use: the one given, else $CODERUN_WORKDIR, else a new
// directory under os.TempDir(). owned tells whether the runner created it and should remove it.
func Choose(flag string) (dir string, owned bool, err error) {
	dir = flag
	if dir == "" {
		dir = os.Getenv("CODERUN_WORKDIR")
	}
	if dir == "" {
		dir, err = os.MkdirTemp("", "coderun-")
		if err != nil {
			return "", false, fmt.Errorf("create a work directory under %s: %v", os.TempDir(), err)
		}
		return dir, true, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("work directory %s: %v", dir, err)
	}
	return dir, false, nil
}

// WriteFiles writes every file beneath dir. Paths were checked by the protocol package; the
// os.Root here also refuses symlinks or other tricks on disk that lead out of dir.
func WriteFiles(dir string, files []protocol.File) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open work directory %s: %v", dir, err)
	}
	defer root.Close()
	for _, f := range files {
		if parent := path.Dir(f.Path); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return fmt.Errorf("file %q: cannot create its directory inside the work directory: %v", f.Path, err)
			}
		}
		if err := root.WriteFile(f.Path, f.Content, 0o644); err != nil {
			return fmt.Errorf("file %q: cannot write it inside the work directory: %v", f.Path, err)
		}
	}
	return nil
}
