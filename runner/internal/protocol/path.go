package protocol

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// CleanPath checks that p names a file inside the work directory and returns its clean form.
// Symlinks on disk are the writer's concern (it resolves paths beneath the work directory).
func CleanPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("path is empty: give a file name such as \"main.c\"")
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("path %q contains a NUL byte", p)
	}
	if strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path %q is absolute and would escape the work directory: give a relative path such as \"main.c\"", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", fmt.Errorf("path %q contains \"..\" and could escape the work directory: give a path without \"..\"", p)
		}
	}
	clean := path.Clean(p)
	if clean == "." {
		return "", fmt.Errorf("path %q names the work directory itself, not a file", p)
	}
	if strings.HasSuffix(p, "/") {
		return "", fmt.Errorf("path %q ends with \"/\": name a file, not a directory", p)
	}
	return clean, nil
}
