/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.archive (modules.md §9.4): download an archive over http or https
 * (builtins/fetch.h: certificates verified, the agent's proxy, 600 s),
 * check its md5 sum, and extract it into `path` as an overlay (files are
 * overwritten, nothing else is deleted). The sum of the last successful
 * extraction of this archive into this path is kept under the state dir
 * (§1.12), so that an expected md5 already extracted is a no-op without
 * any download (without a state dir nothing is kept, and every round
 * extracts again). The download lives in <state dir>/cache only while the
 * state runs. Extraction tools get argv arrays; the ones missing are
 * installed first (§1.6). ⚠ `.tbz` is accepted and an empty extraction
 * keeps the destination (§D). ftp:// sources pass the validation (the
 * reference lists them) but fetch.h downloads only http and https, so they
 * fail with its reason.
 */
#include "common_archive.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common_sources.h"
#include "digest.h"
#include "fetch.h"
#include "fsutil.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "runas.h"
#include "tool.h"

#define ARCHIVE_MAX_BYTES ((size_t)64 << 30)
#define CHECKSUM_FILE_MAX ((size_t)1 << 20)
#define WALK_DEPTH_MAX 256

static const struct oa_param_spec archive_params[] = {
    {"source", OA_PT_LINE, OA_PF_REQUIRED},
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
    {"checksum", OA_PT_LINE, 0},
    {"if-path-absent", OA_PT_ARRAY, 0},
};

/* One run of the state. */
struct arc {
    const struct oa_run_ctx *ctx;
    const char *source, *checksum;
    char shown[2048]; /* source as comments show it */
    char secret[256]; /* source's password, masked */
    char name[NAME_MAX + 1];
    enum oa_archive_format fmt;
    char dest[PATH_MAX]; /* without a trailing '/' */
    char want[33];       /* the expected md5, "" when none */
    char sum_path[PATH_MAX];
    char tmp[PATH_MAX]; /* the download, "" when none */
};

static const char *const suffixes[] = {
    [OA_ARCHIVE_ZIP] = ".zip",        [OA_ARCHIVE_RAR] = ".rar",
    [OA_ARCHIVE_TAR] = ".tar",        [OA_ARCHIVE_TAR_GZ] = ".tar.gz",
    [OA_ARCHIVE_TAR_BZ] = ".tar.bz2", [OA_ARCHIVE_UNSUPPORTED] = "",
};

const char *oa_common_archive_name(const char *url, char *buf, size_t len)
{
    const char *scheme = strstr(url, "://"), *path = scheme ? scheme + 3 : url;
    size_t end = strcspn(path, "?#"), start = end;

    buf[0] = '\0';
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (scheme && start == 0) /* "http://host": no path at all */
        return buf;
    if (end - start < len)
        snprintf(buf, len, "%.*s", (int)(end - start), path + start);
    return buf;
}

enum oa_archive_format oa_common_archive_format(const char *url)
{
    static const struct {
        const char *suffix;
        enum oa_archive_format fmt;
    } table[] = {
        {".zip", OA_ARCHIVE_ZIP},    {".rar", OA_ARCHIVE_RAR},    {".tar", OA_ARCHIVE_TAR},
        {".tgz", OA_ARCHIVE_TAR_GZ}, {".gz", OA_ARCHIVE_TAR_GZ},  {".bz", OA_ARCHIVE_TAR_BZ},
        {".bz2", OA_ARCHIVE_TAR_BZ}, {".tbz", OA_ARCHIVE_TAR_BZ},
    };
    char name[NAME_MAX + 1];
    const char *dot = strrchr(oa_common_archive_name(url, name, sizeof(name)), '.');

    for (size_t i = 0; dot && dot != name && i < sizeof(table) / sizeof(table[0]); i++)
        if (strcasecmp(dot, table[i].suffix) == 0)
            return table[i].fmt;
    return OA_ARCHIVE_UNSUPPORTED;
}

