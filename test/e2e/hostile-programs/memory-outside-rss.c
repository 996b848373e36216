// Memory a program holds without it being resident in any of its processes, chosen by the first
// word of stdin: memfds that are never mapped, files in /tmp, /dev/shm, the work directory and
// the runner's judge directory /coderun/judge (all tmpfs: their pages are memory), and a SysV shared memory segment filled through small
// mappings that are unmapped again; kernel memory in AF_UNIX socket buffers ("sockets"), pipe
// buffers ("pipes") and SysV message queues ("msgqueue"), and socket buffers beyond what the
// whole pod holds after taking the OOM killer's aim off itself ("oom").
// "control" uses 8 MiB of ordinary heap.
// The file size limit does not stop it: at EFBIG (SIGXFSZ ignored) it goes on in a new file.
// It reports how far it got ("<mode>: holding N MiB in K files", and the errno that stopped it
// early), holds the memory a moment so that a poll can see it, and exits 0.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024 * 1024)
#define TOTAL_MiB 200
#define WINDOW_MiB 4

static char chunk[MiB];

static const char *errname(int e) {
  const char *name = strerrorname_np(e);
  return name ? name : "E?";
}

static void hold(void) {
  struct timespec ts = {0, 400 * 1000000L};
  nanosleep(&ts, NULL);
}

// A new place to write: a memfd (kept open: closing it would free it) or a file (closed after).
static int next_fd(const char *mode, int n) {
  if (!strcmp(mode, "memfd")) return memfd_create("held", 0);
  const char *dir = !strcmp(mode, "tmp") ? "/tmp" : !strcmp(mode, "devshm") ? "/dev/shm" : !strcmp(mode, "judgedir") ? "/coderun/judge" : ".";
  char path[64];
  snprintf(path, sizeof path, "%s/held-%d", dir, n);
  return open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
}

static int fill(const char *mode) {
  long held = 0; // bytes
  int files = 0, fd = -1, stop = 0;
  while (held < (long)TOTAL_MiB * MiB && !stop) {
    if (fd < 0) {
      fd = next_fd(mode, files);
      if (fd < 0) {
        printf("%s: stopped: open: %s\n", mode, errname(errno));
        break;
      }
      files++;
    }
    size_t want = MiB - (size_t)(held % MiB);
    ssize_t n = write(fd, chunk, want);
    if (n > 0) {
      held += n;
      continue;
    }
    if (n < 0 && errno == EFBIG) {
      if (strcmp(mode, "memfd")) close(fd);
      fd = -1;
      continue;
    }
    printf("%s: stopped: write: %s\n", mode, n < 0 ? errname(errno) : "no progress");
    stop = 1;
  }
  printf("%s: holding %ld MiB in %d files\n", mode, held / MiB, files);
  fflush(stdout);
  hold();
  return 0;
}

static int sysv(void) {
  int id = shmget(IPC_PRIVATE, (size_t)TOTAL_MiB * MiB, IPC_CREAT | 0600);
  if (id < 0) {
    printf("sysv: shmget: %s\n", errname(errno));
    return 0;
  }
  // Never more than one window mapped at a time: the pages stay in the segment, not in RSS.
  int done = 0;
  for (; done < TOTAL_MiB; done += WINDOW_MiB) {
    char *p = shmat(id, NULL, 0);
    if (p == (void *)-1) {
      printf("sysv: shmat: %s\n", errname(errno));
      break;
    }
    memset(p + (size_t)done * MiB, 's', (size_t)WINDOW_MiB * MiB);
    shmdt(p);
  }
  printf("sysv: holding %d MiB in segment %d\n", done, id);
  fflush(stdout);
  hold();
  return 0;
}

// Kernel memory: data queued in AF_UNIX socket pairs that nobody reads. No process's size
// shows it, nor any file. Returns the MiB queued; fills up to `target_mib`.
static long sockets(const char *mode, long target_mib) {
  long queued = 0;
  int pairs = 0;
  while (queued < target_mib * MiB) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0) {
      printf("%s: stopped: socketpair: %s\n", mode, errname(errno));
      break;
    }
    pairs++;
    long before = queued;
    for (;;) {
      ssize_t n = write(sv[0], chunk, 65536);
      if (n <= 0) break;
      queued += n;
    }
    if (queued == before) {
      printf("%s: stopped: write: %s\n", mode, errname(errno));
      break;
    }
  }
  printf("%s: holding %ld MiB in %d socket pairs\n", mode, queued / MiB, pairs);
  fflush(stdout);
  return queued / MiB;
}

