/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The floor for per_state.py: posix_spawn `/bin/sh -c true` N times in
 * sequence, waiting for each, as a minimal C program would.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    char *args[] = {"/bin/sh", "-c", "true", NULL};

    for (int i = 0; i < n; i++) {
        pid_t pid;
        int status;

        if (posix_spawn(&pid, "/bin/sh", NULL, NULL, args, environ) != 0 ||
            waitpid(pid, &status, 0) != pid || status != 0) {
            fprintf(stderr, "spawn %d failed\n", i);
            return 1;
        }
    }
    return 0;
}
