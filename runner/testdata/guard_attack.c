#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every attempt of one kind is tallied: the line says "ok" if one succeeded, else the errno
   all of them failed with ("mixed" if they differ). */
static char outcome[64];
static int attempts;
static void begin(void) { outcome[0] = 0; attempts = 0; }
static void note(long r) {
	const char *o = r >= 0 ? "ok" : strerrorname_np(errno);
	if (!o) o = "?";
	if (attempts++ == 0 || strcmp(outcome, "ok") == 0) snprintf(outcome, sizeof outcome, "%s", o);
	else if (strcmp(o, "ok") == 0) snprintf(outcome, sizeof outcome, "ok");
	else if (strcmp(outcome, o) != 0) snprintf(outcome, sizeof outcome, "mixed");
}
static void end(const char *label) {
	printf("%s: %s\n", label, attempts ? outcome : "nothing tried");
	fflush(stdout);
}

static pid_t runner;
static int ntargets;
static pid_t target_tid[512], target_tgid[512]; /* every thread of the runner and of PID 1 */

static void add_threads(pid_t pid) {
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) && ntargets < 512) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
		target_tid[ntargets] = atoi(e->d_name);
		target_tgid[ntargets++] = pid;
	}
	if (d) closedir(d);
}

static void find_targets(void) {
	add_threads(runner);
	if (runner != 1) add_threads(1);
	int runner_threads = 0;
	for (int i = 0; i < ntargets; i++) runner_threads += target_tgid[i] == runner;
	printf("runner threads found: %s\n", runner_threads > 1 ? "several" : "one or none");
}

static siginfo_t queued(int sig) {
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE; /* negative: what the kernel lets a process send to another */
	si.si_pid = getpid();
	si.si_uid = getuid();
	return si;
}

static void signals(int sig, const char *name) {
	char label[64];
	siginfo_t si = queued(sig);
	begin();
	for (int i = 0; i < ntargets; i++) note(kill(target_tid[i], sig));
	snprintf(label, sizeof label, "kill %s", name); end(label);
	begin();
	for (int i = 0; i < ntargets; i++) note(syscall(SYS_tkill, target_tid[i], sig));
	snprintf(label, sizeof label, "tkill %s", name); end(label);
	begin();
	for (int i = 0; i < ntargets; i++) note(syscall(SYS_tgkill, target_tgid[i], target_tid[i], sig));
	snprintf(label, sizeof label, "tgkill %s", name); end(label);
	begin();
	for (int i = 0; i < ntargets; i++) note(syscall(SYS_rt_sigqueueinfo, target_tid[i], sig, &si));
	snprintf(label, sizeof label, "rt_sigqueueinfo %s", name); end(label);
	begin();
	for (int i = 0; i < ntargets; i++) note(syscall(SYS_rt_tgsigqueueinfo, target_tgid[i], target_tid[i], sig, &si));
	snprintf(label, sizeof label, "rt_tgsigqueueinfo %s", name); end(label);
	begin();
	for (int i = 0; i < ntargets; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d", target_tid[i]);
		int fd = open(path, O_RDONLY | O_DIRECTORY);
		note(syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0));
		close(fd);
	}
	snprintf(label, sizeof label, "pidfd_send_signal /proc dir %s", name); end(label);
}

static void group(void) {
	pid_t g = getpgid(runner);
	begin(); note(kill(-g, SIGKILL)); end("kill runner group");
	begin(); note(kill(-1, SIGKILL)); end("kill -1");
	begin(); note(setpriority(PRIO_PGRP, g, 19)); end("setpriority runner group");
	begin(); note(setpgid(0, g)); end("setpgid into runner group");
	/* Had it joined, its own group would now hold the runner. */
	printf("own group is the runner's: %s\n", getpgid(0) == g ? "yes" : "no");
	fflush(stdout);
	signal(SIGTERM, SIG_IGN);
	begin(); note(kill(0, SIGTERM)); end("kill own group");
}

