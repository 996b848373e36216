/* The pod sandbox process (registry.k8s.io/pause): holds the pod's namespaces, reaps
 * orphaned children, and exits on SIGINT/SIGTERM. Built static so the image is one file. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }
static void on_chld(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction term = {0}, chld = {0};
  term.sa_handler = on_term;
  sigaction(SIGINT, &term, 0);
  sigaction(SIGTERM, &term, 0);
  chld.sa_handler = on_chld;
  chld.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &chld, 0);
  for (;;) pause();
}
