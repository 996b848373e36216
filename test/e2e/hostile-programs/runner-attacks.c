// Attacks a submitted program can make on its runner and on PID 1 of its sandbox pod, chosen by
// the first word of stdin (see main). The program runs as the runner's uid, so only the sandbox
// stands between it and them.
//
// Report: a line "OK <attack> <target>" for every attempt that succeeded (undone at once where
// that is possible, so that the report still gets out), and per attack a summary line
// "<attack>: tried N, ok K, EPERM=3 ESRCH=1 ...". Lines starting with "TARGETS" list what the
// program could see. A judge expects no "OK " line at all.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_PRIO_VALUE(class, data) (((class) << 13) | (data))

static int out_fd = 1;
// In a daemon's rounds only the totals are reported (and every OK line): the output stays short.
static int quiet, quiet_tried, quiet_ok;

static void say(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  // One write per line, unbuffered: what was reported is out even if the next attempt is fatal.
  if (write(out_fd, line, n) < 0) return;
}

static const char *errname(int e) {
  const char *name = strerrorname_np(e);
  return name ? name : "E?";
}

// ---- what the program can see ----------------------------------------------------------------

struct target {
  int pid, tid;
  char comm[20];
};
static struct target targets[1024];
static int ntargets;
static int pids[256];
static int npids;

static void read_comm(int pid, char *comm, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  strcpy(comm, "?");
  int fd = open(path, O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, comm, size - 1);
  close(fd);
  if (n <= 0) { strcpy(comm, "?"); return; }
  comm[n] = 0;
  char *nl = strchr(comm, '\n');
  if (nl) *nl = 0;
}

static int numeric(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

// The program's own processes (a daemon's main process and its parent): signalling those is
// the program's own business, not an attack.
static int own[4];
static int nown;

static int is_own(int pid) {
  if (pid == getpid()) return 1;
  for (int i = 0; i < nown; i++)
    if (own[i] == pid) return 1;
  return 0;
}

// Every process of the pod's pid namespace but the program's own, and every thread of each.
static void find_targets(void) {
  ntargets = npids = 0;
  int self = getpid();
  DIR *proc = opendir("/proc");
  if (!proc) { say("TARGETS none: /proc: %s", errname(errno)); return; }
  struct dirent *e;
  while ((e = readdir(proc)) && npids < 256) {
    if (!numeric(e->d_name)) continue;
    int pid = atoi(e->d_name);
    if (is_own(pid)) continue;
    pids[npids++] = pid;
    char comm[20];
    read_comm(pid, comm, sizeof comm);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *task = opendir(path);
    int found = 0;
    struct dirent *t;
    while (task && (t = readdir(task)) && ntargets < 1024) {
      if (!numeric(t->d_name)) continue;
      struct target *x = &targets[ntargets++];
      x->pid = pid;
      x->tid = atoi(t->d_name);
      strcpy(x->comm, comm);
      found = 1;
    }
    if (task) closedir(task);
    if (!found && ntargets < 1024) {
      struct target *x = &targets[ntargets++];
      x->pid = pid;
      x->tid = pid;
      strcpy(x->comm, comm);
    }
  }
  closedir(proc);
  if (quiet) return;
  // One line: "TARGETS self=9 parent=7 1:runner[1,6,7] 7:runner[7,8,9]".
  char line[480];
  int n = snprintf(line, sizeof line, "TARGETS self=%d parent=%d", self, getppid());
  for (int i = 0; i < ntargets && n < (int)sizeof line - 40; i++) {
    if (i == 0 || targets[i].pid != targets[i - 1].pid)
      n += snprintf(line + n, sizeof line - n, " %d:%s[%d", targets[i].pid, targets[i].comm, targets[i].tid);
    else
      n += snprintf(line + n, sizeof line - n, ",%d", targets[i].tid);
    if (i + 1 == ntargets || targets[i + 1].pid != targets[i].pid) n += snprintf(line + n, sizeof line - n, "]");
  }
  say("%s", line);
}

// ---- tallies ---------------------------------------------------------------------------------

struct tally {
  const char *name;
  int tried, ok, oks_shown;
  int errs[160];
};

// rc < 0: failed with err; else succeeded (an "OK" line, at most 6 per attack).
static void record(struct tally *t, long rc, int err, const char *fmt, ...) {
  t->tried++;
  if (rc < 0) {
    if (err >= 0 && err < 160) t->errs[err]++;
    return;
  }
  t->ok++;
  if (t->oks_shown++ >= 6) return;
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  say("OK %s %s", t->name, what);
}


static void summary(struct tally *t) {
  if (quiet) {
    quiet_tried += t->tried;
    quiet_ok += t->ok;
    return;
  }
  char line[400];
  int n = snprintf(line, sizeof line, "%s: tried %d, ok %d", t->name, t->tried, t->ok);
  for (int e = 0; e < 160 && n < (int)sizeof line - 30; e++)
    if (t->errs[e]) n += snprintf(line + n, sizeof line - n, ", %s=%d", e == ENOMSG ? "NOEFFECT" : errname(e), t->errs[e]);
  say("%s", line);
}

static int total_ok(struct tally *ts, int n) {
  int ok = 0;
  for (int i = 0; i < n; i++) ok += ts[i].ok;
  return ok;
}

static void pause_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

// ---- signals at every thread -----------------------------------------------------------------

static siginfo_t queued(int sig) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = sig;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  return si;
}

