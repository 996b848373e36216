#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What legitimate programs do to themselves and their own processes. */

static void say(const char *what, long r) {
	printf("%s: %s\n", what, r >= 0 ? "ok" : strerrorname_np(errno));
	fflush(stdout);
}

static pid_t sleeper(void) {
	pid_t p = fork();
	if (p == 0) { for (;;) pause(); }
	return p;
}

static void ended(const char *who, pid_t p) {
	int st;
	waitpid(p, &st, 0);
	if (WIFSIGNALED(st)) printf("%s ended by signal %d\n", who, WTERMSIG(st));
	else printf("%s exited %d\n", who, WEXITSTATUS(st));
	fflush(stdout);
}

static volatile sig_atomic_t handled;
static void count(int sig) { (void)sig; handled++; }

/* Each of four threads waits for a signal sent to it alone with pthread_kill (tgkill). */
static __thread volatile sig_atomic_t mine;
static void mark(int sig) { (void)sig; mine = 1; }
static void *wait_for_signal(void *arg) {
	(void)arg;
	while (!mine) usleep(1000);
	return NULL;
}
static int thread_ring(void) {
	signal(SIGUSR2, mark);
	pthread_t t[4];
	for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, wait_for_signal, NULL);
	for (int i = 0; i < 4; i++) if (pthread_kill(t[i], SIGUSR2) != 0) return 0;
	for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
	return 1;
}

static void queued(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t p = fork();
	if (p == 0) {
		siginfo_t a, b;
		sigwaitinfo(&set, &a);
		sigwaitinfo(&set, &b);
		printf("child got values %d %d\n", a.si_value.sival_int, b.si_value.sival_int);
		fflush(stdout);
		_exit(0);
	}
	long queued = sigqueue(p, SIGRTMIN, (union sigval){.sival_int = 42});
	int queued_errno = errno;
	int fd = syscall(SYS_pidfd_open, p, 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGRTMIN;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = 43;
	long sent = syscall(SYS_pidfd_send_signal, fd, SIGRTMIN, &si, 0);
	int sent_errno = errno;
	ended("queued child", p); /* it prints first */
	errno = queued_errno;
	say("sigqueue to a child", queued);
	errno = sent_errno;
	say("pidfd_send_signal with siginfo to a child", sent);
}

static void own_processes(void) {
	pid_t a = sleeper();
	say("setpgid of a child into a group of its own", setpgid(a, a));
	pid_t b = sleeper();
	say("setpgid of another child into that group", setpgid(b, a));
	say("setpriority of a child", setpriority(PRIO_PROCESS, a, 5));
	say("setpriority of a child's group", setpriority(PRIO_PGRP, a, 6));
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	say("sched_setaffinity of a child", sched_setaffinity(a, sizeof one, &one));
	struct sched_param sp = {0};
	say("sched_setscheduler of a child", sched_setscheduler(a, SCHED_BATCH, &sp));
	struct rlimit lim = {64, 64};
	say("prlimit64 of a child", prlimit(a, RLIMIT_NOFILE, &lim, NULL));
	int fds[2];
	pipe(fds);
	say("F_SETOWN to a child", fcntl(fds[0], F_SETOWN, a));
	say("F_SETOWN to a child's group", fcntl(fds[0], F_SETOWN, -a));
	say("tkill of a child", syscall(SYS_tkill, b, 0));
	say("kill of a child's group", kill(-a, SIGTERM));
	ended("group child a", a);
	ended("group child b", b);
	pid_t c = sleeper();
	int pfd = syscall(SYS_pidfd_open, c, 0);
	say("pidfd_send_signal to a child", syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0));
	ended("pidfd child", c);
}

int main(int argc, char **argv) {
	const char *mode = argv[1];
	if (!strcmp(mode, "kill-child")) {
		pid_t p = sleeper();
		say("kill of a child", kill(p, SIGTERM));
		ended("child", p);
	} else if (!strcmp(mode, "abort")) {
		abort();
	} else if (!strcmp(mode, "abort-child")) {
		pid_t p = fork();
		if (p == 0) abort();
		ended("child", p);
	} else if (!strcmp(mode, "raise")) {
		signal(SIGUSR1, count);
		raise(SIGUSR1);
		printf("main handled %d\n", (int)handled);
		pid_t p = fork();
		if (p == 0) { raise(SIGUSR1); _exit(handled == 2 ? 0 : 1); }
		ended("raising child", p);
	} else if (!strcmp(mode, "threads")) {
		printf("main threads signalled: %s\n", thread_ring() ? "yes" : "no");
		fflush(stdout);
		pid_t p = fork();
		if (p == 0) _exit(thread_ring() ? 0 : 1);
		ended("threaded child", p);
	} else if (!strcmp(mode, "queue")) {
		queued();
	} else if (!strcmp(mode, "own")) {
		own_processes();
	}
	return 0;
}