// Kernel memory in pipe buffers (1 MiB each while the per-user quota lasts, then small ones).
static int pipes(void) {
  long queued = 0;
  int count = 0;
  while (queued < (long)TOTAL_MiB * MiB) {
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0) {
      printf("pipes: stopped: pipe: %s\n", errname(errno));
      break;
    }
    count++;
    fcntl(p[1], F_SETPIPE_SZ, MiB);
    long before = queued;
    for (;;) {
      ssize_t n = write(p[1], chunk, 65536);
      if (n <= 0) break;
      queued += n;
    }
    if (queued == before) {
      printf("pipes: stopped: write: %s\n", errname(errno));
      break;
    }
  }
  printf("pipes: holding %ld MiB in %d pipes\n", queued / MiB, count);
  fflush(stdout);
  hold();
  return 0;
}

// Kernel memory in SysV message queues, which outlive the process that filled them.
static int msgqueues(void) {
  struct {
    long type;
    char text[8192];
  } msg;
  msg.type = 1;
  memset(msg.text, 'q', sizeof msg.text);
  long queued = 0;
  int queues = 0;
  while (queued < (long)TOTAL_MiB * MiB) {
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (q < 0) {
      printf("msgqueue: stopped: msgget: %s\n", errname(errno));
      break;
    }
    queues++;
    long before = queued;
    while (msgsnd(q, &msg, sizeof msg.text, IPC_NOWAIT) == 0) queued += sizeof msg.text;
    if (queued == before) {
      printf("msgqueue: stopped: msgsnd: %s\n", errname(errno));
      break;
    }
  }
  printf("msgqueue: holding %ld MiB in %d queues\n", queued / MiB, queues);
  fflush(stdout);
  hold();
  return 0;
}

// Takes the OOM killer's aim off itself: the lowest oom_score_adj the kernel lets it set (the
// container's own, whatever the runner raised it to), then queues more kernel memory than the
// whole pod may hold. If the runner does not count that memory, the pod runs out of it and the
// kernel kills its largest process: the runner.
static int oom(void) {
  int adj = 1001;
  for (int v = -1000; v <= 1000 && adj > 1000; v++) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    if (fd < 0) break;
    char text[16];
    int len = snprintf(text, sizeof text, "%d", v);
    if (write(fd, text, len) == len) adj = v;
    close(fd);
  }
  printf("oom: oom_score_adj lowered to %d\n", adj);
  fflush(stdout);
  sockets("oom", 4096);
  hold();
  return 0;
}

int main(void) {
  char mode[32] = "";
  if (scanf("%31s", mode) != 1) return 2;
  signal(SIGXFSZ, SIG_IGN);
  // As many descriptors as the hard limit allows: each socket pair or pipe holds some memory.
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  memset(chunk, 'm', sizeof chunk);
  if (!strcmp(mode, "memfd") || !strcmp(mode, "tmp") || !strcmp(mode, "devshm") || !strcmp(mode, "workdir") || !strcmp(mode, "judgedir")) return fill(mode);
  if (!strcmp(mode, "sysv")) return sysv();
  if (!strcmp(mode, "sockets")) {
    sockets(mode, TOTAL_MiB);
    hold();
    return 0;
  }
  if (!strcmp(mode, "pipes")) return pipes();
  if (!strcmp(mode, "msgqueue")) return msgqueues();
  if (!strcmp(mode, "oom")) return oom();
  if (!strcmp(mode, "control")) {
    size_t size = (size_t)8 * MiB;
    volatile char *p = malloc(size);
    if (!p) return 1;
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    printf("control: holding 8 MiB of heap\n");
    fflush(stdout);
    hold();
    return 0;
  }
  printf("unknown mode %s\n", mode);
  return 2;
}
