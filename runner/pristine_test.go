package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// leaveC is what a hostile run leaves for the next run in its pod when its runner is gone:
// a background process in a session of its own, files in the work directory, /tmp and
// /dev/shm, an extended attribute and a default ACL on the work directory itself, and SysV shared memory,
// semaphores and message queues (one opened to everyone). It prints the background process's pid.
const leaveC = `
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/xattr.h>
#include <unistd.h>
static void put(const char *path) {
	FILE *f = fopen(path, "w");
	if (!f) { perror(path); exit(3); }
	fputs("answer of the previous run\n", f);
	fclose(f);
}
int main(int argc, char **argv) {
	put(argv[1]); put(argv[2]); put(argv[3]);
	if (setxattr(argv[4], "user.stash", "secret", 6, 0) != 0) { perror("setxattr"); exit(3); }
	/* A default ACL (owner: write only) that every file made later in the directory inherits. */
	static const char acl[] = {2, 0, 0, 0, 1, 0, 2, 0, 0xff, 0xff, 0xff, 0xff, 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
	if (setxattr(argv[4], "system.posix_acl_default", acl, sizeof acl, 0) != 0) { perror("setxattr acl"); exit(3); }
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (shm < 0 || sem < 0 || msg < 0) { perror("ipc"); return 3; }
	struct shmid_ds ds;
	shmctl(shm, IPC_STAT, &ds);
	ds.shm_perm.mode = 0666;
	shmctl(shm, IPC_SET, &ds);
	int p[2];
	pipe(p);
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() != 0) _exit(0);
		close(p[0]);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0); dup2(nul, 1); dup2(nul, 2);
		char buf[32];
		snprintf(buf, sizeof buf, "%d\n", getpid());
		write(p[1], buf, strlen(buf));
		close(p[1]);
		for (;;) { sleep(1); put(argv[2]); }
	}
	close(p[1]);
	char buf[32] = {0};
	read(p[0], buf, sizeof buf - 1);
	fputs(buf, stdout);
	return 0;
}`

// sysvOf lists the SysV objects of a kind that uid created or owns, as /proc/sysvipc shows them.
func sysvOf(t *testing.T, kind string, uid int) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/sysvipc/" + kind)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	header := strings.Fields(lines[0])
	var found []string
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		for i, name := range header {
			if (name == "uid" || name == "cuid") && i < len(f) && f[i] == strconv.Itoa(uid) {
				found = append(found, line)
				break
			}
		}
	}
	return found
}

// leaveTraces runs leaveC as the sandbox uid outside any runner, as if the runner of an earlier
// run had died, and returns the background process's pid and the outside files it wrote.
func leaveTraces(t *testing.T, workdir string) (int, []string) {
	t.Helper()
	bin := compileC(t, "leave", leaveC)
	name := fmt.Sprintf("coderun-pristine-%d", time.Now().UnixNano())
	outside := []string{filepath.Join("/tmp", name), filepath.Join("/dev/shm", name)}
	cmd := exec.Command(bin, filepath.Join(workdir, "answer.txt"), outside[0], outside[1], workdir)
	asSandboxUser(cmd)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("leave: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("leave printed %q", out)
	}
	t.Cleanup(func() {
		_ = syscallKill(pid)
		for _, p := range outside {
			os.Remove(p)
		}
		awaitReaped(t)
	})
	return pid, outside
}

// awaitReaped waits until the init process has reaped the killed processes of the sandbox uid:
// until then their zombies count against the RLIMIT_NPROC of the tests that follow.
func awaitReaped(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, _ := os.ReadDir("/proc")
		left := 0
		for _, e := range entries {
			if info, err := e.Info(); err == nil && e.Name()[0] >= '0' && e.Name()[0] <= '9' {
				if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) == sandboxUID {
					left++
				}
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d processes of uid %d were not reaped within 10 s", left, sandboxUID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func syscallKill(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// listJob is a job whose one test prints the work directory's entries.
func listJob() map[string]any {
	return singleTest([]string{"/bin/sh", "-c", "ls -A; echo end"}, "", defaultLimits())
}

func TestPristineRemovesWhatAnEarlierRunLeft(t *testing.T) {
	if !isRoot() {
		t.Fatal("these tests need root: they run the runner as a uid of its own")
	}
	workdir := newWorkdir(t)
	pid, outside := leaveTraces(t, workdir)
	if len(sysvOf(t, "shm", sandboxUID)) == 0 || len(processesOf(sandboxUID)) == 0 {
		t.Fatal("the leftovers were not made")
	}

	// Without --pristine the next run finds them (the control).
	plain := run(t, workdir, listJob())
	if got := plain.result.Tests[0].Stdout; got != "answer.txt\nend\n" {
		t.Fatalf("without --pristine the work directory shows %q, want the earlier run's answer.txt", got)
	}
	if _, err := os.Stat(outside[0]); err != nil {
		t.Fatalf("without --pristine the earlier run's /tmp file is gone: %v", err)
	}

	data := mustJSON(t, listJob())
	inv := runRaw(t, workdir, data, "--pristine")
	if inv.result.Error != nil {
		t.Fatalf("runner error: %s\nstderr: %s", *inv.result.Error, inv.stderr)
	}
	if got := inv.result.Tests[0].Stdout; got != "end\n" {
		t.Fatalf("with --pristine the work directory shows %q, want nothing", got)
	}
	if pids := processesOf(sandboxUID); len(pids) > 0 {
		t.Fatalf("the earlier run's background process %d is still alive: %v", pid, pids)
	}
	for _, p := range outside {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s is still there (%v)", p, err)
		}
	}
	if n, _ := syscall.Getxattr(workdir, "user.stash", make([]byte, 64)); n > 0 {
		t.Fatal("the earlier run's extended attribute on the work directory is still there")
	}
	if n, _ := syscall.Getxattr(workdir, "system.posix_acl_default", make([]byte, 64)); n > 0 {
		t.Fatal("the earlier run's default ACL on the work directory is still there")
	}
	for _, kind := range []string{"shm", "sem", "msg"} {
		if left := sysvOf(t, kind, sandboxUID); len(left) > 0 {
			t.Fatalf("SysV %s of the earlier run still there: %v", kind, left)
		}
	}
}

func TestPristineRefusesWhatItCannotRemove(t *testing.T) {
	if !isRoot() {
		t.Fatal("these tests need root: they run the runner as a uid of its own")
	}
	workdir := newWorkdir(t)
	// A directory of another user in the work directory: the runner's uid cannot empty it.
	locked := filepath.Join(workdir, "locked")
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(locked, "kept"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := runRaw(t, workdir, mustJSON(t, listJob()), "--pristine")
	if inv.result.Error == nil || !strings.Contains(*inv.result.Error, "not pristine") {
		t.Fatalf("want a runner error saying the sandbox is not pristine, got error %s and tests %+v", str(inv.result.Error), inv.result.Tests)
	}
	if len(inv.result.Tests) != 0 {
		t.Fatalf("no test may run in a sandbox that is not pristine, got %d results", len(inv.result.Tests))
	}
}

func TestPristineNeedsAWorkDirectory(t *testing.T) {
	cmd := exec.Command(runnerBin, "run", "--pristine")
	cmd.Stdin = strings.NewReader("{}")
	out, _ := cmd.Output()
	if !strings.Contains(string(out), "--pristine needs --workdir") {
		t.Fatalf("want an error naming --workdir, got %s", out)
	}
}
