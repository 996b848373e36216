package workdir

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Snapshot is the work directory as the tests must find it: every entry's type, permissions,
// access and modification times, user extended attributes, and the contents of its regular
// files (kept in a memfd of the runner, which the program cannot reach: the runner is
// non-dumpable, so its /proc entries and fds are closed to it). Restore puts it back exactly
// before each test, whatever the previous test did to it.
type Snapshot struct {
	dir     string
	entries []*entry // sorted by path, so a directory comes before what it holds
	byRel   map[string]*entry
	store   *os.File // contents of the regular files, back to back
	seed    maphash.Seed
}

type entry struct {
	rel          string // "" for the work directory itself
	mode         uint32 // st_mode: type and permissions
	atime, mtime unix.Timespec
	size, off    int64  // regular files: content in the store
	sum          uint64 // regular files: keyed hash of the content
	target       string // symlinks
	xattrs       map[string][]byte
	// What the entry was after the snapshot or the last restore: an inode whose ctime (which
	// no unprivileged call can set) has not moved has kept its mode, times and attributes.
	ino   uint64
	ctime unix.Timespec
}

func (e *entry) kind() uint32 { return e.mode & unix.S_IFMT }

// Take records the work directory dir as it is now.
func Take(dir string) (*Snapshot, error) {
	fd, err := unix.MemfdCreate("coderun-workdir", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("snapshot of the work directory: memfd_create: %v", err)
	}
	s := &Snapshot{dir: dir, byRel: map[string]*entry{}, store: os.NewFile(uintptr(fd), "coderun-workdir"), seed: maphash.MakeSeed()}
	if err := s.take(""); err != nil {
		s.Close()
		return nil, fmt.Errorf("snapshot of the work directory: %v", err)
	}
	slices.SortFunc(s.entries, func(a, b *entry) int { return strings.Compare(a.rel, b.rel) })
	// Reading the files moved their access times: the tests find those of before.
	if err := s.settle(nil); err != nil {
		s.Close()
		return nil, fmt.Errorf("snapshot of the work directory: %v", err)
	}
	if err := s.record(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close frees the snapshot's copy of the files.
func (s *Snapshot) Close() { _ = s.store.Close() }

func (s *Snapshot) path(rel string) string {
	if rel == "" {
		return s.dir
	}
	return filepath.Join(s.dir, rel)
}

func (s *Snapshot) take(rel string) error {
	p := s.path(rel)
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return err
	}
	e := &entry{rel: rel, mode: st.Mode, atime: st.Atim, mtime: st.Mtim}
	s.entries = append(s.entries, e)
	s.byRel[rel] = e
	switch e.kind() {
	case unix.S_IFREG:
		e.xattrs = userXattrs(p)
		return withAccess(p, st.Mode, 0o400, func() error {
			f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			e.off, _ = s.store.Seek(0, io.SeekCurrent)
			h := maphash.Hash{}
			h.SetSeed(s.seed)
			n, err := io.Copy(io.MultiWriter(s.store, &h), f)
			e.size, e.sum = n, h.Sum64()
			return err
		})
	case unix.S_IFLNK:
		t, err := os.Readlink(p)
		e.target = t
		return err
	case unix.S_IFDIR:
		e.xattrs = userXattrs(p)
		var names []string
		err := withAccess(p, st.Mode, 0o500, func() error {
			ents, err := os.ReadDir(p)
			for _, d := range ents {
				names = append(names, d.Name())
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := s.take(filepath.Join(rel, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// withAccess runs fn with the owner permission bits need added to path's mode for the time.
func withAccess(path string, mode uint32, need uint32, fn func() error) error {
	if mode&need == need {
		return fn()
	}
	if err := unix.Chmod(path, mode&0o7777|need); err != nil {
		return err
	}
	err := fn()
	if cerr := unix.Chmod(path, mode&0o7777); err == nil {
		err = cerr
	}
	return err
}

// record notes each entry's inode and ctime as they are now.
func (s *Snapshot) record() error {
	for _, e := range s.entries {
		var st unix.Stat_t
		if err := unix.Lstat(s.path(e.rel), &st); err != nil {
			return fmt.Errorf("work directory entry %s: %v", s.path(e.rel), err)
		}
		e.ino, e.ctime = st.Ino, st.Ctim
	}
	return nil
}

// Restore makes the work directory what it was when the snapshot was taken: it removes what
// is new, recreates what is gone or was replaced or changed, and resets permissions, times and
// user extended attributes. No process of the program may be running. An error is the runner's.
func (s *Snapshot) Restore() error {
	recreated := map[*entry]bool{}
	// Top down: each directory is verified (a real directory, not a symlink) and made
	// accessible to the owner before anything beneath it is touched.
	for _, e := range s.entries {
		p := s.path(e.rel)
		var st unix.Stat_t
		err := unix.Lstat(p, &st)
		if e.rel == "" {
			if err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return fmt.Errorf("the work directory %s is gone or no longer a directory (%v)", p, err)
			}
			if st.Mode&0o700 != 0o700 {
				if err := unix.Chmod(p, st.Mode&0o7777|0o700); err != nil {
					return fmt.Errorf("cannot make the work directory writable again: %v", err)
				}
			}
			continue
		}
		if err == nil && s.unchanged(e, p, &st) {
			if e.kind() == unix.S_IFDIR && st.Mode&0o700 != 0o700 {
				if err := unix.Chmod(p, st.Mode&0o7777|0o700); err != nil {
					return fmt.Errorf("cannot restore %s: %v", p, err)
				}
			}
			continue
		}
		if err == nil {
			if err := ForceRemove(p); err != nil {
				return fmt.Errorf("cannot remove %s, changed by the program: %v", p, err)
			}
		}
		if err := s.create(e, p); err != nil {
			return fmt.Errorf("cannot restore %s: %v", p, err)
		}
		recreated[e] = true
	}
	// Whatever is not in the snapshot goes.
	var failed error
	for _, e := range s.entries {
		if e.kind() != unix.S_IFDIR {
			continue
		}
		p := s.path(e.rel)
		ents, err := os.ReadDir(p)
		if err != nil {
			return fmt.Errorf("cannot list %s: %v", p, err)
		}
		for _, d := range ents {
			rel := filepath.Join(e.rel, d.Name())
			if s.byRel[rel] != nil {
				continue
			}
			if err := ForceRemove(filepath.Join(p, d.Name())); err != nil && failed == nil {
				failed = fmt.Errorf("cannot remove %s, left by the program: %v", filepath.Join(p, d.Name()), err)
			}
		}
	}
	if failed != nil {
		return failed
	}
	if err := s.settle(recreated); err != nil {
		return err
	}
	return s.record()
}

// settle restores, bottom up, permissions, attributes, then times (a directory's after its
// entries'), where they differ or the entry was recreated or changed since the last record.
func (s *Snapshot) settle(recreated map[*entry]bool) error {
	euid := os.Geteuid()
	for i := len(s.entries) - 1; i >= 0; i-- {
		e := s.entries[i]
		p := s.path(e.rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return fmt.Errorf("cannot restore %s: %v", p, err)
		}
		// An entry of another owner (a pod's work directory is the kubelet's emptyDir, owned by
		// root) cannot be given back its mode, times or attributes, and for the same reason the
		// program cannot set them either: only "now" by writing into it.
		if int(st.Uid) != euid {
			continue
		}
		if e.kind() != unix.S_IFLNK {
			if recreated[e] || st.Ctim != e.ctime {
				if err := setUserXattrs(p, e.xattrs); err != nil {
					return fmt.Errorf("cannot restore the extended attributes of %s: %v", p, err)
				}
			}
			if st.Mode&0o7777 != e.mode&0o7777 {
				if err := unix.Chmod(p, e.mode&0o7777); err != nil {
					return fmt.Errorf("cannot restore the mode of %s: %v", p, err)
				}
			}
		}
		if recreated[e] || st.Ctim != e.ctime || st.Atim != e.atime || st.Mtim != e.mtime {
			ts := []unix.Timespec{e.atime, e.mtime}
			if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fmt.Errorf("cannot restore the times of %s: %v", p, err)
			}
		}
	}
	return nil
}

// unchanged tells whether the entry at p (whose lstat is st) is still the snapshot's. A
// regular file's content is compared by its keyed hash, as writes through a shared mapping
// can leave ctime and mtime where they were.
func (s *Snapshot) unchanged(e *entry, p string, st *unix.Stat_t) bool {
	if st.Mode&unix.S_IFMT != e.kind() {
		return false
	}
	if e.kind() == unix.S_IFDIR {
		// Kept: what is in it is put right entry by entry, its mode, times and attributes
		// afterwards.
		return true
	}
	if st.Ino != e.ino || st.Ctim != e.ctime {
		return false
	}
	switch e.kind() {
	case unix.S_IFREG:
		if st.Size != e.size {
			return false
		}
		f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW, 0)
		if err != nil {
			return false
		}
		defer f.Close()
		h := maphash.Hash{}
		h.SetSeed(s.seed)
		n, err := io.Copy(&h, f)
		return err == nil && n == e.size && h.Sum64() == e.sum
	case unix.S_IFLNK:
		t, err := os.Readlink(p)
		return err == nil && t == e.target
	}
	return true // a socket or device node left by the compile step: kept while it is the same inode
}

func (s *Snapshot) create(e *entry, p string) error {
	switch e.kind() {
	case unix.S_IFDIR:
		return unix.Mkdir(p, 0o700)
	case unix.S_IFLNK:
		return unix.Symlink(e.target, p)
	case unix.S_IFIFO:
		return unix.Mkfifo(p, 0o600)
	case unix.S_IFREG:
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, io.NewSectionReader(s.store, e.off, e.size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return nil // sockets and device nodes cannot be made again; they stay gone
}

// userXattrs reads the user.* extended attributes of path (none where unsupported).
func userXattrs(path string) map[string][]byte {
	names := listXattrs(path)
	out := map[string][]byte{}
	for _, n := range names {
		if !strings.HasPrefix(n, "user.") {
			continue
		}
		buf := make([]byte, 64<<10)
		if sz, err := unix.Lgetxattr(path, n, buf); err == nil {
			out[n] = bytes.Clone(buf[:sz])
		}
	}
	return out
}

func listXattrs(path string) []string {
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(path, buf)
	if err != nil || n <= 0 {
		return nil
	}
	var names []string
	for _, b := range bytes.Split(buf[:n], []byte{0}) {
		if len(b) > 0 {
			names = append(names, string(b))
		}
	}
	return names
}

// ClearUserXattrs removes every user.* extended attribute of path (a program can set them on a
// directory it may write to but does not own, such as the root of a writable volume), and fails
// if one is left.
func ClearUserXattrs(path string) error {
	if err := setUserXattrs(path, nil); err != nil {
		return fmt.Errorf("cannot remove the extended attributes of %s: %v", path, err)
	}
	for _, n := range listXattrs(path) {
		if strings.HasPrefix(n, "user.") {
			return fmt.Errorf("extended attribute %s of %s is still there after its removal", n, path)
		}
	}
	return nil
}

// aclXattrs are the POSIX ACLs of a file or directory; a default ACL on a directory is
// inherited by every file later made in it, the runner's too.
var aclXattrs = []string{"system.posix_acl_access", "system.posix_acl_default"}

// ClearACLs removes the ACLs of path, which only its owner can set (so the runner can remove
// what a program of its uid set).
func ClearACLs(path string) error {
	for _, n := range aclXattrs {
		if err := unix.Lremovexattr(path, n); err != nil && !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.EOPNOTSUPP) {
			return fmt.Errorf("cannot remove the ACL %s of %s: %v", n, path, err)
		}
	}
	return nil
}

// setUserXattrs makes path's user.* attributes exactly want.
func setUserXattrs(path string, want map[string][]byte) error {
	for _, n := range listXattrs(path) {
		if _, keep := want[n]; strings.HasPrefix(n, "user.") && !keep {
			if err := unix.Lremovexattr(path, n); err != nil && !errors.Is(err, unix.ENODATA) {
				return err
			}
		}
	}
	for n, v := range want {
		if err := unix.Lsetxattr(path, n, v, 0); err != nil {
			return err
		}
	}
	return nil
}

// ForceRemove removes path and everything beneath it, first making its directories
// writable if a program took that away to keep its files.
func ForceRemove(path string) error {
	if os.RemoveAll(path) == nil {
		return nil
	}
	_ = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(path)
}
