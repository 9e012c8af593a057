/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The package sources (modules.md §5.3, §5.5): linux.apt.repo writes
 * /etc/apt/sources.list.d/<name>.list and linux.yum.repo
 * /etc/yum.repos.d/<name>.repo, verbatim, root:root 0644, atomically, like
 * linux.file; a change marks that manager's package index stale so that
 * the next `latest` refreshes it (§5.0). Neither runs the index refresh
 * itself, and there is no removal.
 *
 * linux.yum.repo may instead install a "release" RPM from `rpm-url`, only
 * when its package is not installed (⚠ §D: the original ran rpm -U --force
 * every round). The package name read from the RPM is remembered per URL
 * under the state dir, so a round with nothing to do downloads nothing.
 *
 * linux.rpm.key (§5.6) imports an ASCII-armoured key with rpm --import,
 * after checking, from the key's own identity (the gpg-pubkey-V-R name rpm
 * gives it), whether it is already imported; a key fetched from a URL is
 * remembered under the state dir the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#include "childio.h"
#include "err.h"
#include "fetch.h"
#include "fsutil.h"
#include "linux_pkg.h"
#include "mem.h"
#include "modules.h"
#include "osinfo.h"
#include "tool.h"

#define REPO_FILE_MAX (16u << 20)
#define RELEASE_RPM_MAX ((size_t)256 << 20)

static const struct oa_param_spec apt_repo_params[] = {
    {"name", OA_PT_LINE, OA_PF_REQUIRED},
    {"content", OA_PT_TEXT, OA_PF_REQUIRED},
};

static const struct oa_param_spec yum_repo_params[] = {
    {"name", OA_PT_LINE, OA_PF_REQUIRED},
    {"content", OA_PT_TEXT, 0},
    {"rpm-url", OA_PT_LINE, 0},
};

int oa_repo_file_path(const char *dir, const char *name, const char *ext, char *buf, size_t len,
                      char *why, size_t whylen)
{
    size_t n = strlen(name), e = strlen(ext);
    bool has_ext = n > e && strcmp(name + n - e, ext) == 0;

    if (!n || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
        name[strcspn(name, "\n\r")]) {
        snprintf(why, whylen, "parameter 'name': '%.100s' is not a file name", name);
        return -EINVAL;
    }
    if ((size_t)snprintf(buf, len, "%s/%s%s", dir, name, has_ext ? "" : ext) >= len) {
        snprintf(why, whylen, "parameter 'name': '%.100s' is too long", name);
        return -ENAMETOOLONG;
    }
    return 0;
}

/* ---- Files managed like linux.file: root:root, atomically ---- */