enum { K_KILL, K_TGKILL, K_TKILL, K_RTQ, K_RTTGQ, K_PIDFD, K_PROCFD, K_PGRP, K_ALL, K_COUNT };

// Sends sig to one thread by every system call that can; returns nothing, records each.
// With undo, a signal that got through is followed by SIGCONT the same way.
static void signal_thread(struct tally *t, const struct target *x, int sig, int undo) {
  siginfo_t si = queued(sig), cont = queued(SIGCONT);
  long rc;
  const char *c = x->comm;
  rc = kill(x->tid, sig);
  record(&t[K_KILL], rc, errno, "kill(%d [%s pid %d], %d)", x->tid, c, x->pid, sig);
  if (rc == 0 && undo) kill(x->tid, SIGCONT);
  rc = syscall(SYS_tgkill, x->pid, x->tid, sig);
  record(&t[K_TGKILL], rc, errno, "tgkill(%d, %d [%s], %d)", x->pid, x->tid, c, sig);
  if (rc == 0 && undo) syscall(SYS_tgkill, x->pid, x->tid, SIGCONT);
  rc = syscall(SYS_tkill, x->tid, sig);
  record(&t[K_TKILL], rc, errno, "tkill(%d [%s pid %d], %d)", x->tid, c, x->pid, sig);
  if (rc == 0 && undo) syscall(SYS_tkill, x->tid, SIGCONT);
  rc = syscall(SYS_rt_sigqueueinfo, x->tid, sig, &si);
  record(&t[K_RTQ], rc, errno, "rt_sigqueueinfo(%d [%s pid %d], %d)", x->tid, c, x->pid, sig);
  if (rc == 0 && undo) syscall(SYS_rt_sigqueueinfo, x->tid, SIGCONT, &cont);
  rc = syscall(SYS_rt_tgsigqueueinfo, x->pid, x->tid, sig, &si);
  record(&t[K_RTTGQ], rc, errno, "rt_tgsigqueueinfo(%d, %d [%s], %d)", x->pid, x->tid, c, sig);
  if (rc == 0 && undo) syscall(SYS_rt_tgsigqueueinfo, x->pid, x->tid, SIGCONT, &cont);
  // A pidfd alone does no harm: the attack is open + send, and fails if either step does.
  long fd = syscall(SYS_pidfd_open, x->tid, x->tid == x->pid ? 0 : PIDFD_THREAD);
  if (fd < 0) record(&t[K_PIDFD], -1, errno, "pidfd_open(%d)", x->tid);
  if (fd >= 0) {
    rc = syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
    record(&t[K_PIDFD], rc, errno, "pidfd_send_signal(pidfd of %d [%s], %d)", x->tid, c, sig);
    if (rc == 0 && undo) syscall(SYS_pidfd_send_signal, fd, SIGCONT, NULL, 0);
    close(fd);
  }
}

