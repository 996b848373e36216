package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestLocateMemCgroup(t *testing.T) {
	const v1Mount = "35 31 0:32 %s /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	const v2Mount = "30 23 0:27 %s /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
	cases := []struct {
		name, cgroup, mountinfo, dir string
		v2, ok                       bool
	}{
		{"v1 host", "5:cpu,cpuacct:/\n4:memory:/process_api/abc\n0::/\n",
			"34 31 0:31 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n" + fmt.Sprintf(v1Mount, "/"),
			"/sys/fs/cgroup/memory/process_api/abc", false, true},
		{"v1 container, its own cgroup mounted", "4:memory:/kubepods/burstable/pod1/c1\n",
			fmt.Sprintf(v1Mount, "/kubepods/burstable/pod1/c1"), "/sys/fs/cgroup/memory", false, true},
		{"v1 cgroup outside the mounted part", "4:memory:/kubepods/other\n",
			fmt.Sprintf(v1Mount, "/kubepods/burstable/pod1/c1"), "", false, false},
		{"v1 prefix that is not a parent", "4:memory:/kubepods/pod10\n",
			fmt.Sprintf(v1Mount, "/kubepods/pod1"), "", false, false},
		{"v2 cgroup namespace", "0::/\n", fmt.Sprintf(v2Mount, "/"), "/sys/fs/cgroup", true, true},
		{"v2 host", "0::/user.slice/session-1.scope\n", fmt.Sprintf(v2Mount, "/"), "/sys/fs/cgroup/user.slice/session-1.scope", true, true},
		{"hybrid: memory is on v1", "4:memory:/a\n0::/a\n",
			"40 31 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n" + fmt.Sprintf(v1Mount, "/"), "/sys/fs/cgroup/memory/a", false, true},
		{"escaped mount point", "0::/x\n", "30 23 0:27 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n", "/sys/fs/my cgroup/x", true, true},
		{"no cgroup mounted", "4:memory:/a\n", "22 1 8:1 / / rw - ext4 /dev/vda rw\n", "", false, false},
	}
	for _, c := range cases {
		dir, v2, ok := locateCgroup("memory", []byte(c.cgroup), []byte(c.mountinfo))
		if dir != c.dir || v2 != c.v2 || ok != c.ok {
			t.Errorf("%s: got %q v2=%v ok=%v, want %q v2=%v ok=%v", c.name, dir, v2, ok, c.dir, c.v2, c.ok)
		}
	}
}

func TestReadKeyedFindsCounters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "memory.oom_control")
	if err := os.WriteFile(path, []byte("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, ok := readKeyed(path, "oom_kill"); !ok || n != 3 {
		t.Fatalf("oom_kill = %d %v, want 3", n, ok)
	}
	if _, ok := readKeyed(path, "oom"); ok {
		t.Fatal("a key must match whole")
	}
}

func TestLocateCPUCgroup(t *testing.T) {
	cases := []struct {
		name, cgroup, mountinfo, dir string
		v2, ok                       bool
	}{
		{"v1 cpu,cpuacct", "5:cpu,cpuacct:/kubepods/pod1/c1\n4:memory:/kubepods/pod1/c1\n0::/\n",
			"34 31 0:31 /kubepods/pod1/c1 /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n" +
				"40 31 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
			"/sys/fs/cgroup/cpu,cpuacct", false, true},
		{"v1 cpuacct alone, host", "2:cpuacct:/a\n1:cpu:/\n", "34 31 0:31 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n",
			"/sys/fs/cgroup/cpuacct/a", false, true},
		{"v2", "0::/x\n", "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup/x", true, true},
		{"v1 cpuacct not mounted", "2:cpuacct:/a\n0::/\n", "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "", false, false},
	}
	for _, c := range cases {
		dir, v2, ok := locateCgroup("cpuacct", []byte(c.cgroup), []byte(c.mountinfo))
		if dir != c.dir || v2 != c.v2 || ok != c.ok {
			t.Errorf("%s: got %q v2=%v ok=%v, want %q v2=%v ok=%v", c.name, dir, v2, ok, c.dir, c.v2, c.ok)
		}
	}
}