struct current {
    bool exists;
    bool same_content;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

static int inspect(const char *path, const char *content, struct current *c, char *why, size_t len)
{
    struct oa_buf b;
    struct stat st;
    int fd, r;

    memset(c, 0, sizeof(*c));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        r = -errno;
        snprintf(why, len, "cannot read %s: %s", path, strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(why, len, "%s is not a regular file", path);
        return -EINVAL;
    }
    c->exists = true;
    c->mode = st.st_mode & 07777;
    c->uid = st.st_uid;
    c->gid = st.st_gid;
    oa_buf_init(&b, REPO_FILE_MAX);
    r = oa_childio_read_all(fd, &b);
    close(fd);
    c->same_content =
        r == 0 && b.len == strlen(content) && memcmp(b.data ? b.data : "", content, b.len) == 0;
    oa_buf_done(&b);
    return 0;
}

/* What differs, for the comment: "content changed, mode 0600 → 0644". */
static void differences(const struct current *c, mode_t mode, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    if (!c->same_content)
        off += (size_t)snprintf(buf, len, "content changed");
    if (off < len && c->mode != mode)
        off += (size_t)snprintf(buf + off, len - off, "%smode %04o → %04o", off ? ", " : "",
                                (unsigned)c->mode, (unsigned)mode);
    if (off < len && (c->uid != 0 || c->gid != 0))
        snprintf(buf + off, len - off, "%sowner %u:%u → root:root", off ? ", " : "",
                 (unsigned)c->uid, (unsigned)c->gid);
}

static int apply(const char *path, const char *content, mode_t mode, const struct current *c,
                 char *why, size_t len)
{
    char dir[4096];
    int r;

    if (c->exists && c->same_content) {
        if (chown(path, 0, 0) < 0 || chmod(path, mode) < 0) {
            r = -errno;
            snprintf(why, len, "%s: cannot set owner and mode: %s", path, strerror(-r));
            return r;
        }
        return 0;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    if ((r = oa_fs_mkdir_p(dir, 0755)) < 0) {
        snprintf(why, len, "cannot create %.1000s: %s", dir, strerror(-r));
        return r;
    }
    return oa_fs_write_atomic(path, content, strlen(content), mode, 0, 0, why, len);
}

int oa_repo_manage_file(const struct oa_run_ctx *ctx, const char *path, const char *content,
                        mode_t mode, bool *changed, struct oa_outcome *out)
{
    struct current c;
    char what[256];
    int r;

    *changed = false;
    if ((r = inspect(path, content, &c, out->comment, sizeof(out->comment))) < 0) {
        out->result = false;
        return r;
    }
    differences(&c, mode, what, sizeof(what));
    if (c.exists && !what[0]) {
        oa_outcome_set(out, true, false, "%s is up to date, no changes", path);
        return 0;
    }
    *changed = true;
    if (ctx->dry_run) {
        if (c.exists)
            oa_outcome_set(out, true, true, "would update %s: %s", path, what);
        else
            oa_outcome_set(out, true, true, "would create %s", path);
        return 0;
    }
    if ((r = apply(path, content, mode, &c, out->comment, sizeof(out->comment))) < 0) {
        out->result = false;
        *changed = false;
        return r;
    }
    if (c.exists)
        oa_outcome_set(out, true, true, "%s: %s", path, what);
    else
        oa_outcome_set(out, true, true, "%s: created", path);
    return 0;
}

static void mark_stale(const struct oa_run_ctx *ctx, const char *manager)
{
    if (oa_pkg_index_mark_stale(ctx->state_dir, manager) < 0)
        printf("cannot mark the %s package index stale under %s, ignoring\n", manager,
               ctx->state_dir);
}

/* ---- linux.apt.repo ---- */

static int apt_repo_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                        struct oa_outcome *out)
{
    const char *name = oa_params_str(p, "name");
    struct oa_osinfo os;
    char path[4096];
    bool changed;

    oa_osinfo_read(&os);
    if (!oa_osinfo_allows(&os, OA_OS_DEBIAN, "linux.apt.repo", out->comment,
                          sizeof(out->comment))) {
        out->result = false;
        return 0;
    }
    if (oa_repo_file_path("/etc/apt/sources.list.d", name, ".list", path, sizeof(path),
                          out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return 0;
    }
    /* apt skips files whose names hold other characters (apt.conf(5)). */
    if (name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")])
        printf("warning: apt ignores %s: its name has characters other than letters, digits, "
               "'_', '-' and '.'\n",
               path);
    if (oa_repo_manage_file(ctx, path, oa_params_str(p, "content"), 0644, &changed, out) == 0 &&
        changed && !ctx->dry_run)
        mark_stale(ctx, "apt");
    return 0;
}

const struct oa_module oa_mod_linux_apt_repo = {
    .name = "linux.apt.repo",
    .params = apt_repo_params,
    .n_params = sizeof(apt_repo_params) / sizeof(apt_repo_params[0]),
    .run = apt_repo_run,
};

/* ---- linux.yum.repo with rpm-url ---- */

void oa_repo_rpm_argv(struct oa_pkg_argv *a, enum oa_repo_rpm_call call, const char *arg)
{
    switch (call) {
    case OA_REPO_RPM_NAME:
        oa_pkg_argv_add(a, "rpm");
        oa_pkg_argv_add(a, "-qp");
        oa_pkg_argv_add(a, "--qf");
        oa_pkg_argv_add(a, "%{NAME}");
        break;
    case OA_REPO_RPM_INSTALLED:
        oa_pkg_argv_add(a, "rpm");
        oa_pkg_argv_add(a, "-q");
        oa_pkg_argv_add(a, "--quiet");
        break;
    case OA_REPO_RPM_INSTALL:
        oa_pkg_argv_add(a, "yum");
        oa_pkg_argv_add(a, "-y");
        oa_pkg_argv_add(a, "install");
        break;
    case OA_REPO_RPM_IMPORT:
        oa_pkg_argv_add(a, "rpm");
        oa_pkg_argv_add(a, "--import");
        break;
    case OA_REPO_RPM_LIST:
        oa_pkg_argv_add(a, "rpm");
        oa_pkg_argv_add(a, "-q");
        break;
    }
    oa_pkg_argv_add(a, arg);
}

/* Runs an rpm query; 0 with *ok, or a negative code with why. */
static int rpm_ask(enum oa_repo_rpm_call call, const char *arg, struct oa_buf *capture, bool *ok,
                   char *why, size_t len)
{
    struct oa_pkg_argv a = {0};
    int status, r;

    oa_repo_rpm_argv(&a, call, arg);
    r = oa_pkg_argv_ok(&a) ? oa_pkg_query(a.v, NULL, capture, NULL, &status, why, len) : -ENOMEM;
    if (r == -ENOMEM)
        snprintf(why, len, "out of memory");
    *ok = r == 0 && oa_tool_ok(status);
    oa_pkg_argv_done(&a);
    return r;
}

bool oa_repo_rpm_installed(const char *name)
{
    char why[256];
    bool ok;

    return rpm_ask(OA_REPO_RPM_INSTALLED, name, NULL, &ok, why, sizeof(why)) == 0 && ok;
}

/* The package name inside an RPM file. */
static int rpm_name_of(const char *file, char *name, size_t len, char *why, size_t whylen)
{
    struct oa_buf b;
    bool ok;
    int r;

    oa_buf_init(&b, 4096);
    r = rpm_ask(OA_REPO_RPM_NAME, file, &b, &ok, why, whylen);
    if (r == 0 && (!ok || !b.len || b.len >= len)) {
        snprintf(why, whylen, "cannot read the package name of %s", file);
        r = -EINVAL;
    }
    if (r == 0)
        snprintf(name, len, "%s", b.data);
    oa_buf_done(&b);
    return r;
}

/* shown: rpm-url as messages show it (without a password). */
static int install_release(const char *shown, const char *file, const char *name,
                           struct oa_outcome *out)
{
    struct oa_pkg_argv a = {0};
    char why[256];
    int r;

    oa_repo_rpm_argv(&a, OA_REPO_RPM_INSTALL, file);
    r = oa_pkg_exec(&a, NULL, "yum install", why, sizeof(why));
    oa_pkg_argv_done(&a);
    if (r == 0 && !oa_repo_rpm_installed(name)) {
        snprintf(why, sizeof(why), "%.200s is not installed afterwards", name);
        r = 1;
    }
    if (r != 0)
        oa_outcome_set(out, false, false, "cannot install the release package from %s: %s", shown,
                       why);
    else
        oa_outcome_set(out, true, true, "installed the release package %s from %s", name, shown);
    return r;
}

/* The RPM of rpm-url as a local file: downloaded into dir, or the path. */
static int release_file(const struct oa_run_ctx *ctx, const char *url, const char *shown, char *dir,
                        size_t dirlen, char *file, size_t len, struct oa_outcome *out)
{
    char why[512];

    if (url[0] == '/') {
        snprintf(file, len, "%s", url);
        return 0;
    }
    snprintf(dir, dirlen, "/tmp/opsagent-repo.XXXXXX");
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        oa_outcome_set(out, false, false, "cannot create a directory for downloads: %s",
                       strerror(errno));
        return -errno;
    }
    printf("downloading %s\n", shown);
    if (oa_pkg_download(ctx, url, dir, ".rpm", "release.rpm", RELEASE_RPM_MAX, file, len, why,
                        sizeof(why)) < 0) {
        oa_outcome_set(out, false, false, "cannot download %s: %s", shown, why);
        return -EIO;
    }
    return 0;
}

static int yum_release_run(const struct oa_run_ctx *ctx, const char *url, struct oa_outcome *out)
{
    char name[256], dir[64] = "", file[4096] = "", why[256], shown[OA_FETCH_SHOWN_MAX];
    int r;

    oa_fetch_shown_url(url, shown, sizeof(shown));
    if (oa_pkg_memo_get(ctx->state_dir, "yum-release", url, name, sizeof(name)) == 0 &&
        oa_repo_rpm_installed(name)) {
        oa_outcome_set(out, true, false, "the release package %s is installed, no changes", name);
        return 0;
    }
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would install the release package from %s", shown);
        return 0;
    }
    if (release_file(ctx, url, shown, dir, sizeof(dir), file, sizeof(file), out) < 0)
        goto done;
    if ((r = rpm_name_of(file, name, sizeof(name), why, sizeof(why))) < 0) {
        oa_outcome_set(out, false, false, "%s: %s", shown, why);
        goto done;
    }
    if (!oa_repo_rpm_installed(name))
        r = install_release(shown, file, name, out);
    else
        oa_outcome_set(out, true, false, "the release package %s is installed, no changes", name);
    if (r == 0) {
        (void)oa_pkg_memo_put(ctx->state_dir, "yum-release", url, name);
        if (out->changed)
            mark_stale(ctx, "yum");
    }
done:
    if (dir[0]) {
        if (file[0])
            unlink(file);
        rmdir(dir);
    }
    return 0;
}

static int yum_repo_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                        struct oa_outcome *out)
{
    const char *content = oa_params_str(p, "content"), *url = oa_params_str(p, "rpm-url");
    struct oa_osinfo os;
    char path[4096];
    bool changed;

    oa_osinfo_read(&os);
    if (!oa_osinfo_allows(&os, OA_OS_RHEL, "linux.yum.repo", out->comment, sizeof(out->comment))) {
        out->result = false;
        return 0;
    }
    if (oa_repo_yum_validate(p, path, sizeof(path), out) < 0)
        return 0;
    if (!content)
        return yum_release_run(ctx, url, out);
    if (oa_repo_manage_file(ctx, path, content, 0644, &changed, out) == 0 && changed &&
        !ctx->dry_run)
        mark_stale(ctx, "yum");
    return 0;
}

