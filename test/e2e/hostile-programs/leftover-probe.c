/* Runs P and B of the leftover suite (warm-reuse.test.ts): describes everything of its pod that
 * one run could leave for the next, one fact a line, in an order that does not depend on pids or
 * timing, and looks for every trace of run A (leftover-leave.c) by name. Two runs that see the
 * same sandbox print the same report. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#define KEY_SHM 0x5eC1
#define KEY_SEM 0x5eC2
#define KEY_MSG 0x5eC3

extern char **environ;

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }
static int visible(const struct dirent *e) { return strcmp(e->d_name, ".") && strcmp(e->d_name, ".."); }

static void entries(const char *label, const char *dir) {
  struct dirent **names;
  int n = scandir(dir, &names, visible, by_name);
  if (n < 0) { printf("%s %s: %s\n", label, dir, strerror(errno)); return; }
  for (int i = 0; i < n; i++) printf("%s %s: %s\n", label, dir, names[i]->d_name);
}

static void lines(const char *label, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) { printf("%s: %s\n", label, strerror(errno)); return; }
  char line[512];
  while (fgets(line, sizeof line, f)) printf("%s: %s", label, line);
  fclose(f);
}

static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n - 1; /* the header */
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void processes(void) {
  char *found[256];
  int n = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  char self[32];
  snprintf(self, sizeof self, "%d", getpid());
  while (d && (e = readdir(d)) && n < 256) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || !strcmp(e->d_name, self)) continue;
    char path[300], comm[64] = "?";
    snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
    FILE *f = fopen(path, "r");
    if (f) { if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0; fclose(f); }
    struct stat st;
    snprintf(path, sizeof path, "/proc/%s", e->d_name);
    stat(path, &st);
    found[n] = malloc(128);
    snprintf(found[n++], 128, "process %s of uid %s", comm, st.st_uid == getuid() ? "own" : "other");
  }
  if (d) closedir(d);
  qsort(found, n, sizeof *found, cmp);
  for (int i = 0; i < n; i++) printf("%s\n", found[i]);
}

static void sockets(void) {
  FILE *f = fopen("/proc/net/unix", "r");
  char line[512];
  if (!f) { printf("unix sockets: %s\n", strerror(errno)); return; }
  fgets(line, sizeof line, f);
  while (fgets(line, sizeof line, f)) {
    char *path = NULL;
    int field = 0;
    for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) if (++field == 8) path = tok;
    if (path) printf("unix socket with a name: %s\n", path);
  }
  fclose(f);
}

static void exists(const char *path) {
  struct stat st;
  printf("%s: %s\n", path, lstat(path, &st) == 0 ? "HERE" : "absent");
}

int main(void) {
  /* Long enough for a background process of the previous run, if one lived, to write again. */
  usleep(600 * 1000);
  entries("entry", ".");
  entries("entry", "/tmp");
  entries("entry", "/dev/shm");
  entries("entry", "/coderun/judge");
  entries("entry", "/dev/mqueue");
  const char *markers[] = {"leftover", "late-in-workdir", ".leftover-home", "/tmp/leftover", "/tmp/late", "/tmp/locked", "/tmp/.hidden", "/tmp/fifo",
                           "/dev/shm/leftover", "/coderun/judge/leftover", "/dev/mqueue/coderun-leftover", "/coderun/bin/evil"};
  for (size_t i = 0; i < sizeof markers / sizeof *markers; i++) exists(markers[i]);
  const char *roots[] = {".", "/tmp", "/dev/shm", "/coderun/judge", "/dev/mqueue"};
  for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
    char list[4096];
    ssize_t n = listxattr(roots[i], list, sizeof list);
    for (ssize_t j = 0; j < n; j += strlen(list + j) + 1) printf("attribute of %s: %s\n", roots[i], list + j);
  }
  processes();
  printf("SysV shared memory segments: %d\n", count_lines("/proc/sysvipc/shm"));
  printf("SysV semaphore sets: %d\n", count_lines("/proc/sysvipc/sem"));
  printf("SysV message queues: %d\n", count_lines("/proc/sysvipc/msg"));
  printf("SysV shm key of run A: %s\n", shmget(KEY_SHM, 0, 0) < 0 ? strerror(errno) : "HERE");
  printf("SysV sem key of run A: %s\n", semget(KEY_SEM, 0, 0) < 0 ? strerror(errno) : "HERE");
  printf("SysV msg key of run A: %s\n", msgget(KEY_MSG, 0) < 0 ? strerror(errno) : "HERE");
  printf("POSIX queue of run A: %s\n", mq_open("/coderun-leftover", O_RDONLY) == (mqd_t)-1 ? strerror(errno) : "HERE");
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  memcpy(a.sun_path, "\0coderun-leftover", 17);
  printf("abstract socket of run A: %s\n",
         connect(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 17) == 0 ? "HERE" : strerror(errno));
  sockets();
  char **env = environ;
  int n = 0;
  while (env[n]) n++;
  qsort(env, n, sizeof *env, cmp);
  for (int i = 0; i < n; i++) printf("env %s\n", env[i]);
  for (int r = 0; r < RLIM_NLIMITS; r++) {
    struct rlimit l;
    getrlimit(r, &l);
    printf("rlimit %d: %lld %lld\n", r, (long long)l.rlim_cur, (long long)l.rlim_max);
  }
  mode_t mask = umask(022);
  printf("umask %03o\n", mask);
  printf("nice %d\n", getpriority(PRIO_PROCESS, 0));
  lines("oom_score_adj", "/proc/self/oom_score_adj");
  entries("open fd", "/proc/self/fd");
  struct stat st;
  if (stat("/dev/termination-log", &st) == 0) printf("termination log size %lld\n", (long long)st.st_size);
  if (stat("/coderun/bin/runner", &st) == 0) printf("runner binary mode %o size %lld mtime %lld\n", st.st_mode, (long long)st.st_size, (long long)st.st_mtime);
  lines("cgroup cpu.max", "/sys/fs/cgroup/cpu.max");
  lines("cgroup memory.max", "/sys/fs/cgroup/memory.max");
  lines("cgroup pids.max", "/sys/fs/cgroup/pids.max");
  return 0;
}
