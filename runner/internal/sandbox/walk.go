package sandbox

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// walkOwned calls visit for every entry beneath root, without following symlinks and reading
// directories a batch at a time, so that neither a deep nor a huge directory holds the runner.
// It descends into a directory only when uid owns it and visit says so: a program can create
// nothing inside other users' directories. It visits at most budget entries (when budget > 0)
// and returns false if there were more.
func walkOwned(root string, uid int, budget int, visit func(path string, st *unix.Stat_t) (descend bool)) bool {
	visited := 0
	dirs := []string{root}
	for len(dirs) > 0 {
		dir := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		f, err := os.Open(dir)
		if err != nil {
			continue // gone, or not readable: nothing the program keeps there can be found
		}
		for {
			entries, err := f.ReadDir(256)
			for _, e := range entries {
				if visited++; budget > 0 && visited > budget {
					f.Close()
					return false
				}
				path := filepath.Join(dir, e.Name())
				var st unix.Stat_t
				if unix.Lstat(path, &st) != nil {
					continue
				}
				if visit(path, &st) && st.Mode&unix.S_IFMT == unix.S_IFDIR && int(st.Uid) == uid {
					dirs = append(dirs, path)
				}
			}
			if err != nil || len(entries) == 0 {
				break
			}
		}
		f.Close()
	}
	return true
}

// fileID names a file for good: a file found at several paths or fds is counted once.
type fileID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) fileID { return fileID{uint64(st.Dev), st.Ino} }
