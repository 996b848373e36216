package sandbox

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// walkOwned calls visit for every entry beneath root, without following symlinks and reading
// directories a batch at a time, so that neither a deep nor a huge directory holds the runner.
// It descends into a directory only when uid owns it and visit says so: a program can create
// nothing inside other users' directories. It visits at most budget entries (when budget > 0)
// and returns false if there were more.
//
// The program can rename entries under the walk at any moment (a RENAME_EXCHANGE of a
// directory and a FIFO, say), so a directory is opened beneath root without following any
// symlink, with O_DIRECTORY (anything else fails at once, a FIFO's open never waits for a
// writer) and O_NONBLOCK, and checked again once open.
func walkOwned(root string, uid int, budget int, visit func(path string, st *unix.Stat_t) (descend bool)) bool {
	rootFD, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return true // gone, or not readable: nothing the program keeps there can be found
	}
	defer unix.Close(rootFD)
	visited := 0
	dirs := []string{"."} // relative to root
	for len(dirs) > 0 {
		rel := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		fd, err := openDirBeneath(rootFD, rel)
		if err != nil {
			continue // gone, replaced, or not readable
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR || (rel != "." && int(st.Uid) != uid) {
			unix.Close(fd)
			continue
		}
		f := os.NewFile(uintptr(fd), rel)
		dir := filepath.Join(root, rel)
		for {
			entries, err := f.ReadDir(256)
			for _, e := range entries {
				if visited++; budget > 0 && visited > budget {
					f.Close()
					return false
				}
				var st unix.Stat_t
				if unix.Fstatat(fd, e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
					continue
				}
				if visit(filepath.Join(dir, e.Name()), &st) && st.Mode&unix.S_IFMT == unix.S_IFDIR && int(st.Uid) == uid {
					dirs = append(dirs, filepath.Join(rel, e.Name()))
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

// openDirBeneath opens the directory rel beneath dirfd, following no symlink on the way.
func openDirBeneath(dirfd int, rel string) (int, error) {
	flags := uint64(unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC)
	fd, err := unix.Openat2(dirfd, rel, &unix.OpenHow{
		Flags:   flags,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		// No openat2 (an old kernel, or a runtime that lacks it): O_NOFOLLOW guards the last
		// component, and every parent was a directory of the uid when it was listed.
		fd, err = unix.Openat(dirfd, rel, int(flags), 0)
	}
	return fd, err
}

// fileID names a file for good: a file found at several paths or fds is counted once.
type fileID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) fileID { return fileID{uint64(st.Dev), st.Ino} }