// Per process: its /proc directory as a pidfd, and its process group.
static void signal_process(struct tally *t, int pid, int sig, int undo) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", pid);
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    long rc = syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
    record(&t[K_PROCFD], rc, errno, "pidfd_send_signal(/proc/%d, %d)", pid, sig);
    if (rc == 0 && undo) syscall(SYS_pidfd_send_signal, fd, SIGCONT, NULL, 0);
    close(fd);
  }
  int pgrp = getpgid(pid);
  if (pgrp > 0 && !is_own(pgrp) && pgrp != getpgrp()) {
    long rc = kill(-pgrp, sig);
    record(&t[K_PGRP], rc, errno, "kill(-%d [group of %d], %d)", pgrp, pid, sig);
    if (rc == 0 && undo) kill(-pgrp, SIGCONT);
  }
}

// Joining another process's group would let kill(0) reach it. Undone at once (a group of its own).
static int join_groups(void) {
  struct tally t = {"setpgid(0, their group)"};
  for (int i = 0; i < npids; i++) {
    int pgrp = getpgid(pids[i]);
    if (pgrp <= 0 || is_own(pgrp) || pgrp == getpgrp()) continue;
    long rc = setpgid(0, pgrp);
    int err = errno;
    if (rc == 0) setpgid(0, 0);
    record(&t, rc, err, "group %d of pid %d", pgrp, pids[i]);
  }
  summary(&t);
  return t.ok;
}

static void signal_round(struct tally *t, int sig, int undo) {
  for (int i = 0; i < ntargets; i++) signal_thread(t, &targets[i], sig, undo);
  for (int i = 0; i < npids; i++) signal_process(t, pids[i], sig, undo);
  // The runner and PID 1 by name, even when /proc hides them.
  struct target runner = {getppid(), getppid(), "parent"}, init = {1, 1, "pid1"};
  if (getppid() > 1 && !is_own(getppid())) signal_thread(t, &runner, sig, undo);
  signal_thread(t, &init, sig, undo);
  long rc = kill(-1, sig);
  record(&t[K_ALL], rc, errno, "kill(-1, %d)", sig);
  if (rc == 0 && undo) kill(-1, SIGCONT);
}

