package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// memCgroup is the runner's memory cgroup (v1 or v2). The kernel charges every page a process
// of the cgroup brings in to it, shared memory included: tmpfs and /dev/shm files, memfds and
// SysV segments appear in memory.stat's shmem whether or not anything maps them, each once.
type memCgroup struct {
	dir      string
	v2       bool
	shmemKey string // the memory.stat line with the cgroup's shared memory
	// own: no process but the runner and PID 1 (a warm pod's `runner idle`) is in it, as in a
	// sandbox container, so what is charged to it during a run is the program's.
	own bool
}

// findMemCgroup finds the runner's memory cgroup through /proc/self/cgroup and the cgroup
// mounts; nil when there is none it can read (then why says so).
func findMemCgroup() (cg *memCgroup, why string) {
	self, err1 := os.ReadFile("/proc/self/cgroup")
	mounts, err2 := os.ReadFile("/proc/self/mountinfo")
	if err1 != nil || err2 != nil {
		return nil, "cannot read /proc/self/cgroup or /proc/self/mountinfo"
	}
	dir, v2, ok := locateCgroup("memory", self, mounts)
	if !ok {
		return nil, "no mounted memory cgroup holds the runner"
	}
	cg = &memCgroup{dir: dir, v2: v2, shmemKey: "shmem"}
	if !v2 {
		cg.shmemKey = "total_shmem" // v1's plain shmem leaves out child cgroups
	}
	if _, ok := cg.shmemBytes(); !ok {
		return nil, "no " + cg.shmemKey + " line in " + filepath.Join(dir, "memory.stat")
	}
	cg.own = onlyRunnerIn(filepath.Join(dir, "cgroup.procs"))
	return cg, ""
}

// shmemBytes is the shared memory charged to the cgroup now.
func (c *memCgroup) shmemBytes() (int64, bool) {
	return readKeyed(filepath.Join(c.dir, "memory.stat"), c.shmemKey)
}

// kernelBytes is the kernel memory charged to the cgroup now: slab objects such as pipe
// buffers, socket buffers, SysV and POSIX messages, page tables and kernel stacks. v1 has it
// in memory.kmem.usage_in_bytes (socket buffers of TCP apart, and the runner's sockets are
// AF_UNIX only); v2 in memory.stat's kernel plus sock. ok is false where the kernel keeps no
// such count (v1 without kmem accounting).
func (c *memCgroup) kernelBytes() (int64, bool) {
	if !c.v2 {
		data, err := os.ReadFile(filepath.Join(c.dir, "memory.kmem.usage_in_bytes"))
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 64)
		return n, err == nil
	}
	k, ok := readKeyed(filepath.Join(c.dir, "memory.stat"), "kernel")
	if !ok {
		return 0, false
	}
	sock, _ := readKeyed(filepath.Join(c.dir, "memory.stat"), "sock")
	return k + sock, true
}

// oomKills counts the processes of the cgroup the kernel's OOM killer has killed.
func (c *memCgroup) oomKills() (int64, bool) {
	if c.v2 {
		return readKeyed(filepath.Join(c.dir, "memory.events"), "oom_kill")
	}
	return readKeyed(filepath.Join(c.dir, "memory.oom_control"), "oom_kill")
}

func (c *memCgroup) String() string {
	v := "v1"
	if c.v2 {
		v = "v2"
	}
	return "cgroup " + v + " " + c.dir
}

// locateCgroup joins the runner's cgroup path (/proc/self/cgroup) to the mount of its
// hierarchy (/proc/self/mountinfo), for the v1 controller named (memory, cpuacct) or else the
// v2 hierarchy. A container usually sees its own cgroup mounted at /sys/fs/cgroup (mount root =
// its path, or a cgroup namespace); a host sees the whole tree. The v1 hierarchy wins over v2,
// which in hybrid setups holds no such controller.
func locateCgroup(controller string, procCgroup, mountinfo []byte) (dir string, v2 bool, ok bool) {
	var v1Path, v2Path string
	var haveV1, haveV2 bool
	for line := range strings.Lines(string(procCgroup)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2Path, haveV2 = parts[2], true
		case hasWord(parts[1], controller):
			v1Path, haveV1 = parts[2], true
		}
	}
	for line := range strings.Lines(string(mountinfo)) {
		pre, post, found := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !found || len(f) < 5 || len(g) < 3 {
			continue
		}
		root, point := unescapeMount(f[3]), unescapeMount(f[4])
		switch {
		case haveV1 && g[0] == "cgroup" && hasWord(g[2], controller):
			if rel, under := beneath(v1Path, root); under {
				return point + rel, false, true
			}
		case haveV2 && !haveV1 && g[0] == "cgroup2":
			if rel, under := beneath(v2Path, root); under {
				return point + rel, true, true
			}
		}
	}
	return "", false, false
}

// beneath returns path relative to root ("" or "/sub") when path lies under root.
func beneath(path, root string) (string, bool) {
	if root == "/" {
		return strings.TrimSuffix(path, "/"), true
	}
	rel, ok := strings.CutPrefix(path, root)
	return rel, ok && (rel == "" || rel[0] == '/')
}

func hasWord(list, word string) bool {
	for _, w := range strings.Split(list, ",") {
		if w == word {
			return true
		}
	}
	return false
}

// unescapeMount undoes mountinfo's octal escapes of space, tab, newline and backslash.
func unescapeMount(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}

// onlyRunnerIn tells whether the cgroup.procs file lists nothing but this process and PID 1.
func onlyRunnerIn(procsFile string) bool {
	data, err := os.ReadFile(procsFile)
	if err != nil {
		return false
	}
	self := strconv.Itoa(os.Getpid())
	for _, pid := range strings.Fields(string(data)) {
		if pid != self && pid != "1" {
			return false
		}
	}
	return true
}

// readKeyed reads the value of key from a flat keyed file of "key value" lines.
func readKeyed(path, key string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(data) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte(" "))
		if ok && string(k) == key {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