/* Copies a token of exactly 32 hex digits at s (lower-cased) into hex. */
static bool hex32(const char *s, size_t n, char hex[33])
{
    if (n != 32 || strspn(s, "0123456789abcdefABCDEF") < 32)
        return false;
    for (size_t i = 0; i < 32; i++)
        hex[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    hex[32] = '\0';
    return true;
}

int oa_common_archive_checksum_param(const char *s, char hex[33])
{
    if (strncasecmp(s, "md5", 3) == 0 && (s[3] == ':' || s[3] == '=') &&
        hex32(s + 4, strlen(s + 4), hex))
        return 0;
    if (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0 ||
        strncasecmp(s, "ftp://", 6) == 0)
        return 1;
    return -EINVAL;
}

/* The first 32-hex-digit token of the line [s, s + n). */
static bool sum_in_line(const char *s, size_t n, char hex[33])
{
    static const char hexdigits[] = "0123456789abcdefABCDEF";

    for (size_t i = 0; i < n;) {
        size_t run = 0;
        while (i + run < n && strchr(hexdigits, s[i + run]) && s[i + run])
            run++;
        bool alone = (i == 0 || !isalnum((unsigned char)s[i - 1])) &&
                     (i + run == n || !isalnum((unsigned char)s[i + run]));
        if (run == 32 && alone && hex32(s + i, run, hex))
            return true;
        i += run ? run : 1;
    }
    return false;
}

int oa_common_archive_sum_in_file(const char *text, size_t len, const char *name, char hex[33])
{
    char first[33] = "", cand[33];
    size_t nlen = strlen(name);

    for (size_t off = 0; off < len;) {
        const char *line = text + off, *nl = memchr(line, '\n', len - off);
        size_t n = nl ? (size_t)(nl - line) : len - off;
        if (sum_in_line(line, n, cand)) {
            if (nlen && memmem(line, n, name, nlen)) {
                memcpy(hex, cand, 33);
                return 0;
            }
            if (!first[0])
                memcpy(first, cand, 33);
        }
        off += n + 1;
    }
    if (!first[0])
        return -ENOENT;
    memcpy(hex, first, 33);
    return 0;
}

int oa_common_archive_sum_path(const char *state_dir, const char *dest, const char *name, char *buf,
                               size_t len)
{
    mbedtls_md5_context md5;
    unsigned char digest[16];
    char hex[33];

    mbedtls_md5_init(&md5);
    mbedtls_md5_starts_ret(&md5);
    mbedtls_md5_update_ret(&md5, (const unsigned char *)dest, strlen(dest));
    mbedtls_md5_update_ret(&md5, (const unsigned char *)"\n", 1);
    mbedtls_md5_update_ret(&md5, (const unsigned char *)name, strlen(name));
    mbedtls_md5_finish_ret(&md5, digest);
    mbedtls_md5_free(&md5);
    oa_digest_hex(digest, sizeof(digest), hex);
    if ((size_t)snprintf(buf, len, "%s/watch/archive-%s.md5", state_dir, hex) >= len)
        return -ENAMETOOLONG;
    return 0;
}

int oa_common_archive_argv(enum oa_archive_format fmt, bool unrar_free, const char *file,
                           const char *dest, const char **argv, size_t n)
{
    const char *zip[] = {"unzip", "-o", "-q", file, "-d", dest, NULL};
    const char *rar[] = {"unrar", "x", "-o+", "--", file, dest, NULL};
    /* unrar-free (Debian main) does not parse unrar's own syntax. */
    const char *rar_free[] = {"unrar", "--extract", "--force", file, dest, NULL};
    const char *tar[] = {"tar", "-x", "-f", file, "-C", dest, NULL};
    const char *tgz[] = {"tar", "-x", "-z", "-f", file, "-C", dest, NULL};
    const char *tbz[] = {"tar", "-x", "-j", "-f", file, "-C", dest, NULL};
    const char *const *pick = fmt == OA_ARCHIVE_ZIP      ? zip
                              : fmt == OA_ARCHIVE_RAR    ? (unrar_free ? rar_free : rar)
                              : fmt == OA_ARCHIVE_TAR    ? tar
                              : fmt == OA_ARCHIVE_TAR_GZ ? tgz
                              : fmt == OA_ARCHIVE_TAR_BZ ? tbz
                                                         : NULL;
    size_t k = 0;

    if (!pick)
        return -EINVAL;
    for (; pick[k]; k++) {
        if (k + 1 >= n)
            return -EINVAL;
        argv[k] = pick[k];
    }
    argv[k] = NULL;
    return (int)k;
}

static bool url_scheme_ok(const char *s, struct oa_outcome *out)
{
    if (strncasecmp(s, "file:", 5) == 0) {
        oa_outcome_set(out, false, false,
                       "parameter 'source': file:// is not supported (http, https or ftp)");
        return false;
    }
    if (oa_common_archive_checksum_param(s, (char[33]){0}) != 1) {
        oa_outcome_set(out, false, false,
                       "parameter 'source': '%s' is not an http, https or ftp URL", s);
        return false;
    }
    return true;
}

static bool validate(struct arc *a, const struct oa_params *p, struct oa_outcome *out)
{
    const struct oa_pvalue *absent = oa_params_get(p, "if-path-absent");
    const char *path = oa_params_str(p, "path");
    size_t n = strlen(path);

    a->source = oa_params_str(p, "source");
    a->checksum = oa_params_str(p, "checksum");
    oa_common_sources_mask_url(a->source, a->shown, sizeof(a->shown));
    oa_common_sources_url_secret(a->source, a->secret, sizeof(a->secret));
    if (!url_scheme_ok(a->shown, out))
        return false;
    a->fmt = oa_common_archive_format(a->source);
    if (a->fmt == OA_ARCHIVE_UNSUPPORTED) {
        oa_outcome_set(out, false, false, "unsupported archive type: %s", a->shown);
        return false;
    }
    oa_common_archive_name(a->source, a->name, sizeof(a->name));
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (!oa_fs_is_absolute(path) || n + 2 >= sizeof(a->dest)) {
        oa_outcome_set(out, false, false, "parameter 'path': '%s' is not an absolute path", path);
        return false;
    }
    snprintf(a->dest, sizeof(a->dest), "%.*s", (int)n, path);
    for (size_t i = 0; absent->present && i < absent->n; i++) {
        if (!oa_fs_is_absolute(absent->items[i])) {
            oa_outcome_set(out, false, false,
                           "parameter 'if-path-absent': '%s' is not an absolute path",
                           absent->items[i]);
            return false;
        }
    }
    if (a->checksum && oa_common_archive_checksum_param(a->checksum, a->want) < 0) {
        oa_outcome_set(out, false, false,
                       "parameter 'checksum': '%s' is neither md5:<32 hex digits> nor the URL "
                       "of a checksum file",
                       a->checksum);
        return false;
    }
    return true;
}

/* §9.4 step 1: a listed path that is an existing directory skips the state
 * (files do not count, as in the original). */
static bool skipped(const struct oa_params *p, struct oa_outcome *out)
{
    const struct oa_pvalue *absent = oa_params_get(p, "if-path-absent");
    struct stat st;

    for (size_t i = 0; absent->present && i < absent->n; i++) {
        if (stat(absent->items[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            oa_outcome_set(out, true, false, "skipped: %s exists", absent->items[i]);
            return true;
        }
    }
    return false;
}

/* fetch's reason without the URL it may start with (as oa_fetch_shown_url
 * shows it; the comment names the URL already). */
static const char *after_url(const char *why, const char *url)
{
    char as[OA_FETCH_SHOWN_MAX];
    size_t n = strlen(oa_fetch_shown_url(url, as, sizeof(as)));

    return strncmp(why, as, n) == 0 && strncmp(why + n, ": ", 2) == 0 ? why + n + 2 : why;
}

/* §9.4 step 2: the expected sum from a checksum URL, fetched every round. */
static int fetch_sum(struct arc *a, struct oa_outcome *out)
{
    struct oa_fetch_opts o = oa_fetch_opts_for(a->ctx, CHECKSUM_FILE_MAX);
    char why[1024], secret[256], masked[1024], shown[2048];
    struct oa_buf b;
    int r;

    oa_common_sources_mask_url(a->checksum, shown, sizeof(shown));
    oa_buf_init(&b, CHECKSUM_FILE_MAX);
    r = oa_fetch_buf(a->checksum, &o, &b, why, sizeof(why));
    if (r < 0) {
        oa_common_sources_url_secret(a->checksum, secret, sizeof(secret));
        oa_outcome_set(
            out, false, false, "cannot fetch the checksum %s: %s", shown,
            oa_common_sources_mask(after_url(why, a->checksum), secret, masked, sizeof(masked)));
    } else if ((r = oa_common_archive_sum_in_file(b.data ? b.data : "", b.len, a->name, a->want)) <
               0) {
        oa_outcome_set(out, false, false, "no md5 sum found in %s", shown);
    }
    oa_buf_done(&b);
    return r;
}

/* §9.4 step 3: the sum stored after the last extraction of this archive
 * into this path equals the expected one, and the path is still there. */
static bool already_extracted(struct arc *a)
{
    char text[64], stored[33];
    struct stat st;
    ssize_t n;
    int fd;

    if (!a->want[0] || !a->ctx->state_dir || stat(a->dest, &st) < 0 || !S_ISDIR(st.st_mode))
        return false;
    if ((fd = open(a->sum_path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    text[n > 0 ? n : 0] = '\0';
    return n >= 32 && hex32(text, strspn(text, "0123456789abcdef"), stored) &&
           strcmp(stored, a->want) == 0;
}

/* The tools extracting a->fmt, installed when missing (§1.6). */
static int ensure_tools(struct arc *a, bool *unrar_free, struct oa_outcome *out)
{
    static const char *const by_fmt[][4] = {
        /* tool, Debian package, RHEL package; twice for tar + compressor */
        [OA_ARCHIVE_ZIP] = {"unzip", "unzip", "unzip", NULL},
        [OA_ARCHIVE_RAR] = {"unrar", "unrar-free", "unrar", NULL},
        [OA_ARCHIVE_TAR] = {"tar", "tar", "tar", NULL},
        [OA_ARCHIVE_TAR_GZ] = {"gzip", "gzip", "gzip", NULL},
        [OA_ARCHIVE_TAR_BZ] = {"bzip2", "bzip2", "bzip2", NULL},
    };
    const char *const *t = by_fmt[a->fmt];
    char path[PATH_MAX], real[PATH_MAX];
    struct oa_osinfo os;
    bool installed;
    int r = 0;

    oa_osinfo_read(&os);
    if (a->fmt == OA_ARCHIVE_TAR_GZ || a->fmt == OA_ARCHIVE_TAR_BZ)
        r = oa_prereq_ensure(a->ctx, &os, "tar", "tar", "tar", &installed, out);
    if (r == 0)
        r = oa_prereq_ensure(a->ctx, &os, t[0], t[1], t[2], &installed, out);
    *unrar_free = a->fmt == OA_ARCHIVE_RAR && oa_tool_which("unrar", path, sizeof(path)) &&
                  realpath(path, real) && strstr(real, "unrar-free");
    return r;
}

/* §9.4 step 4: downloads into <state dir>/cache and checks the sum. The
 * file is a->tmp (deleted by the caller). */
static int download(struct arc *a, struct oa_outcome *out)
{
    struct oa_fetch_opts o = oa_fetch_opts_for(a->ctx, ARCHIVE_MAX_BYTES);
    char cache[PATH_MAX], why[1024], masked[1024], got[33];
    int fd, r;

    snprintf(cache, sizeof(cache), "%s/cache", a->ctx->state_dir ? a->ctx->state_dir : "/tmp");
    if ((r = oa_fs_mkdir_p(cache, 0700)) < 0) {
        oa_outcome_set(out, false, false, "cannot create %s: %s", cache, strerror(-r));
        return r;
    }
    if ((size_t)snprintf(a->tmp, sizeof(a->tmp), "%s/archive-XXXXXX%s", cache, suffixes[a->fmt]) >=
        sizeof(a->tmp))
        errno = ENAMETOOLONG, fd = -1;
    else
        fd = mkostemps(a->tmp, (int)strlen(suffixes[a->fmt]), O_CLOEXEC);
    if (fd < 0) {
        r = -errno;
        oa_outcome_set(out, false, false, "cannot create a file in %s: %s", cache, strerror(-r));
        a->tmp[0] = '\0';
        return r;
    }
    printf("downloading %s\n", a->shown);
    r = oa_fetch_fd(a->source, &o, fd, why, sizeof(why));
    if (r < 0) {
        oa_outcome_set(
            out, false, false, "cannot download %s: %s", a->shown,
            oa_common_sources_mask(after_url(why, a->source), a->secret, masked, sizeof(masked)));
    } else if (lseek(fd, 0, SEEK_SET) < 0 || (r = oa_digest_md5_hex_fd(fd, got)) < 0) {
        r = r < 0 ? r : -errno;
        oa_outcome_set(out, false, false, "cannot read the download of %s: %s", a->shown,
                       strerror(-r));
    } else if (a->want[0] && strcmp(a->want, got) != 0) {
        oa_outcome_set(out, false, false, "checksum mismatch: expected %s, got %s", a->want, got);
        r = -EIO;
    } else {
        memcpy(a->want, got, sizeof(got));
    }
    close(fd);
    return r;
}

static bool newer(const struct timespec *a, const struct timespec *since)
{
    return a->tv_sec > since->tv_sec ||
           (a->tv_sec == since->tv_sec && a->tv_nsec >= since->tv_nsec);
}

/* Counts the entries below the directory dirfd (owned: closed here) whose
 * inode changed since `since`: what the extraction wrote, whatever the
 * format, without parsing any tool's listing. */
/* NOLINTNEXTLINE(misc-no-recursion): at most WALK_DEPTH_MAX levels deep */
static long count_written(int dirfd, const struct timespec *since, unsigned depth)
{
    DIR *d = fdopendir(dirfd);
    struct dirent *e;
    struct stat st;
    long n = 0;

    if (!d) {
        close(dirfd);
        return 0;
    }
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (newer(&st.st_ctim, since))
            n++;
        if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH_MAX) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                n += count_written(sub, since, depth + 1);
        }
    }
    closedir(d);
    return n;
}

/* The file system's own "now" for dest: the change time of a file made
 * there (the kernel's coarse clock, which may lag behind clock_gettime). */
static int fs_now(const char *dest, struct timespec *ret)
{
    char marker[PATH_MAX];
    struct stat st;
    int fd, r = 0;

    if ((size_t)snprintf(marker, sizeof(marker), "%s/.opsagent-extract-XXXXXX", dest) >=
        sizeof(marker))
        return -ENAMETOOLONG;
    if ((fd = mkostemp(marker, O_CLOEXEC)) < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        r = -errno;
    close(fd);
    unlink(marker);
    *ret = st.st_ctim;
    return r;
}

/* Runs the extraction tool; returns 0 or a negative code with out set. */
static int run_extractor(struct arc *a, bool unrar_free, struct oa_outcome *out)
{
    const char *argv[10];
    char dest[PATH_MAX + 2], exe[PATH_MAX], reason[512], what[700], **env;
    struct oa_runas ra;
    int status, r;

    snprintf(dest, sizeof(dest), "%s/", a->dest);
    if (oa_common_archive_argv(a->fmt, unrar_free, a->tmp, dest, argv, 10) < 0) {
        oa_outcome_set(out, false, false, "cannot extract %s: unsupported archive type", a->shown);
        return -EINVAL;
    }
    if (!oa_tool_which(argv[0], exe, sizeof(exe))) {
        oa_outcome_set(out, false, false, "%s is not installed", argv[0]);
        return -ENOENT;
    }
    if ((r = oa_runas_lookup(NULL, NULL, &ra, reason, sizeof(reason))) < 0 ||
        !(env = oa_runas_env(&ra, NULL, 0))) {
        oa_outcome_set(out, false, false, "out of memory");
        if (r == 0)
            oa_runas_done(&ra);
        return -ENOMEM;
    }
    struct oa_tool t = {.path = exe, .argv = (char *const *)argv, .envp = env};
    r = oa_common_sources_run(&t, a->secret, &status, reason, sizeof(reason));
    oa_runas_env_free(env);
    oa_runas_done(&ra);
    if (r < 0) {
        oa_outcome_set(out, false, false, "cannot extract %s: %s", a->name, reason);
        return r;
    }
    if (!oa_tool_ok(status)) {
        oa_common_sources_failure(argv[0], status, reason, what, sizeof(what));
        oa_outcome_set(out, false, false, "cannot extract %s into %s: %s", a->name, a->dest, what);
        return -EIO;
    }
    return 0;
}

/* §9.4 steps 5 and 6: into dest as an overlay; nothing extracted fails,
 * keeping dest (⚠ the original deleted it). Returns the entry count. */
static long extract(struct arc *a, bool unrar_free, struct oa_outcome *out)
{
    bool existed = oa_fs_exists(a->dest);
    struct timespec since = {0};
    long n;
    int r;

    if ((r = oa_fs_mkdir_p(a->dest, 0755)) < 0 || (r = fs_now(a->dest, &since)) < 0) {
        oa_outcome_set(out, false, false, "cannot create %s: %s", a->dest, strerror(-r));
        return r;
    }
    r = run_extractor(a, unrar_free, out);
    n = count_written(open(a->dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC), &since, 0);
    out->changed = n > 0 || !existed;
    if (r < 0)
        return r;
    if (n == 0) {
        oa_outcome_set(out, false, !existed, "nothing was extracted from %s into %s", a->shown,
                       a->dest);
        return -ENOENT;
    }
    return n;
}

/* §9.4 step 7: the sum of what was extracted, for the next rounds. */
static int store_sum(struct arc *a, struct oa_outcome *out)
{
    char dir[PATH_MAX], text[PATH_MAX + NAME_MAX + 64], why[512];
    int r;

    snprintf(dir, sizeof(dir), "%s/watch", a->ctx->state_dir);
    if ((r = oa_fs_mkdir_p(dir, 0700)) < 0) {
        oa_outcome_set(out, false, true, "cannot create %s: %s", dir, strerror(-r));
        return r;
    }
    snprintf(text, sizeof(text), "%s  %s in %s\n", a->want, a->name, a->dest);
    r = oa_fs_write_atomic(a->sum_path, text, strlen(text), 0600, (uid_t)-1, (gid_t)-1, why,
                           sizeof(why));
    if (r < 0)
        oa_outcome_set(out, false, true, "extracted, but cannot keep its sum: %s", why);
    return r;
}

static void converge(struct arc *a, struct oa_outcome *out)
{
    bool unrar_free = false;
    long n;

    if (a->checksum && !a->want[0] && fetch_sum(a, out) < 0)
        return;
    if (a->ctx->state_dir && oa_common_archive_sum_path(a->ctx->state_dir, a->dest, a->name,
                                                        a->sum_path, sizeof(a->sum_path)) < 0) {
        oa_outcome_set(out, false, false, "%s: the path is too long", a->ctx->state_dir);
        return;
    }
    if (already_extracted(a)) {
        oa_outcome_set(out, true, false, "%s is already extracted in %s (md5 %s), no changes",
                       a->name, a->dest, a->want);
        return;
    }
    if (ensure_tools(a, &unrar_free, out) < 0)
        return;
    if (a->ctx->dry_run) {
        oa_outcome_set(out, true, true, "would download %s and extract it in %s", a->shown,
                       a->dest);
        return;
    }
    if (download(a, out) < 0 || (n = extract(a, unrar_free, out)) < 0)
        return;
    unlink(a->tmp);
    a->tmp[0] = '\0';
    if (a->ctx->state_dir && store_sum(a, out) < 0)
        return;
    oa_outcome_set(out, true, true, "%s extracted in %s (%ld entr%s)", a->shown, a->dest, n,
                   n == 1 ? "y" : "ies");
}

static int archive_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                       struct oa_outcome *out)
{
    struct arc a = {.ctx = ctx};

    if (!validate(&a, p, out) || skipped(p, out))
        return 0;
    converge(&a, out);
    if (a.tmp[0])
        unlink(a.tmp);
    return 0;
}

const struct oa_module oa_mod_common_archive = {
    .name = "common.archive",
    .params = archive_params,
    .n_params = sizeof(archive_params) / sizeof(archive_params[0]),
    .run = archive_run,
};
