/* Run A of the leftover suite (warm-reuse.test.ts): leaves everything it can in its pod for the
 * next run, and says on stdout which traces it managed to leave ("OK ...") so that the suite
 * knows the next run had something to find. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/mman.h>
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
#define SECRET "hidden test input of run A"

static void report(const char *what, int ok) {
  printf("%s %s%s%s\n", ok ? "OK" : "FAILED", what, ok ? "" : ": ", ok ? "" : strerror(errno));
}

/* An attempt the kernel may refuse: either way nothing of it may reach the next run. */
static void try(const char *what, int ok) {
  printf("%s %s%s%s\n", ok ? "OK" : "REFUSED", what, ok ? "" : ": ", ok ? "" : strerror(errno));
}

static int put(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return 0;
  fputs(SECRET "\n", f);
  return fclose(f) == 0;
}

/* The background process: a session of its own, detached from the runner's pipes, holding an
 * abstract socket, a memfd and an inotify watch, and writing a file again and again. */
static void linger(void) {
  int nul = open("/dev/null", O_RDWR);
  dup2(nul, 0); dup2(nul, 1); dup2(nul, 2);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  memcpy(a.sun_path, "\0coderun-leftover", 17);
  bind(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 17);
  listen(s, 4);
  int m = memfd_create("coderun-leftover", 0);
  write(m, SECRET, sizeof SECRET);
  int in = inotify_init1(0);
  inotify_add_watch(in, ".", IN_ALL_EVENTS);
  for (int i = 0; i < 600; i++) {
    put("/tmp/late");
    put("late-in-workdir");
    usleep(100 * 1000);
  }
  _exit(0);
}

int main(void) {
  report("file in the work directory", put("leftover"));
  const char *home = getenv("HOME");
  char path[4096];
  snprintf(path, sizeof path, "%s/.leftover-home", home ? home : ".");
  report("file in $HOME", put(path));
  report("file in /tmp", put("/tmp/leftover"));
  report("file in /dev/shm", put("/dev/shm/leftover"));
  report("file in the judge directory", put("/coderun/judge/leftover"));
  report("directory in /tmp", mkdir("/tmp/locked", 0700) == 0 && put("/tmp/locked/inner") && chmod("/tmp/locked", 0) == 0);
  report("hidden file in /tmp", put("/tmp/.hidden"));
  report("fifo in /tmp", mkfifo("/tmp/fifo", 0666) == 0);
  /* The roots of the writable volumes belong to root but are writable by all: a program may set
   * user.* attributes on them. */
  try("attribute on the work directory itself", setxattr(".", "user.leftover", SECRET, sizeof SECRET, 0) == 0);
  try("attribute on /tmp itself", setxattr("/tmp", "user.leftover", SECRET, sizeof SECRET, 0) == 0);
  try("attribute on the judge directory itself", setxattr("/coderun/judge", "user.leftover", SECRET, sizeof SECRET, 0) == 0);

  int shm = shmget(KEY_SHM, 4096, IPC_CREAT | 0666);
  char *p = shm < 0 ? NULL : shmat(shm, NULL, 0);
  if (p && p != (void *)-1) strcpy(p, SECRET);
  report("SysV shared memory", shm >= 0 && p != (void *)-1);
  report("SysV semaphore set", semget(KEY_SEM, 1, IPC_CREAT | 0666) >= 0);
  int msg = msgget(KEY_MSG, IPC_CREAT | 0666);
  struct { long type; char text[64]; } m = {1, SECRET};
  report("SysV message queue", msg >= 0 && msgsnd(msg, &m, sizeof m.text, 0) == 0);
  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
  mqd_t q = mq_open("/coderun-leftover", O_CREAT | O_WRONLY, 0666, &attr);
  report("POSIX message queue", q != (mqd_t)-1 && mq_send(q, SECRET, sizeof SECRET, 0) == 0);

  FILE *t = fopen("/dev/termination-log", "w");
  report("termination log", t && fputs(SECRET, t) >= 0 && fclose(t) == 0);
  try("writing the runner binary", open("/coderun/bin/runner", O_WRONLY) >= 0);
  try("removing the runner binary", unlink("/coderun/bin/runner") == 0);
  try("a new file next to the runner", open("/coderun/bin/evil", O_CREAT | O_WRONLY, 0755) >= 0);

  struct rlimit low = {16, 16};
  report("own RLIMIT_NOFILE lowered", setrlimit(RLIMIT_NOFILE, &low) == 0);
  report("environment changed", setenv("CODERUN_LEFTOVER", SECRET, 1) == 0);
  umask(0);

  int ready[2];
  pipe(ready);
  pid_t child = fork();
  if (child == 0) {
    setsid();
    if (fork() == 0) {
      close(ready[0]);
      write(ready[1], "x", 1);
      close(ready[1]);
      linger();
    }
    _exit(0);
  }
  close(ready[1]);
  char c;
  report("background process in a session of its own", child > 0 && read(ready[0], &c, 1) == 1);
  usleep(300 * 1000);
  report("late file written by it", access("/tmp/late", F_OK) == 0);
  return 0;
}
