/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the package family: argv arrays that own their strings,
 * queries whose stderr is kept out of the state's output, the package index
 * record and the URL memos under the state dir (modules.md §1.12, §5.0),
 * and downloads of package files through builtins/fetch.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "fetch.h"
#include "fsutil.h"
#include "linux_pkg.h"
#include "mem.h"
#include "parse.h"
#include "tool.h"

#define QUERY_OUT_MAX (1u << 20)
#define QUERY_ERR_MAX 4096

/* ---- argv ---- */

void oa_pkg_argv_add(struct oa_pkg_argv *a, const char *s)
{
    char *copy;

    if (a->oom)
        return;
    if (a->n + 2 > a->alloc) {
        size_t alloc = a->alloc ? a->alloc * 2 : 16;
        char **v = oa_realloc(a->v, alloc * sizeof(*v));
        if (!v) {
            a->oom = true;
            return;
        }
        a->v = v;
        a->alloc = alloc;
    }
    if (!(copy = oa_strdup(s))) {
        a->oom = true;
        return;
    }
    a->v[a->n++] = copy;
    a->v[a->n] = NULL;
}

void oa_pkg_argv_addf(struct oa_pkg_argv *a, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = oa_malloc((size_t)n + 1))) {
        a->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    oa_pkg_argv_add(a, s);
    oa_free(s);
}

bool oa_pkg_argv_ok(const struct oa_pkg_argv *a)
{
    return !a->oom && a->n > 0;
}

void oa_pkg_argv_done(struct oa_pkg_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        oa_free(a->v[i]);
    oa_free(a->v);
    memset(a, 0, sizeof(*a));
}

const char *oa_pkg_argv_join(const struct oa_pkg_argv *a, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < a->n && off < len; i++) {
        int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "", a->v[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    return buf;
}

/* ---- Queries ---- */

static void read_back(int fd, struct oa_buf *err)
{
    char chunk[1024];
    ssize_t n;

    if (lseek(fd, 0, SEEK_SET) < 0)
        return;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        if (oa_buf_append(err, chunk, (size_t)n) < 0)
            break;
}

int oa_pkg_query(char *const argv[], const char *const *extra_env, struct oa_buf *out,
                 struct oa_buf *err, int *ret_status, char *why, size_t len)
{
    int efd = memfd_create("opsagent-stderr", MFD_CLOEXEC), saved = -1, r;

    /* The tool inherits our stderr: point it at a memory file meanwhile. */
    fflush(stderr);
    if (efd >= 0 && (saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) >= 0 &&
        dup2(efd, STDERR_FILENO) < 0) {
        close(saved);
        saved = -1;
    }
    r = oa_tool_exec(argv, extra_env, out, ret_status, why, len);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
        if (err)
            read_back(efd, err);
    }
    if (efd >= 0)
        close(efd);
    return r;
}

const char *oa_pkg_first_line(const char *text, char *buf, size_t len)
{
    buf[0] = '\0';
    while (text && *text) {
        size_t n = strcspn(text, "\n");
        if (n > 0 && text[strspn(text, " \t")] != '\n') {
            snprintf(buf, len, "%.*s", (int)n, text);
            break;
        }
        text += n + (text[n] == '\n');
    }
    return buf;
}

/* ---- The index record and the memos ---- */