static void new_tallies(struct tally *t, const char *phase) {
  static const char *names[K_COUNT] = {"kill", "tgkill", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open+pidfd_send_signal", "pidfd_send_signal(/proc/pid)", "kill(-pgrp)", "kill(-1)"};
  static char labels[4][K_COUNT][48];
  static int used;
  int slot = used++ % 4;
  memset(t, 0, sizeof(struct tally) * K_COUNT);
  for (int k = 0; k < K_COUNT; k++) {
    snprintf(labels[slot][k], sizeof labels[slot][k], "%s %s", names[k], phase);
    t[k].name = labels[slot][k];
  }
}

// SIGSTOP first, each undone by SIGCONT; only when none got through, SIGTERM and SIGKILL (which
// end the run if they get through: the run then never reports, and the judge sees that).
static int attack_signals(void) {
  struct tally t[K_COUNT];
  new_tallies(t, "STOP");
  signal_round(t, SIGSTOP, 1);
  for (int k = 0; k < K_COUNT; k++) summary(&t[k]);
  int ok = total_ok(t, K_COUNT) + join_groups();
  if (ok) return ok;
  struct tally u[K_COUNT];
  new_tallies(u, "TERM+KILL");
  signal_round(u, SIGTERM, 0);
  signal_round(u, SIGKILL, 0);
  pause_ms(20);
  for (int k = 0; k < K_COUNT; k++) summary(&u[k]);
  return total_ok(u, K_COUNT);
}

// ---- SIGIO: the kernel signals the owner of a file on the program's behalf ------------------

static char state_of(int pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return '?';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

// Arms a pipe to signal `owner` with `sig` and writes to it. Returns the failing errno (0 when
// every fcntl succeeded).
static int sigio_once(int type, int id, int sig) {
  int p[2];
  if (pipe2(p, O_NONBLOCK) < 0) return errno;
  struct f_owner_ex owner = {type, id};
  int err = 0;
  if (fcntl(p[0], F_SETOWN_EX, &owner) < 0) err = errno;
  else if (fcntl(p[0], F_SETSIG, sig) < 0) err = errno;
  else if (fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0) err = errno;
  else if (write(p[1], "x", 1) < 0) err = errno;
  close(p[0]);
  close(p[1]);
  return err;
}

static int stopped_within(int pid, int ms) {
  for (int i = 0; i < ms; i++) {
    char s = state_of(pid);
    if (s == 'T' || s == 't') return 1;
    pause_ms(1);
  }
  return 0;
}

// The same owner set through ioctl (FIOSETOWN on a pipe, SIOCSPGRP on a socket) instead of fcntl.
static int sigio_ioctl_once(int request, int id, int sig) {
  int p[2];
  int rc = request == FIOSETOWN ? pipe2(p, O_NONBLOCK) : socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p);
  if (rc < 0) return errno;
  int on = 1, err = 0;
  if (ioctl(p[0], request, &id) < 0) err = errno;
  else if (fcntl(p[0], F_SETSIG, sig) < 0) err = errno;
  else if (ioctl(p[0], FIOASYNC, &on) < 0) err = errno;
  else if (write(p[1], "x", 1) < 0) err = errno;
  close(p[0]);
  close(p[1]);
  return err;
}

// rc semantics for record(): the fcntl chain failing is the refusal; a chain that went through
// but stopped nothing counts as the pseudo-errno ENOMSG, reported as NOEFFECT.
static void sigio_at(struct tally *t, int type, int id, int watch, const char *what) {
  int err = sigio_once(type, id, SIGSTOP);
  if (err) { record(t, -1, err, "%s", what); return; }
  if (stopped_within(watch, 30)) {
    sigio_once(type, id, SIGCONT);
    record(t, 0, 0, "%s: stopped pid %d", what, watch);
    return;
  }
  record(t, -1, ENOMSG, "%s", what);
}

static int attack_sigio(void) {
  struct tally t = {"F_SETOWN+F_SETSIG+O_ASYNC STOP"};
  char what[96];
  for (int i = 0; i < npids; i++) {
    snprintf(what, sizeof what, "pid %d", pids[i]);
    sigio_at(&t, F_OWNER_PID, pids[i], pids[i], what);
    int pgrp = getpgid(pids[i]);
    if (pgrp > 0 && !is_own(pgrp) && pgrp != getpgrp()) {
      snprintf(what, sizeof what, "group %d of pid %d", pgrp, pids[i]);
      sigio_at(&t, F_OWNER_PGRP, pgrp, pids[i], what);
    }
  }
  for (int i = 0; i < ntargets; i++) {
    snprintf(what, sizeof what, "thread %d of %d", targets[i].tid, targets[i].pid);
    sigio_at(&t, F_OWNER_TID, targets[i].tid, targets[i].pid, what);
  }
  if (getppid() > 1 && !is_own(getppid())) sigio_at(&t, F_OWNER_PID, getppid(), getppid(), "parent");
  summary(&t);
  struct tally io = {"FIOSETOWN/SIOCSPGRP+FIOASYNC STOP"};
  for (int i = 0; i < npids; i++) {
    static const int requests[] = {FIOSETOWN, SIOCSPGRP};
    for (int r = 0; r < 2; r++) {
      int err = sigio_ioctl_once(requests[r], pids[i], SIGSTOP);
      if (err) { record(&io, -1, err, "pid %d", pids[i]); continue; }
      if (stopped_within(pids[i], 30)) {
        sigio_ioctl_once(requests[r], pids[i], SIGCONT);
        record(&io, 0, 0, "%s: stopped pid %d", r ? "SIOCSPGRP" : "FIOSETOWN", pids[i]);
      } else {
        record(&io, -1, ENOMSG, "pid %d", pids[i]);
      }
    }
  }
  summary(&io);
  if (t.ok || io.ok) return t.ok + io.ok;
  // Nothing stopped: the fatal signals, the same way (SIGTERM for PID 1, which handles it).
  struct tally u = {"F_SETOWN+F_SETSIG+O_ASYNC TERM+KILL"};
  for (int i = 0; i < npids; i++) {
    int err = sigio_once(F_OWNER_PID, pids[i], pids[i] == 1 ? SIGTERM : SIGKILL);
    record(&u, -1, err ? err : ENOMSG, "pid %d", pids[i]);
  }
  for (int i = 0; i < ntargets; i++) {
    int err = sigio_once(F_OWNER_TID, targets[i].tid, SIGTERM);
    record(&u, -1, err ? err : ENOMSG, "thread %d", targets[i].tid);
  }
  pause_ms(20);
  summary(&u);
  return 0;
}

// ---- resource limits of others -----------------------------------------------------------

static int attack_rlimits(void) {
  static const struct { int res; const char *name; } res[] = {
    {RLIMIT_CPU, "RLIMIT_CPU"}, {RLIMIT_NOFILE, "RLIMIT_NOFILE"}, {RLIMIT_NPROC, "RLIMIT_NPROC"},
    {RLIMIT_AS, "RLIMIT_AS"}, {RLIMIT_FSIZE, "RLIMIT_FSIZE"}, {RLIMIT_STACK, "RLIMIT_STACK"},
  };
  struct tally t = {"prlimit64"};
  for (int i = 0; i < ntargets; i++) {
    int tid = targets[i].tid;
    for (size_t r = 0; r < sizeof res / sizeof res[0]; r++) {
      struct rlimit old;
      int readable = prlimit(tid, res[r].res, NULL, &old) == 0;
      // Lower the soft limit to 0 only (so it can be put back if it goes through); when the
      // old one cannot even be read, ask for 0/0 as an attacker would.
      struct rlimit zero = {0, readable ? old.rlim_max : 0};
      long rc = prlimit(tid, res[r].res, &zero, NULL);
      int err = errno;
      if (rc == 0 && readable) prlimit(tid, res[r].res, &old, NULL);
      record(&t, rc, err, "%s of %d [%s pid %d]", res[r].name, tid, targets[i].comm, targets[i].pid);
    }
  }
  summary(&t);
  return t.ok;
}

// ---- scheduling of others ------------------------------------------------------------------

static int attack_sched(void) {
  struct tally nice_t = {"setpriority(PRIO_PROCESS)"}, grp_t = {"setpriority(PRIO_PGRP)"}, user_t = {"setpriority(PRIO_USER)"};
  struct tally aff_t = {"sched_setaffinity"}, sch_t = {"sched_setscheduler"}, io_t = {"ioprio_set"};
  struct tally attr_t = {"sched_setattr"}, param_t = {"sched_setparam"}, migrate_t = {"migrate_pages/move_pages"};
  int before_runner = getpriority(PRIO_PROCESS, getppid()), before_init = getpriority(PRIO_PROCESS, 1);
  for (int i = 0; i < ntargets; i++) {
    int tid = targets[i].tid;
    const char *c = targets[i].comm;
    long rc = setpriority(PRIO_PROCESS, tid, 19);
    record(&nice_t, rc, errno, "%d [%s pid %d] to 19", tid, c, targets[i].pid);
    cpu_set_t old, one;
    if (sched_getaffinity(tid, sizeof old, &old) == 0) {
      CPU_ZERO(&one);
      for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &old)) { CPU_SET(cpu, &one); break; }
      rc = sched_setaffinity(tid, sizeof one, &one);
      int err = errno;
      if (rc == 0) sched_setaffinity(tid, sizeof old, &old);
      record(&aff_t, rc, err, "%d [%s pid %d] to one cpu", tid, c, targets[i].pid);
    } else {
      record(&aff_t, -1, errno, "%d (get)", tid);
    }
    struct sched_param zero = {0};
    rc = sched_setscheduler(tid, SCHED_IDLE, &zero);
    record(&sch_t, rc, errno, "%d [%s pid %d] to SCHED_IDLE", tid, c, targets[i].pid);
    rc = syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0));
    record(&io_t, rc, errno, "%d [%s pid %d] to the idle class", tid, c, targets[i].pid);
    struct { unsigned size, policy; unsigned long long flags; int nice; unsigned prio; unsigned long long runtime, deadline, period; } attr = {48, SCHED_IDLE, 0, 19, 0, 0, 0, 0};
    rc = syscall(SYS_sched_setattr, tid, &attr, 0);
    record(&attr_t, rc, errno, "%d [%s pid %d] to SCHED_IDLE", tid, c, targets[i].pid);
    rc = sched_setparam(tid, &zero);
    record(&param_t, rc, errno, "%d [%s pid %d]", tid, c, targets[i].pid);
  }
  for (int i = 0; i < npids; i++) {
    unsigned long nodes = 1;
    long rc = syscall(SYS_migrate_pages, pids[i], 8 * sizeof nodes, &nodes, &nodes);
    record(&migrate_t, rc, errno, "migrate_pages(%d)", pids[i]);
    rc = syscall(SYS_move_pages, pids[i], 0, NULL, NULL, NULL, 0);
    record(&migrate_t, rc, errno, "move_pages(%d)", pids[i]);
    int pgrp = getpgid(pids[i]);
    if (pgrp <= 0 || is_own(pgrp) || pgrp == getpgrp()) continue;
    rc = setpriority(PRIO_PGRP, pgrp, 19);
    record(&grp_t, rc, errno, "group %d of pid %d to 19", pgrp, pids[i]);
  }
  // PRIO_USER always succeeds for the program's own processes: it counts as got through only if
  // it reached the runner or PID 1.
  errno = 0;
  long rc = setpriority(PRIO_USER, getuid(), 19);
  int err = errno;
  int after_runner = getpriority(PRIO_PROCESS, getppid()), after_init = getpriority(PRIO_PROCESS, 1);
  int reached = (getppid() > 1 && after_runner != before_runner) || after_init != before_init;
  if (rc < 0) record(&user_t, -1, err, "uid %d", getuid());
  else if (reached) record(&user_t, 0, 0, "uid %d: parent nice %d -> %d, pid 1 nice %d -> %d", getuid(), before_runner, after_runner, before_init, after_init);
  else record(&user_t, -1, ENOMSG, "uid %d", getuid());
  summary(&nice_t);
  summary(&grp_t);
  summary(&user_t);
  summary(&aff_t);
  summary(&sch_t);
  summary(&io_t);
  summary(&attr_t);
  summary(&param_t);
  summary(&migrate_t);
  return nice_t.ok + grp_t.ok + user_t.ok + aff_t.ok + sch_t.ok + io_t.ok + attr_t.ok + param_t.ok + migrate_t.ok;
}

