package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// Confinement puts a program in a Landlock domain of its own: it keeps every file right
// everywhere except beneath Hide (a top-level directory: the runner's judge directory), where
// it reaches only the directories in Reach. A process in the domain can neither trace nor open
// the /proc files (mem, fd, cwd, root, environ) of any process outside it, even of its own
// uid: that is what keeps the two sides of an interactive test, which run as one uid at the
// same time, out of each other's memory and files.
type Confinement struct {
	Hide  string   `json:"hide"`
	Reach []string `json:"reach,omitempty"`
}

// errNoLandlock says why a confined program cannot run here.
var errNoLandlock = errors.New("this node's kernel offers no Landlock (Linux 5.13 or later with landlock in its lsm= list), or the container's seccomp profile refuses it: an interactive test needs it to keep the program out of the interactor's files and memory")

func (c Confinement) args() []string {
	args := []string{"hide=" + c.Hide}
	for _, r := range c.Reach {
		args = append(args, "reach="+r)
	}
	return args
}

// TopLevel is the directory right under / that holds the absolute path ("/coderun" for
// /coderun/judge): what a Confinement can hide.
func TopLevel(path string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(filepath.Clean(path), "/"), "/")
	return "/" + first
}

func (c Confinement) valid() error {
	if hide := filepath.Clean(c.Hide); !filepath.IsAbs(hide) || hide == "/" || TopLevel(hide) != hide {
		return fmt.Errorf("the hidden directory %q is not a top-level directory", c.Hide)
	}
	for _, r := range c.Reach {
		if !strings.HasPrefix(filepath.Clean(r), filepath.Clean(c.Hide)+"/") {
			return fmt.Errorf("the reachable directory %q is not under %q", r, c.Hide)
		}
	}
	return nil
}

// confine enforces c on this process (every thread) and what it execs.
func confine(c Confinement) error {
	if err := c.valid(); err != nil {
		return err
	}
	if abi, err := ll.LandlockGetABIVersion(); err != nil || abi < 1 {
		return errNoLandlock
	}
	// Landlock grants rights beneath directories, so "all but Hide" is every other entry of
	// the root (read-only: no entry appears later).
	entries, err := os.ReadDir("/")
	if err != nil {
		return fmt.Errorf("list /: %v", err)
	}
	var dirs, files []string
	for _, e := range entries {
		p := "/" + e.Name()
		if p == filepath.Clean(c.Hide) {
			continue
		}
		st, err := os.Stat(p)
		switch {
		case err != nil: // a dangling symlink: nothing to grant
		case st.IsDir():
			dirs = append(dirs, p)
		default:
			files = append(files, p)
		}
	}
	dirs = append(dirs, c.Reach...)
	rules := []landlock.Rule{landlock.RWDirs(dirs...).WithRefer().WithIoctlDev()}
	if len(files) > 0 {
		rules = append(rules, landlock.RWFiles(files...).WithIoctlDev())
	}
	if err := landlock.V11.BestEffort().RestrictPaths(rules...); err != nil {
		return fmt.Errorf("enter a Landlock domain: %v", err)
	}
	return nil
}