static int record_path(const char *state_dir, const char *name, char *buf, size_t len)
{
    if ((size_t)snprintf(buf, len, "%s/pkg/%s", state_dir, name) >= len)
        return -ENAMETOOLONG;
    return 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -EIO;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static int write_small(const char *state_dir, const char *name, const char *value)
{
    char dir[4096], path[4096], why[256];
    int r;

    if (!state_dir)
        return 0;
    if ((size_t)snprintf(dir, sizeof(dir), "%s/pkg", state_dir) >= sizeof(dir) ||
        record_path(state_dir, name, path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    if ((r = oa_fs_mkdir_p(dir, 0700)) < 0)
        return r;
    return oa_fs_write_atomic(path, value, strlen(value), 0600, (uid_t)-1, (gid_t)-1, why,
                              sizeof(why));
}

bool oa_pkg_index_fresh(const char *state_dir, const char *manager, time_t now, time_t max_age)
{
    char name[64], path[4096], text[64];
    uint64_t t;

    if (!state_dir)
        return false;
    snprintf(name, sizeof(name), "%s-index", manager);
    if (record_path(state_dir, name, path, sizeof(path)) < 0 ||
        read_small(path, text, sizeof(text)) < 0 || oa_parse_u64(text, UINT64_MAX, &t) < 0)
        return false;
    /* A record from the future (the clock went back) is not trusted. */
    return (time_t)t <= now && now - (time_t)t < max_age;
}

int oa_pkg_index_touch(const char *state_dir, const char *manager, time_t now)
{
    char name[64], value[32];

    snprintf(name, sizeof(name), "%s-index", manager);
    snprintf(value, sizeof(value), "%lld\n", (long long)now);
    return write_small(state_dir, name, value);
}

int oa_pkg_index_mark_stale(const char *state_dir, const char *manager)
{
    char name[64], path[4096];

    if (!state_dir)
        return 0;
    snprintf(name, sizeof(name), "%s-index", manager);
    if (record_path(state_dir, name, path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

static void memo_name(const char *kind, const char *key, char *buf, size_t len)
{
    unsigned char digest[32];
    size_t off;

    mbedtls_sha256_ret((const unsigned char *)key, strlen(key), digest, 0);
    off = (size_t)snprintf(buf, len, "%s-", kind);
    for (size_t i = 0; i < 16 && off + 2 < len; i++, off += 2)
        snprintf(buf + off, len - off, "%02x", digest[i]);
}

int oa_pkg_memo_get(const char *state_dir, const char *kind, const char *key, char *buf, size_t len)
{
    char name[96], path[4096];

    if (!state_dir)
        return -ENOENT;
    memo_name(kind, key, name, sizeof(name));
    if (record_path(state_dir, name, path, sizeof(path)) < 0)
        return -ENAMETOOLONG;
    return read_small(path, buf, len);
}

int oa_pkg_memo_put(const char *state_dir, const char *kind, const char *key, const char *value)
{
    char name[96];

    memo_name(kind, key, name, sizeof(name));
    return write_small(state_dir, name, value);
}

/* ---- Downloads ---- */

/* The URL's last path segment when it is a plain file name ending in ext. */
static bool url_file_name(const char *url, const char *ext, char *buf, size_t len)
{
    size_t end = strcspn(url, "?#"), start = end, elen = strlen(ext);

    while (start > 0 && url[start - 1] != '/')
        start--;
    if (end - start <= elen || end - start >= len || url[start] == '.' ||
        strncmp(url + end - elen, ext, elen) != 0)
        return false;
    for (size_t i = start; i < end; i++) {
        char c = url[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._+~-", c)))
            return false;
    }
    snprintf(buf, len, "%.*s", (int)(end - start), url + start);
    return true;
}

int oa_pkg_download(const struct oa_run_ctx *ctx, const char *url, const char *dir, const char *ext,
                    const char *fallback_name, size_t max_bytes, char *path, size_t pathlen,
                    char *why, size_t len)
{
    struct oa_fetch_opts o = oa_fetch_opts_for(ctx, max_bytes);
    char name[256];
    int fd, r;

    if (!url_file_name(url, ext, name, sizeof(name)))
        snprintf(name, sizeof(name), "%s", fallback_name);
    if ((size_t)snprintf(path, pathlen, "%s/%s", dir, name) >= pathlen) {
        snprintf(why, len, "%s: the path is too long", dir);
        return -ENAMETOOLONG;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        r = -errno;
        snprintf(why, len, "cannot create %s: %s", path, strerror(-r));
        return r;
    }
    (void)fchmod(fd, 0644);
    r = oa_fetch_fd(url, &o, fd, why, len);
    if (close(fd) < 0 && r == 0) {
        r = -errno;
        snprintf(why, len, "cannot write %s: %s", path, strerror(-r));
    }
    if (r < 0)
        unlink(path);
    return r;
}
