/* The program side of an interactive test that attacks everything of its uid outside its own
   tree (the interactor, both side runners, the runner): SIGKILL, SIGSTOP, PTRACE_ATTACH and
   PTRACE_SEIZE on every such process, once the interactor has answered its first guess (so it
   surely runs). It reports on stderr (its stdout is the interactor's stdin) how the attempts of
   each kind ended, and plays the guessing game correctly. Given arguments (testlib's files), it
   is the interactor instead: it attacks once the program's first guess came (so the program
   surely runs), then accepts that guess. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

static char outcome[64];
static int attempts;
static void note(long r) {
	const char *o = r >= 0 ? "ok" : strerrorname_np(errno);
	if (attempts++ == 0 || strcmp(outcome, o) == 0) snprintf(outcome, sizeof outcome, "%s", o);
	else snprintf(outcome, sizeof outcome, "mixed");
}

static void attack(void) {
	pid_t targets[1024];
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d)) && n < 1024) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
		pid_t pid = atoi(e->d_name);
		struct stat st;
		char path[64];
		snprintf(path, sizeof path, "/proc/%d", pid);
		if (pid == getpid() || stat(path, &st) != 0 || st.st_uid != getuid()) continue;
		targets[n++] = pid;
	}
	closedir(d);
	const char *kinds[] = {"SIGKILL", "SIGSTOP", "PTRACE_ATTACH", "PTRACE_SEIZE"};
	for (int k = 0; k < 4; k++) {
		attempts = 0;
		for (int i = 0; i < n; i++) {
			switch (k) {
			case 0: note(kill(targets[i], SIGKILL)); break;
			case 1: note(kill(targets[i], SIGSTOP)); break;
			case 2: note(ptrace(PTRACE_ATTACH, targets[i], 0, 0)); break;
			case 3: note(ptrace(PTRACE_SEIZE, targets[i], 0, 0)); break;
			}
		}
		fprintf(stderr, "%s on %s: %s\n", kinds[k], n >= 4 ? "at least 4 others" : "fewer than 4 others", attempts ? outcome : "nothing tried");
	}
}

int main(int argc, char **argv) {
	(void)argv;
	int lo = 1, hi = 100, first = 1;
	char reply[32];
	if (argc > 1) {
		if (!fgets(reply, sizeof reply, stdin)) return 3;
		attack();
		printf("correct\n");
		return 0;
	}
	for (;;) {
		int m = (lo + hi) / 2;
		printf("%d\n", m);
		fflush(stdout);
		if (!fgets(reply, sizeof reply, stdin)) return 3;
		if (first) attack();
		first = 0;
		if (strncmp(reply, "correct", 7) == 0) return 0;
		if (strncmp(reply, "higher", 6) == 0) lo = m + 1; else hi = m - 1;
	}
}