// ---- tracing, memory, file descriptors of others ------------------------------------------------

static int attack_ptrace(void) {
  struct tally att = {"ptrace(PTRACE_ATTACH)"}, seize = {"ptrace(PTRACE_SEIZE)"}, mem = {"open(/proc/pid/mem, O_RDWR)"};
  struct tally vmw = {"process_vm_writev"}, fds = {"open(/proc/pid/fd/N)"}, env = {"read(/proc/pid/environ)"}, getfd = {"pidfd_getfd"};
  struct tally tune = {"write(/proc/pid/{oom_score_adj,timerslack_ns,comm})"};
  char path[64];
  for (int i = 0; i < ntargets; i++) {
    int tid = targets[i].tid;
    long rc = ptrace(PTRACE_ATTACH, tid, 0, 0);
    int err = errno;
    if (rc == 0) { waitpid(tid, NULL, __WALL); ptrace(PTRACE_DETACH, tid, 0, 0); }
    record(&att, rc, err, "%d [%s pid %d]", tid, targets[i].comm, targets[i].pid);
    rc = ptrace(PTRACE_SEIZE, tid, 0, 0);
    err = errno;
    if (rc == 0) { ptrace(PTRACE_INTERRUPT, tid, 0, 0); waitpid(tid, NULL, __WALL); ptrace(PTRACE_DETACH, tid, 0, 0); }
    record(&seize, rc, err, "%d [%s pid %d]", tid, targets[i].comm, targets[i].pid);
  }
  for (int i = 0; i < npids; i++) {
    int pid = pids[i];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int fd = open(path, O_RDWR);
    record(&mem, fd, errno, "%s", path);
    if (fd >= 0) close(fd);
    // Permission is checked before the address: EFAULT means the write was allowed.
    char byte = 0;
    struct iovec local = {&byte, 1}, remote = {(void *)0x10000, 1};
    long rc = syscall(SYS_process_vm_writev, pid, &local, 1, &remote, 1, 0);
    int err = errno;
    record(&vmw, rc < 0 && err == EFAULT ? 0 : rc, err, "pid %d", pid);
    for (int n = 0; n < 4; n++) {
      snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, n);
      fd = open(path, (n == 0 ? O_RDONLY : O_WRONLY) | O_NONBLOCK);
      if (fd < 0 && errno == ENOENT) continue;
      record(&fds, fd, errno, "%s", path);
      if (fd >= 0) close(fd);
    }
    // Its OOM score up (the OOM killer's first choice), its timers a second late, its name.
    static const char *tunables[][2] = {{"oom_score_adj", "1000"}, {"timerslack_ns", "1000000000"}, {"comm", "x"}};
    for (int n = 0; n < 3; n++) {
      snprintf(path, sizeof path, "/proc/%d/%s", pid, tunables[n][0]);
      fd = open(path, O_WRONLY);
      if (fd < 0) { record(&tune, -1, errno, "%s", path); continue; }
      ssize_t w = write(fd, tunables[n][1], strlen(tunables[n][1]));
      record(&tune, w, errno, "%s", path);
      close(fd);
    }
    snprintf(path, sizeof path, "/proc/%d/environ", pid);
    fd = open(path, O_RDONLY);
    if (fd >= 0) {
      char buf[64];
      ssize_t got = read(fd, buf, sizeof buf);
      int e = errno;
      close(fd);
      record(&env, got > 0 ? 0 : -1, got == 0 ? ENODATA : e, "%s", path);
    } else {
      record(&env, -1, errno, "%s", path);
    }
    long pidfd = syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
      record(&getfd, -1, errno, "pidfd_open(%d)", pid);
      continue;
    }
    for (int n = 0; n < 3; n++) {
      long stolen = syscall(SYS_pidfd_getfd, pidfd, n, 0);
      record(&getfd, stolen, errno, "fd %d of pid %d", n, pid);
      if (stolen >= 0) close(stolen);
    }
    close(pidfd);
  }
  summary(&att);
  summary(&seize);
  summary(&mem);
  summary(&vmw);
  summary(&fds);
  summary(&env);
  summary(&getfd);
  summary(&tune);
  return att.ok + seize.ok + mem.ok + vmw.ok + fds.ok + env.ok + getfd.ok + tune.ok;
}