static void fsetown(void) {
	int fds[2];
	begin();
	for (int i = 0; i < ntargets; i++) note(pipe(fds) == 0 ? fcntl(fds[0], F_SETOWN, target_tid[i]) : -1);
	end("F_SETOWN thread");
	begin(); note(pipe(fds) == 0 ? fcntl(fds[0], F_SETOWN, -getpgid(runner)) : -1); end("F_SETOWN runner group");
	struct f_owner_ex ex = {F_OWNER_TID, runner};
	begin(); note(pipe(fds) == 0 ? fcntl(fds[0], F_SETOWN_EX, &ex) : -1); end("F_SETOWN_EX");
	/* Arm every pipe: a successful owner would get SIGKILL on the write. */
	for (int fd = 3; fd < 3 + 2 * (ntargets + 2); fd += 2) {
		fcntl(fd, F_SETSIG, SIGKILL);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
		write(fd + 1, "x", 1);
	}
	usleep(50000);
}

static void fiosetown(void) {
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	begin(); note(ioctl(sv[0], FIOSETOWN, &runner)); end("FIOSETOWN");
	begin(); note(ioctl(sv[0], SIOCSPGRP, &runner)); end("SIOCSPGRP");
	pid_t g = getpgid(runner);
	begin(); note(ioctl(sv[0], TIOCSPGRP, &g)); end("TIOCSPGRP");
	fcntl(sv[0], F_SETSIG, SIGKILL);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_ASYNC);
	write(sv[1], "x", 1);
	usleep(50000);
}

static void limits(void) {
	struct rlimit zero = {0, 0}, before, after;
	prlimit(runner, RLIMIT_NOFILE, NULL, &before);
	begin();
	for (int i = 0; i < ntargets; i++) note(prlimit(target_tid[i], RLIMIT_NOFILE, &zero, NULL));
	end("prlimit64 RLIMIT_NOFILE 0");
	begin();
	for (int i = 0; i < ntargets; i++) note(prlimit(target_tid[i], RLIMIT_CPU, &zero, NULL));
	end("prlimit64 RLIMIT_CPU 0");
	prlimit(runner, RLIMIT_NOFILE, NULL, &after);
	printf("runner RLIMIT_NOFILE unchanged: %s\n", before.rlim_cur == after.rlim_cur ? "yes" : "no");
	fflush(stdout);
}

static void priority(void) {
	int before = getpriority(PRIO_PROCESS, runner);
	begin();
	for (int i = 0; i < ntargets; i++) note(setpriority(PRIO_PROCESS, target_tid[i], 19));
	end("setpriority PRIO_PROCESS");
	begin(); note(setpriority(PRIO_USER, getuid(), 19)); note(setpriority(PRIO_USER, 0, 19)); end("setpriority PRIO_USER");
	begin();
	for (int i = 0; i < ntargets; i++)
		note(syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, target_tid[i], IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 7)));
	end("ioprio_set IOPRIO_WHO_PROCESS");
	begin(); note(syscall(SYS_ioprio_set, IOPRIO_WHO_USER, getuid(), IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 7))); end("ioprio_set IOPRIO_WHO_USER");
	printf("runner nice unchanged: %s\n", getpriority(PRIO_PROCESS, runner) == before ? "yes" : "no");
	fflush(stdout);
}

struct sched_attr_v0 {
	unsigned int size, sched_policy;
	unsigned long long sched_flags;
	int sched_nice;
	unsigned int sched_priority;
	unsigned long long sched_runtime, sched_deadline, sched_period;
};

static void sched(void) {
	struct sched_param p = {0};
	struct sched_attr_v0 attr = {sizeof attr, SCHED_IDLE};
	cpu_set_t one, before, after;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_getaffinity(runner, sizeof before, &before);
	begin();
	for (int i = 0; i < ntargets; i++) note(sched_setscheduler(target_tid[i], SCHED_IDLE, &p));
	end("sched_setscheduler SCHED_IDLE");
	begin();
	for (int i = 0; i < ntargets; i++) note(syscall(SYS_sched_setattr, target_tid[i], &attr, 0));
	end("sched_setattr SCHED_IDLE");
	begin();
	for (int i = 0; i < ntargets; i++) note(sched_setparam(target_tid[i], &p));
	end("sched_setparam");
	begin();
	for (int i = 0; i < ntargets; i++) note(sched_setaffinity(target_tid[i], sizeof one, &one));
	end("sched_setaffinity");
	int idle = 0;
	for (int i = 0; i < ntargets; i++) idle += sched_getscheduler(target_tid[i]) == SCHED_IDLE;
	sched_getaffinity(runner, sizeof after, &after);
	printf("runner scheduling unchanged: %s\n", !idle && CPU_EQUAL(&before, &after) ? "yes" : "no");
	fflush(stdout);
}

