/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A replay main for the fuzz targets, like systemd's src/fuzz/fuzz-main.c:
 * runs LLVMFuzzerTestOneInput once per file named on the command line, or
 * per file of each directory named (in name order, recursively, skipping
 * dot files). It needs no libFuzzer, so plain ctest (and the sanitizer build)
 * replays every corpus and regression input. Each input is copied into a
 * buffer of exactly its size, as libFuzzer does, so that AddressSanitizer
 * catches a read past its end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* A target need not define it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Reads the whole of an open file into a buffer of exactly its size. */
static int read_all(int fd, uint8_t **ret, size_t *ret_len)
{
    size_t len = 0, alloc = 4096;
    uint8_t *buf = malloc(alloc), *exact;

    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n;
        if (len == alloc) {
            uint8_t *p = realloc(buf, alloc * 2);
            if (!p) {
                free(buf);
                return -ENOMEM;
            }
            buf = p;
            alloc *= 2;
        }
        n = read(fd, buf + len, alloc - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = -errno;
            free(buf);
            return err;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    /* One byte more than needed only for an empty input (malloc(0) may be
     * NULL); the target is told the real size. */
    exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -ENOMEM;
    }
    memcpy(exact, buf, len);
    free(buf);
    *ret = exact;
    *ret_len = len;
    return 0;
}

static int run_file(const char *path, unsigned *count)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    uint8_t *data = NULL;
    size_t len = 0;
    int r;

    if (fd < 0) {
        fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(errno));
        return -1;
    }
    r = read_all(fd, &data, &len);
    close(fd);
    if (r < 0) {
        fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(-r));
        return -1;
    }
    /* Named before it runs, so that a crash shows which input caused it. */
    fprintf(stderr, "fuzz-main: running %s (%zu bytes)\n", path, len);
    (void)LLVMFuzzerTestOneInput(data, len);
    free(data);
    (*count)++;
    return 0;
}

static int not_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static int run_path(const char *path, unsigned *count)
{
    struct dirent **names;
    struct stat st;
    int n, r = 0;

    if (stat(path, &st) < 0) {
        fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path, count);
    n = scandir(path, &names, not_hidden, alphasort);
    if (n < 0) {
        fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char *child;
        if (asprintf(&child, "%s/%s", path, names[i]->d_name) < 0) {
            r = -1;
        } else {
            if (run_path(child, count) < 0)
                r = -1;
            free(child);
        }
        free(names[i]);
    }
    free(names);
    return r;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    int r = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return EXIT_FAILURE;
    }
    if (LLVMFuzzerInitialize)
        (void)LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) < 0)
            r = -1;
    fprintf(stderr, "fuzz-main: %u inputs run%s\n", count, r < 0 ? ", some could not be read" : "");
    return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