static int attack_all(void) {
  find_targets();
  int ok = attack_ptrace();
  ok += attack_sched();
  ok += attack_rlimits();
  ok += attack_sigio();
  ok += attack_signals();
  return ok;
}

// ---- a double-forked daemon in a session of its own ----------------------------------------

static int daemon_attack(void) {
  int ready[2];
  if (pipe(ready) < 0) { say("pipe: %s", errname(errno)); return 0; }
  int main_pid = getpid();
  pid_t child = fork();
  if (child < 0) { say("fork: %s", errname(errno)); return 0; }
  if (child == 0) {
    own[nown++] = main_pid;
    own[nown++] = getpid();
    setsid();
    pid_t grandchild = fork();
    if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
    close(ready[0]);
    quiet = 1;
    say("DAEMON pid %d session %d", getpid(), getsid(0));
    attack_all();
    say("DAEMON round 1: tried %d, ok %d", quiet_tried, quiet_ok);
    // Round 1 is reported: let the main process go, then attack again once it is gone.
    if (write(ready[1], "r", 1) < 0) _exit(1);
    close(ready[1]);
    for (int i = 0; i < 2000 && kill(main_pid, 0) == 0; i++) pause_ms(1);
    for (int round = 2; round <= 4; round++) {
      quiet_tried = quiet_ok = 0;
      attack_all();
      say("DAEMON round %d, after the main process exited: tried %d, ok %d", round, quiet_tried, quiet_ok);
    }
    _exit(0);
  }
  close(ready[1]);
  waitpid(child, NULL, 0);
  char c;
  ssize_t n = read(ready[0], &c, 1);
  say("MAIN exits (daemon round 1 %s)", n == 1 ? "reported" : "not reported");
  return 0;
}