int oa_repo_yum_validate(const struct oa_params *p, char *path, size_t len, struct oa_outcome *out)
{
    const char *content = oa_params_str(p, "content"), *url = oa_params_str(p, "rpm-url");
    char shown[OA_FETCH_SHOWN_MAX];

    if (oa_repo_file_path("/etc/yum.repos.d", oa_params_str(p, "name"), ".repo", path, len,
                          out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return -EINVAL;
    }
    if (!content && !url) {
        oa_outcome_set(out, false, false, "linux.yum.repo needs 'content' or 'rpm-url'");
        return -EINVAL;
    }
    if (!content && url[0] != '/' && strncmp(url, "http://", 7) != 0 &&
        strncmp(url, "https://", 8) != 0) {
        oa_outcome_set(out, false, false,
                       "parameter 'rpm-url': '%.200s' is neither an http(s) URL nor an absolute "
                       "path",
                       oa_fetch_shown_url(url, shown, sizeof(shown)));
        return -EINVAL;
    }
    return 0;
}

const struct oa_module oa_mod_linux_yum_repo = {
    .name = "linux.yum.repo",
    .params = yum_repo_params,
    .n_params = sizeof(yum_repo_params) / sizeof(yum_repo_params[0]),
    .run = yum_repo_run,
};

/* ---- linux.rpm.key ---- */

#define KEY_MAX (1u << 20)

static const struct oa_param_spec rpm_key_params[] = {
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The base64 text of the first armoured public key block, without the
 * armour headers and checksum, into b64 (only base64 characters kept). */
static int armour_body(const char *text, size_t len, struct oa_buf *b64)
{
    static const char begin[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    const char *p = memmem(text, len, begin, sizeof(begin) - 1), *end = text + len;
    bool data = false;

    if (!p)
        return OA_ESYNTAX;
    p = memchr(p, '\n', (size_t)(end - p));
    while (p && ++p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        if (n && p[n - 1] == '\r')
            n--;
        /* Headers ("Version: …") end at an empty line; data has no ':'. */
        if (!data && (n == 0 || memchr(p, ':', n))) {
            data = n == 0;
        } else {
            data = true;
            if (n && (p[0] == '=' || p[0] == '-'))
                return b64->len ? 0 : OA_ESYNTAX;
            for (size_t i = 0; i < n; i++)
                if ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
                    (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '/' || p[i] == '=')
                    if (oa_buf_append(b64, &p[i], 1) < 0)
                        return -ENOMEM;
        }
        p = nl;
    }
    return OA_ESYNTAX;
}

/* The body of the first packet when it is a public key (tag 6). */
static int first_key_packet(const unsigned char *d, size_t n, const unsigned char **body,
                            size_t *blen)
{
    size_t hl, l;
    unsigned tag;

    if (n < 2 || !(d[0] & 0x80))
        return OA_ESYNTAX;
    if (d[0] & 0x40) { /* new format */
        tag = d[0] & 0x3f;
        if (d[1] < 192)
            l = d[1], hl = 2;
        else if (d[1] < 224 && n >= 3)
            l = ((size_t)(d[1] - 192) << 8) + d[2] + 192, hl = 3;
        else if (d[1] == 255 && n >= 6)
            l = be32(d + 2), hl = 6;
        else
            return OA_ESYNTAX;
    } else { /* old format */
        tag = (d[0] >> 2) & 0x0f;
        if ((d[0] & 3) == 0)
            l = d[1], hl = 2;
        else if ((d[0] & 3) == 1 && n >= 3)
            l = (size_t)d[1] << 8 | d[2], hl = 3;
        else if ((d[0] & 3) == 2 && n >= 5)
            l = be32(d + 1), hl = 5;
        else
            return OA_ESYNTAX;
    }
    if (tag != 6 || l > n - hl)
        return OA_ESYNTAX;
    *body = d + hl;
    *blen = l;
    return 0;
}

int oa_repo_pgp_rpm_name(const char *text, size_t len, char *buf, size_t buflen)
{
    unsigned char *bin = NULL, fpr[20], prefix[3];
    const unsigned char *body;
    size_t n = 0, blen;
    mbedtls_sha1_context sha;
    struct oa_buf b64;
    int r;

    oa_buf_init(&b64, KEY_MAX);
    r = armour_body(text, len, &b64);
    if (r == 0 && mbedtls_base64_decode(NULL, 0, &n, (const unsigned char *)b64.data, b64.len) !=
                      MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
        r = OA_ESYNTAX;
    if (r == 0 && !(bin = oa_malloc(n)))
        r = -ENOMEM;
    if (r == 0 && mbedtls_base64_decode(bin, n, &n, (const unsigned char *)b64.data, b64.len) != 0)
        r = OA_ESYNTAX;
    if (r == 0)
        r = first_key_packet(bin, n, &body, &blen);
    /* rpm names v4 keys by the key id (the fingerprint's low 32 bits) and
     * the creation time (RFC 4880 §12.2). */
    if (r == 0 && (blen < 6 || blen > 0xffff || body[0] != 4))
        r = OA_ESYNTAX;
    if (r == 0) {
        prefix[0] = 0x99;
        prefix[1] = (unsigned char)(blen >> 8);
        prefix[2] = (unsigned char)blen;
        mbedtls_sha1_init(&sha);
        if (mbedtls_sha1_starts_ret(&sha) != 0 || mbedtls_sha1_update_ret(&sha, prefix, 3) != 0 ||
            mbedtls_sha1_update_ret(&sha, body, blen) != 0 ||
            mbedtls_sha1_finish_ret(&sha, fpr) != 0)
            r = -EIO;
        mbedtls_sha1_free(&sha);
    }
    if (r == 0)
        snprintf(buf, buflen, "gpg-pubkey-%08x-%08x", (unsigned)be32(fpr + 16),
                 (unsigned)be32(body + 1));
    oa_free(bin);
    oa_buf_done(&b64);
    return r;
}

static bool is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* The key text, read from the file or downloaded. */
static int load_key(const struct oa_run_ctx *ctx, const char *path, const char *shown,
                    struct oa_buf *text, struct oa_outcome *out)
{
    struct oa_fetch_opts o = oa_fetch_opts_for(ctx, KEY_MAX);
    char why[512];
    int r;

    if (is_url(path)) {
        printf("downloading %s\n", shown);
        if ((r = oa_fetch_buf(path, &o, text, why, sizeof(why))) < 0)
            oa_outcome_set(out, false, false, "cannot download %s: %s", shown, why);
        return r;
    }
    r = oa_fs_read_file(path, text);
    if (r < 0)
        oa_outcome_set(out, false, false, "cannot read %s: %s", path,
                       r == OA_ETOOBIG ? "larger than 1 MiB" : strerror(-r));
    return r;
}

/* A downloaded key goes to a temporary file for rpm --import. */
static int key_file(const char *path, const char *shown, const struct oa_buf *text, char *file,
                    size_t len, struct oa_outcome *out)
{
    char why[256];
    int fd;

    if (!is_url(path)) {
        snprintf(file, len, "%s", path);
        return 0;
    }
    snprintf(file, len, "/tmp/opsagent-key.XXXXXX");
    fd = mkostemp(file, O_CLOEXEC);
    if (fd < 0 || write(fd, text->data, text->len) != (ssize_t)text->len) {
        snprintf(why, sizeof(why), "%s", strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(file);
        }
        file[0] = '\0';
        oa_outcome_set(out, false, false, "cannot keep the key of %s: %s", shown, why);
        return -EIO;
    }
    close(fd);
    return 0;
}

/* Every imported key, one per line ("" when none). */
static void imported_keys(struct oa_buf *list)
{
    char why[256];
    bool ok;

    oa_buf_reset(list);
    if (rpm_ask(OA_REPO_RPM_LIST, "gpg-pubkey", list, &ok, why, sizeof(why)) < 0 || !ok)
        oa_buf_reset(list); /* exit 1: "package gpg-pubkey is not installed" */
}

/* shown: the key's path or URL as messages show it (without a password). */
static void import_key(const char *shown, const char *file, const char *name,
                       struct oa_outcome *out)
{
    struct oa_pkg_argv a = {0};
    struct oa_buf before, after;
    char why[256];
    bool changed;

    oa_buf_init(&before, 1u << 20);
    oa_buf_init(&after, 1u << 20);
    imported_keys(&before);
    oa_repo_rpm_argv(&a, OA_REPO_RPM_IMPORT, file);
    if (oa_pkg_exec(&a, NULL, "rpm --import", why, sizeof(why)) != 0) {
        oa_outcome_set(out, false, false, "cannot import the key %s: %s", shown, why);
        goto done;
    }
    imported_keys(&after);
    changed =
        before.len != after.len || (before.len && memcmp(before.data, after.data, before.len) != 0);
    if (name[0] && !oa_repo_rpm_installed(name))
        oa_outcome_set(out, false, changed, "the key %s of %s is not imported after rpm --import",
                       name, shown);
    else if (changed)
        oa_outcome_set(out, true, true, "imported the key %s from %s", name[0] ? name : "", shown);
    else
        oa_outcome_set(out, true, false, "the key %s is already imported, no changes", shown);
done:
    oa_pkg_argv_done(&a);
    oa_buf_done(&before);
    oa_buf_done(&after);
}

/* Already imported? From the URL's memo without downloading, or from the
 * key's own name. */
static bool key_present(const struct oa_run_ctx *ctx, const char *path, const char *shown,
                        const char *name, struct oa_outcome *out)
{
    char memo[128];

    if (!name && !(is_url(path) &&
                   oa_pkg_memo_get(ctx->state_dir, "rpm-key", path, memo, sizeof(memo)) == 0))
        return false;
    if (!oa_repo_rpm_installed(name ? name : memo))
        return false;
    oa_outcome_set(out, true, false, "the key %s of %s is already imported, no changes",
                   name ? name : memo, shown);
    return true;
}

static int rpm_key_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                       struct oa_outcome *out)
{
    const char *path = oa_params_str(p, "path");
    char tool[4096], name[64] = "", file[4096] = "", shown[OA_FETCH_SHOWN_MAX];
    struct oa_osinfo os;
    struct oa_buf text;

    oa_osinfo_read(&os);
    if (!oa_tool_which("rpm", tool, sizeof(tool))) {
        oa_outcome_set(out, false, false,
                       "module linux.rpm.key is not available on %s: rpm is "
                       "not installed",
                       os.pretty);
        return 0;
    }
    /* A password in the key's URL is shown as ***. */
    oa_fetch_shown_url(path, shown, sizeof(shown));
    if (!is_url(path) && path[0] != '/') {
        oa_outcome_set(out, false, false,
                       "parameter 'path': '%.200s' is neither an absolute path nor an http(s) URL",
                       shown);
        return 0;
    }
    if (key_present(ctx, path, shown, NULL, out))
        return 0;
    if (ctx->dry_run && is_url(path)) {
        oa_outcome_set(out, true, true, "would import the key %s", shown);
        return 0;
    }
    oa_buf_init(&text, KEY_MAX);
    if (load_key(ctx, path, shown, &text, out) < 0)
        goto done;
    if (oa_repo_pgp_rpm_name(text.data ? text.data : "", text.len, name, sizeof(name)) < 0)
        name[0] = '\0';
    if (name[0] && key_present(ctx, path, shown, name, out)) {
        if (is_url(path))
            (void)oa_pkg_memo_put(ctx->state_dir, "rpm-key", path, name);
    } else if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would import the key %s%s%s", name,
                       name[0] ? " from " : "", shown);
    } else if (key_file(path, shown, &text, file, sizeof(file), out) == 0) {
        import_key(shown, file, name, out);
        if (out->result && name[0] && is_url(path))
            (void)oa_pkg_memo_put(ctx->state_dir, "rpm-key", path, name);
    }
done:
    if (file[0] && is_url(path))
        unlink(file);
    oa_buf_done(&text);
    return 0;
}

const struct oa_module oa_mod_linux_rpm_key = {
    .name = "linux.rpm.key",
    .params = rpm_key_params,
    .n_params = sizeof(rpm_key_params) / sizeof(rpm_key_params[0]),
    .run = rpm_key_run,
};