static void trace(void) {
	begin(); note(ptrace(PTRACE_ATTACH, runner, 0, 0)); note(ptrace(PTRACE_SEIZE, runner, 0, 0)); end("ptrace runner");
	begin(); note(ptrace(PTRACE_ATTACH, 1, 0, 0)); end("ptrace PID 1");
	/* The runner is the main process's parent: it would become the tracer, and its wait
	   would report the stop below as if the program had ended. */
	long traced = ptrace(PTRACE_TRACEME, 0, 0, 0);
	begin(); note(traced); end("ptrace TRACEME");
	if (traced == 0) raise(SIGSTOP);
}

static void memory(void) {
	char buf[64] = {0}, path[64];
	struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
	begin(); note(process_vm_writev(runner, &local, 1, &remote, 1, 0)); end("process_vm_writev");
	begin(); note(process_vm_readv(runner, &local, 1, &remote, 1, 0)); end("process_vm_readv");
	const char *files[] = {"mem", "environ", "oom_score_adj", "fd/0"};
	int modes[] = {O_RDWR, O_RDONLY, O_WRONLY, O_RDONLY};
	for (int i = 0; i < 4; i++) {
		char label[64];
		begin();
		snprintf(path, sizeof path, "/proc/%d/%s", runner, files[i]);
		note(open(path, modes[i]));
		snprintf(path, sizeof path, "/proc/1/%s", files[i]);
		note(open(path, modes[i]));
		snprintf(label, sizeof label, "open /proc/*/%s", files[i]);
		end(label);
	}
}

static int swap_loop(void *arg) {
	int *fds = arg;
	for (;;) {
		dup2(fds[0], 100);
		dup2(fds[1], 100);
	}
	return 0;
}

static void pidfds(void) {
	begin();
	for (int i = 0; i < ntargets; i++) note(syscall(SYS_pidfd_open, target_tgid[i], 0));
	end("pidfd_open");
	/* A pidfs file handle is the pid's inode number: open_by_handle_at could turn a guessed
	   one into a pidfd of the runner. */
	int self = syscall(SYS_pidfd_open, getpid(), 0);
	struct { struct file_handle h; unsigned char b[64]; } fh = {{64}};
	int mnt;
	name_to_handle_at(self, "", &fh.h, &mnt, AT_EMPTY_PATH);
	begin(); note(open_by_handle_at(self, &fh.h, O_RDONLY)); end("open_by_handle_at");
	begin(); note(syscall(SYS_pidfd_getfd, self, 0, 0)); end("pidfd_getfd");
	/* A process sharing the fd table swaps fd 100 between a pidfd of a zombie child (an
	   allowed target) and the runner's /proc directory while this one signals through it:
	   the runner must send only to what it checked. */
	pid_t z = fork();
	if (z == 0) _exit(0);
	static int fds[2];
	static char stack[65536];
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", runner);
	fds[0] = syscall(SYS_pidfd_open, z, 0);
	fds[1] = open(path, O_RDONLY | O_DIRECTORY);
	dup2(fds[0], 100);
	pid_t swapper = clone(swap_loop, stack + sizeof stack, CLONE_VM | CLONE_FILES | SIGCHLD, fds);
	int ok = 0, refused = 0;
	for (int i = 0; i < 3000; i++) {
		if (syscall(SYS_pidfd_send_signal, 100, SIGKILL, NULL, 0) == 0) ok++;
		else if (errno == EPERM) refused++;
	}
	kill(swapper, SIGKILL);
	waitpid(swapper, 0, 0);
	printf("swap race: both outcomes seen: %s\n", ok > 0 && refused > 0 ? "yes" : "no");
	fflush(stdout);
}