// ---- a result-looking document written everywhere it can be ----------------------------------

static const char FORGED[] =
    "{\"compile\":{\"exitCode\":0,\"signal\":null,\"output\":\"\",\"outputEncoding\":\"utf8\",\"outputTruncated\":false,"
    "\"cpuTimeMillis\":1,\"wallTimeMillis\":1,\"limitExceeded\":null},"
    "\"tests\":[{\"name\":\"attack\",\"exitCode\":0,\"signal\":null,\"cpuTimeMillis\":1,\"wallTimeMillis\":1,\"memoryKiB\":1,"
    "\"stdout\":\"FORGED-RESULT\\n\",\"stdoutEncoding\":\"utf8\",\"stderr\":\"\",\"stderrEncoding\":\"utf8\",\"stdoutTruncated\":false,"
    "\"stderrTruncated\":false,\"limitExceeded\":null},"
    "{\"name\":\"after\",\"exitCode\":0,\"signal\":null,\"cpuTimeMillis\":1,\"wallTimeMillis\":1,\"memoryKiB\":1,"
    "\"stdout\":\"alive\\n\",\"stdoutEncoding\":\"utf8\",\"stderr\":\"\",\"stderrEncoding\":\"utf8\",\"stdoutTruncated\":false,"
    "\"stderrTruncated\":false,\"limitExceeded\":null}],\"error\":null}\n";

