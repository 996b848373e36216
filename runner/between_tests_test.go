package main_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// traceC leaves traces in the work directory ("tamper") or reports what it finds there
// ("report"): the content, mode and times of the job's file and of the compiled ./main, the
// entries of the work directory, its times and user extended attributes, and whether a POSIX
// message queue and a key of the uid's keyring are there.
const traceC = `
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
static void show(const char *path, int atime) {
	struct stat st;
	if (lstat(path, &st) != 0) { printf("%s: gone\n", path); return; }
	printf("%s: mode %o size %ld mtime %ld.%09ld atime %ld.%09ld\n", path, st.st_mode, (long)st.st_size,
		(long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, atime ? (long)st.st_atim.tv_sec : 0L, atime ? st.st_atim.tv_nsec : 0L);
	char list[4096];
	ssize_t n = llistxattr(path, list, sizeof list);
	for (ssize_t i = 0; i < n; i += strlen(list + i) + 1) printf("  xattr %s\n", list + i);
}
static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }
int main(int argc, char **argv) {
	char mode[16];
	if (scanf("%15s", mode) != 1) return 2;
	int mq = argc > 1 && !strcmp(argv[1], "mq");
	if (!strcmp(mode, "tamper")) {
		FILE *f = fopen("data.txt", "a"); fputs("appended by a test\n", f); fclose(f);
		struct timespec ts[2] = {{12345, 0}, {67890, 0}};
		utimensat(AT_FDCWD, "data.txt", ts, 0);
		chmod("data.txt", 0600);
		f = fopen("sub/inner.txt", "w"); fputs("changed\n", f); fclose(f);
		close(open("new.txt", O_CREAT | O_WRONLY, 0644));
		mkdir("newdir", 0755);
		setxattr(".", "user.stash", "secret", 6, 0);
		utimensat(AT_FDCWD, ".", ts, 0);
		if (mq) {
			struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 64};
			mqd_t q = mq_open("/stash", O_CREAT | O_WRONLY, 0600, &a);
			if (q == (mqd_t)-1) { perror("mq_open"); return 3; }
			mq_send(q, "secret", 6, 0);
		}
		/* The compiled program replaced by a directory: the next test's ./main could not start. */
		unlink("main");
		mkdir("main", 0700);
		chmod("sub", 0);
		puts("tampered");
		return 0;
	}
	/* ./main's access time is its exec's, and a directory's that of the runner's last scan of it. */
	show(".", 0); show("data.txt", 1); show("main", 0); show("sub", 0); show("sub/inner.txt", 1);
	struct dirent **names;
	int n = scandir(".", &names, 0, by_name);
	for (int i = 0; i < n; i++) printf("entry %s\n", names[i]->d_name);
	FILE *d = fopen("data.txt", "r");
	char buf[256]; size_t got = d ? fread(buf, 1, sizeof buf - 1, d) : 0; buf[got] = 0;
	printf("data.txt holds %s", buf);
	if (mq) printf("queue /stash: %s\n", mq_open("/stash", O_RDONLY) == (mqd_t)-1 ? "gone" : "here");
	return 0;
}`

// betweenTestsJob runs report, tamper, report, report: the reports must be the same.
func betweenTestsJob(bin string, mq bool) map[string]any {
	run := []string{"./main"}
	if mq {
		run = append(run, "mq")
	}
	var tests []any
	for i, mode := range []string{"report", "tamper", "report", "report"} {
		tests = append(tests, map[string]any{"name": mode + string(rune('0'+i)), "stdin": mode})
	}
	return map[string]any{
		"files": []any{
			map[string]any{"path": "data.txt", "content": "job file\n"},
			map[string]any{"path": "sub/inner.txt", "content": "inner\n"},
		},
		"compile": map[string]any{"command": []string{"cp", bin, "main"}},
		"run":     map[string]any{"command": run},
		"tests":   tests,
		"limits":  defaultLimits(),
	}
}

func assertUntouchedBetweenTests(t *testing.T, res result) {
	t.Helper()
	if res.Error != nil || len(res.Tests) != 4 {
		t.Fatalf("error %s, %d results (want no error and 4 results: the test that replaced ./main must not break the next)", str(res.Error), len(res.Tests))
	}
	if res.Tests[1].Stdout != "tampered\n" {
		t.Fatalf("the tampering test said %q (stderr %q)", res.Tests[1].Stdout, res.Tests[1].Stderr)
	}
	first := res.Tests[0].Stdout
	if !strings.Contains(first, "data.txt holds job file") {
		t.Fatalf("the first report is unexpected:\n%s", first)
	}
	for _, r := range res.Tests[2:] {
		if r.Stdout != first {
			t.Errorf("test %s found the work directory changed by an earlier test:\n%s\nwant, as the first test found it:\n%s", r.Name, r.Stdout, first)
		}
	}
}

func TestATestFindsTheWorkDirectoryAsTheFirstTestDid(t *testing.T) {
	bin := compileC(t, "trace", traceC)
	inv := run(t, newWorkdir(t), betweenTestsJob(bin, false))
	assertUntouchedBetweenTests(t, inv.result)
	assertNothingLeft(t)
}

func TestATestFindsNoMessageQueueOfAnEarlierTest(t *testing.T) {
	bin := compileC(t, "trace", traceC)
	job, _ := json.Marshal(betweenTestsJob(bin, true))
	inv := runInContainer(t, memoryCgroup(t, 1024), job)
	assertUntouchedBetweenTests(t, inv.result)
	if !strings.Contains(inv.result.Tests[0].Stdout, "queue /stash: gone") {
		t.Fatalf("the first report is unexpected:\n%s", inv.result.Tests[0].Stdout)
	}
}
