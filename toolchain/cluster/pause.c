/* The sandbox process of every pod: holds the pod's namespaces, sleeps until told to stop, and
 * reaps the zombies of processes whose parent died (it is PID 1 of a pod sharing its PID
 * namespace). Built static (gcc -static) so the image can be FROM scratch. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) { _exit(128 + sig); }

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'v') {
    printf("pause (ops-baseline)\n");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "pause: warning: not PID 1\n");
  struct sigaction stopping = {.sa_handler = stop};
  struct sigaction reaping = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigaction(SIGINT, &stopping, NULL);
  sigaction(SIGTERM, &stopping, NULL);
  sigaction(SIGCHLD, &reaping, NULL);
  for (;;) pause();
}