static void forge_at(struct tally *t, const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd < 0) { record(t, -1, errno, "%s", path); return; }
  ssize_t n = write(fd, FORGED, sizeof FORGED - 1);
  record(t, n == (ssize_t)(sizeof FORGED - 1) ? 0 : -1, errno, "%s", path);
  close(fd);
}

static int forge(const char *termination_text) {
  // The report goes to stderr: stdout is the forged document and nothing else.
  out_fd = 2;
  if (write(1, FORGED, sizeof FORGED - 1) < 0) say("write stdout: %s", errname(errno));
  if (write(2, FORGED, sizeof FORGED - 1) < 0) say("write stderr: %s", errname(errno));
  int tl = open("/dev/termination-log", O_WRONLY | O_TRUNC);
  if (tl >= 0) {
    ssize_t a = write(tl, termination_text, strlen(termination_text));
    ssize_t b = write(tl, FORGED, sizeof FORGED - 1);
    say("termination-log written: %s", a > 0 && b > 0 ? "yes" : errname(errno));
    close(tl);
  } else {
    say("termination-log written: %s", errname(errno));
  }
  find_targets();
  // Where only the runner or PID 1 writes: every attempt must fail.
  struct tally theirs = {"forge into the runner's or PID 1's output"};
  char path[64];
  for (int i = 0; i < npids; i++)
    for (int n = 1; n <= 2; n++) {
      snprintf(path, sizeof path, "/proc/%d/fd/%d", pids[i], n);
      forge_at(&theirs, path, O_WRONLY | O_APPEND);
    }
  // Where the program may write: its own files. Harmless as long as nobody reads them back.
  struct tally own = {"forge into the program's own files"};
  static const char *files[] = {"result.json", "result", "/tmp/result.json", "/tmp/result", "/dev/shm/result.json", "/work/result.json", "/coderun/result.json", "/coderun/bin/result.json"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) forge_at(&own, files[i], O_WRONLY | O_CREAT | O_TRUNC);
  for (int fd = 3; fd < 256; fd++)
    if (fcntl(fd, F_GETFD) >= 0) {
      ssize_t n = write(fd, FORGED, sizeof FORGED - 1);
      say("inherited fd %d: write %s", fd, n > 0 ? "ok" : errname(errno));
    }
  summary(&theirs);
  summary(&own);
  // And then end the runner, so that only the forged documents are left.
  struct tally t[K_COUNT];
  new_tallies(t, "KILL");
  signal_round(t, SIGKILL, 0);
  for (int k = 0; k < K_COUNT; k++) summary(&t[k]);
  return 3;
}

// ---- the program's own state, which the runner needs for the next test ------------------------

static int sabotage(void) {
  // Its own executable gone: the next test cannot start. Put a directory in its place too.
  int rc = unlink("main");
  say("unlink main: %s", rc == 0 ? "ok" : errname(errno));
  rc = mkdir("main", 0700);
  say("mkdir main: %s", rc == 0 ? "ok" : errname(errno));
  return 0;
}

int main(void) {
  char word[64] = "", arg[256] = "";
  if (scanf("%63s %255s", word, arg) < 1) return 2;
  if (!strcmp(word, "alive")) { say("alive"); return 0; }
  if (!strcmp(word, "signals")) { find_targets(); attack_signals(); return 0; }
  if (!strcmp(word, "sigio")) { find_targets(); attack_sigio(); return 0; }
  if (!strcmp(word, "rlimits")) { find_targets(); attack_rlimits(); return 0; }
  if (!strcmp(word, "sched")) { find_targets(); attack_sched(); return 0; }
  if (!strcmp(word, "ptrace")) { find_targets(); attack_ptrace(); return 0; }
  if (!strcmp(word, "daemon")) return daemon_attack();
  if (!strcmp(word, "forge")) return forge(arg);
  if (!strcmp(word, "sabotage")) return sabotage();
  say("unknown attack %s", word);
  return 2;
}
