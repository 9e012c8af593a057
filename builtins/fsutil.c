/* SPDX-License-Identifier: Apache-2.0 */
/* File-system helpers for modules. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childio.h"

bool oa_fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool oa_fs_is_absolute(const char *path)
{
    return path && path[0] == '/';
}

int oa_fs_mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int oa_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                       gid_t gid, char *why, size_t whylen)
{
    const char *step = "create a temporary file";
    char tmp[PATH_MAX];
    int fd, r = 0;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.oa-XXXXXX", path) >= sizeof(tmp)) {
        snprintf(why, whylen, "%s: the path is too long", path);
        return -ENAMETOOLONG;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        goto fail;
    }
    step = "set the owner";
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
        r = -errno;
    if (r == 0 && (step = "set the mode", fchmod(fd, mode) < 0))
        r = -errno;
    for (size_t off = 0; r == 0 && off < len;) {
        ssize_t n = write(fd, (const char *)data + off, len - off);
        step = "write";
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            off += (size_t)n;
    }
    if (r == 0 && (step = "sync", fsync(fd) < 0))
        r = -errno;
    close(fd);
    if (r == 0 && (step = "rename into place", rename(tmp, path) < 0))
        r = -errno;
    if (r == 0)
        return 0;
    unlink(tmp);
fail:
    snprintf(why, whylen, "%s: cannot %s: %s", path, step, strerror(-r));
    return r;
}

int oa_fs_read_file(const char *path, struct oa_buf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), r;

    if (fd < 0)
        return -errno;
    r = oa_childio_read_all(fd, b);
    close(fd);
    return r;
}

int oa_fs_parse_mode(const char *s, mode_t *ret)
{
    mode_t m = 0;

    if (!s || !*s || strlen(s) > 5)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '7')
            return -EINVAL;
        m = (mode_t)(m * 8 + (mode_t)(*s - '0'));
    }
    if (m > 07777)
        return -EINVAL;
    *ret = m;
    return 0;
}
