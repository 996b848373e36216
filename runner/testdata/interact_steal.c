/* The program side of an interactive test that tries to read the interactor's secret, as a
   hostile program of the same uid would, once the interactor has answered its first guess (so
   it surely runs). For every other process of its uid it opens the absolute paths on its
   command line (the interactor's input and answer files; a runner's name only the program's
   own directories), changes their mode, ACL and times and those of their directories, lists
   those directories and its cwd, opens
   its /proc/PID/mem for reading and writing and each of its /proc/PID/fd/N. It reports on
   stderr (its stdout is the interactor's stdin) how many of each kind it tried and how many
   succeeded, prints any secret it could read, and plays the guessing game correctly. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct tally { int tried, opened; };
static struct tally files, dirs, mem, fds, attrs;

/* Takes the file away from the interactor without opening it: its mode, an ACL, its times. */
static void try_attrs(const char *path) {
	static const char acl[] = {2, 0, 0, 0, 1, 0, 2, 0, 0xff, 0xff, 0xff, 0xff, 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
	attrs.tried += 3;
	if (chmod(path, 0) == 0) attrs.opened++;
	if (setxattr(path, "system.posix_acl_access", acl, sizeof acl, 0) == 0) attrs.opened++;
	if (utimensat(AT_FDCWD, path, NULL, 0) == 0) attrs.opened++;
}

static void try_open(struct tally *t, const char *path, int flags) {
	t->tried++;
	int fd = open(path, flags);
	if (fd < 0) return;
	t->opened++;
	char buf[64] = {0};
	if (read(fd, buf, sizeof buf - 1) > 0) fprintf(stderr, "read %s: %s", path, buf);
	close(fd);
}

static void try_dir(const char *path) {
	dirs.tried++;
	DIR *d = opendir(path);
	if (!d) return;
	dirs.opened++;
	closedir(d);
}

static void steal(void) {
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
		pid_t pid = atoi(e->d_name);
		struct stat st;
		char path[4096];
		snprintf(path, sizeof path, "/proc/%d", pid);
		if (pid == getpid() || stat(path, &st) != 0 || st.st_uid != getuid()) continue;
		snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
		char cmdline[4096];
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof cmdline - 1) : -1;
		if (fd >= 0) close(fd);
		if (n > 0) cmdline[n] = 0;
		/* The runners' arguments name the program's own work directory: only the others'. */
		const char *name = n > 0 ? strrchr(cmdline, '/') : NULL;
		int runner = n > 0 && strcmp(name ? name + 1 : cmdline, "runner") == 0;
		for (ssize_t i = strlen(cmdline) + 1; n > 0 && !runner && i < n; i += strlen(cmdline + i) + 1) {
			const char *arg = cmdline + i;
			if (arg[0] != '/' || strncmp(arg, "/proc", 5) == 0) continue;
			try_open(&files, arg, O_RDONLY);
			try_attrs(arg);
			char dir[4096];
			snprintf(dir, sizeof dir, "%s", arg);
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir) { *slash = 0; try_dir(dir); try_attrs(dir); }
		}
		snprintf(path, sizeof path, "/proc/%d/cwd", pid);
		try_dir(path);
		snprintf(path, sizeof path, "/proc/%d/mem", pid);
		try_open(&mem, path, O_RDWR);
		try_open(&mem, path, O_RDONLY);
		for (int f = 0; f < 8; f++) {
			snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, f);
			struct stat fst;
			if (lstat(path, &fst) == 0) try_open(&fds, path, O_RDONLY);
		}
	}
	if (d) closedir(d);
	fprintf(stderr, "files %d/%d dirs %d/%d mem %d/%d fds %d/%d attrs %d/%d\n", files.opened, files.tried, dirs.opened, dirs.tried,
	        mem.opened, mem.tried, fds.opened, fds.tried, attrs.opened, attrs.tried);
}

int main(void) {
	int lo = 1, hi = 100, first = 1;
	char reply[32];
	for (;;) {
		int m = (lo + hi) / 2;
		printf("%d\n", m);
		fflush(stdout);
		if (!fgets(reply, sizeof reply, stdin)) return 3;
		if (first) steal();
		first = 0;
		if (strncmp(reply, "correct", 7) == 0) return 0;
		if (strncmp(reply, "higher", 6) == 0) lo = m + 1; else hi = m - 1;
	}
}
