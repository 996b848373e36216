// Package install copies the running runner binary into a directory (the init container's
// job in a sandbox pod, the way Tekton injects its entrypoint).
package install

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Install copies the executable of this process to dir/runner, atomically.
func Install(dir string) (string, error) {
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		return "", fmt.Errorf("open own executable: %v", err)
	}
	defer self.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %v", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".runner-*")
	if err != nil {
		return "", fmt.Errorf("create a file in %s: %v", dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, self); err != nil {
		tmp.Close()
		return "", fmt.Errorf("copy runner into %s: %v", dir, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return "", fmt.Errorf("make %s executable: %v", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write %s: %v", tmp.Name(), err)
	}
	dest := filepath.Join(dir, "runner")
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return "", fmt.Errorf("move runner into place at %s: %v", dest, err)
	}
	return dest, nil
}