static void exit_signals(void) {
	static char stack[65536];
	/* Its parent would be the runner; the kernel gives such a child SIGCHLD as exit signal. */
	int r = clone((int (*)(void *))_exit, stack + sizeof stack, CLONE_PARENT | SIGKILL, NULL);
	begin(); note(r); end("clone CLONE_PARENT|SIGKILL");
	struct clone_args ca = {.flags = CLONE_PARENT, .exit_signal = SIGKILL};
	long r3 = syscall(SYS_clone3, &ca, sizeof ca);
	if (r3 == 0) _exit(0);
	begin(); note(r3); end("clone3 CLONE_PARENT exit_signal SIGKILL");
	usleep(50000);
}

static void others(void) {
	begin(); note(syscall(SYS_kcmp, getpid(), runner, 0, 0, 0)); end("kcmp");
	begin(); note(syscall(SYS_migrate_pages, runner, 1, NULL, NULL)); end("migrate_pages");
	begin(); note(syscall(SYS_move_pages, runner, 0, NULL, NULL, NULL, 0)); end("move_pages");
	struct { unsigned int type, size; char rest[120]; } attr = {1 /* PERF_TYPE_SOFTWARE */, 128};
	begin(); note(syscall(SYS_perf_event_open, &attr, runner, -1, -1, 0)); end("perf_event_open");
	begin(); note(syscall(SYS_process_madvise, 0, NULL, 0, 0, 0)); end("process_madvise");
	/* A second listener would let the program answer its own calls; the kernel allows one. */
	struct sock_fprog { unsigned short len; void *filter; };
	struct { unsigned short code; unsigned char jt, jf; unsigned int k; } allow = {0x06, 0, 0, 0x7fff0000};
	struct sock_fprog prog = {1, &allow};
	begin(); note(syscall(SYS_seccomp, 1 /* SET_MODE_FILTER */, 8 /* NEW_LISTENER */, &prog)); end("second listener");
	int listeners = 0;
	for (int fd = 0; fd < 1024; fd++) {
		char path[64], link[64] = "";
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		readlink(path, link, sizeof link - 1);
		listeners += strstr(link, "seccomp") != NULL;
	}
	printf("listeners held: %d\n", listeners);
	fflush(stdout);
}

/* spin burns CPU on CPU 0, where the sched attack would have pinned the runner. */
static void spin(void) {
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof one, &one);
	for (volatile unsigned long n = 0;; n++) {}
}

static void attack(const char *mode) {
	find_targets();
	if (!strcmp(mode, "kill")) signals(SIGKILL, "SIGKILL");
	else if (!strcmp(mode, "stop")) signals(SIGSTOP, "SIGSTOP");
	else if (!strcmp(mode, "group")) group();
	else if (!strcmp(mode, "fsetown")) fsetown();
	else if (!strcmp(mode, "fiosetown")) fiosetown();
	else if (!strcmp(mode, "limits")) limits();
	else if (!strcmp(mode, "priority")) priority();
	else if (!strcmp(mode, "sched")) sched();
	else if (!strcmp(mode, "trace")) trace();
	else if (!strcmp(mode, "memory")) memory();
	else if (!strcmp(mode, "pidfd")) pidfds();
	else if (!strcmp(mode, "exit-signal")) exit_signals();
	else if (!strcmp(mode, "others")) others();
	else { printf("unknown mode %s\n", mode); exit(2); }
}

int main(int argc, char **argv) {
	/* The mode comes from stdin, so that one job can attack and then check the runner. */
	char mode[32] = "";
	if (scanf("%31s", mode) != 1) return 2;
	runner = getppid();
	if (!strcmp(mode, "spin")) spin();
	if (!strcmp(mode, "hello")) { puts("still running"); return 0; }
	if (argc > 1 && !strcmp(argv[1], "grandchild")) {
		/* The attack from a grandchild in a session of its own, orphaned to the runner. */
		int done[2];
		pipe(done);
		dup2(done[1], 200);
		close(done[1]);
		if (fork() == 0) {
			setsid();
			if (fork() == 0) {
				close(done[0]);
				attack(mode);
				write(200, "x", 1);
				for (;;) pause();
			}
			_exit(0);
		}
		close(200);
		char c;
		read(done[0], &c, 1);
		return 0;
	}
	attack(mode);
	return 0;
}
