/* SPDX-License-Identifier: Apache-2.0 */
/* Request and result I/O of the child side of the child-process protocol. */
#include "childio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "mem.h"
#include "utf8.h"

int oa_childio_result_fd(void)
{
    if (fcntl(OA_CHILDIO_RESULT_FD, F_SETFD, FD_CLOEXEC) < 0)
        return STDOUT_FILENO;
    return OA_CHILDIO_RESULT_FD;
}

int oa_childio_read_all(int fd, struct oa_buf *b)
{
    char chunk[65536];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        int r = oa_buf_append(b, chunk, (size_t)n);
        if (r < 0)
            return r;
    }
}

static void write_all(int fd, const char *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
}

void oa_childio_write_result(int fd, const struct oa_outcome *o)
{
    size_t len = strnlen(o->comment, sizeof(o->comment));
    char *clean = NULL;
    struct oa_buf b;

    if (!oa_utf8_valid(o->comment, len))
        clean = oa_utf8_sanitize(o->comment, len, &len);
    struct oa_child_result res = {o->result, o->changed, clean ? clean : (char *)o->comment};
    oa_buf_init(&b, OA_CHILD_RESULT_MAX);
    if (oa_child_encode_result(&res, &b) == 0 && oa_buf_append(&b, "\n", 1) == 0)
        write_all(fd, b.data, b.len);
    oa_buf_done(&b);
    oa_free(clean);
}
