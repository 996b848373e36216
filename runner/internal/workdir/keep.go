package workdir

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

// KeepOnly removes from dir everything that no pattern matches (filepath.Match over the path
// relative to dir): what the compile step produced and the runs do not need (sources, object
// files, build caches) neither counts against the pod's memory nor reaches the program. A
// matched directory is kept whole; the directories above a kept path stay. Symlinks are not
// followed.
func KeepOnly(dir string, patterns []string) error {
	kept := map[string]bool{}
	var seen []string // in walk order: parents before their children
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p == dir {
			return err
		}
		if err != nil {
			return nil // an unreadable directory: removed whole below
		}
		rel, relErr := filepath.Rel(dir, p)
		if relErr != nil {
			return relErr
		}
		if !matchesAny(patterns, rel) {
			seen = append(seen, rel)
			return nil
		}
		for a := rel; a != "."; a = filepath.Dir(a) {
			kept[a] = true
		}
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing the compile step's outputs: %v", err)
	}
	removed := map[string]bool{}
	for _, rel := range seen {
		if kept[rel] || removedAbove(removed, rel) {
			continue
		}
		if err := ForceRemove(filepath.Join(dir, rel)); err != nil {
			return fmt.Errorf("removing %q, which no compile output names: %v", rel, err)
		}
		removed[rel] = true
	}
	return nil
}

func matchesAny(patterns []string, rel string) bool {
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, rel); ok {
			return true
		}
	}
	return false
}

func removedAbove(removed map[string]bool, rel string) bool {
	for a := filepath.Dir(rel); a != "."; a = filepath.Dir(a) {
		if removed[a] {
			return true
		}
	}
	return false
}
