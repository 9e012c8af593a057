/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The self-update's pure helpers (update.h): the signature check through
 * mbedTLS's pk layer, the --version check, the marker file and atomic
 * copies. They block on small files and never log; the callers (the
 * exec-update child, rollback-check, the service's work thread) decide.
 */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>

#include "buf.h"
#include "childio.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "mem.h"
#include "parse.h"

#define MARKER_MAX 4096
#define RSA_MIN_BITS 2048

/* ---- signature ---- */

/* Only the two kinds design.md names, and no short RSA keys. */
static int check_key_kind(mbedtls_pk_context *pk, const char *key_path, char *why, size_t len)
{
    mbedtls_pk_type_t type = mbedtls_pk_get_type(pk);

    if (type == MBEDTLS_PK_RSA) {
        if (mbedtls_pk_get_bitlen(pk) >= RSA_MIN_BITS)
            return 0;
        snprintf(why, len, "the update key %s is an RSA key of %zu bits; at least %d are needed",
                 key_path, mbedtls_pk_get_bitlen(pk), RSA_MIN_BITS);
        return -EINVAL;
    }
    if ((type == MBEDTLS_PK_ECKEY || type == MBEDTLS_PK_ECDSA) &&
        mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1)
        return 0;
    snprintf(why, len, "the update key %s is neither an ECDSA P-256 nor an RSA public key",
             key_path);
    return -EINVAL;
}

int oa_update_verify(const char *key_path, const unsigned char hash[32], const void *sig,
                     size_t sig_len, char *why, size_t len)
{
    mbedtls_pk_context pk;
    char detail[128];
    int r;

    if (sig_len == 0) {
        snprintf(why, len, "the signature is empty");
        return -EBADMSG;
    }
    mbedtls_pk_init(&pk);
    r = mbedtls_pk_parse_public_keyfile(&pk, key_path);
    if (r != 0) {
        mbedtls_strerror(r, detail, sizeof(detail));
        snprintf(why, len, "cannot use the update key %s: %s", key_path, detail);
        r = r == MBEDTLS_ERR_PK_FILE_IO_ERROR ? -EIO : -EINVAL;
    } else if ((r = check_key_kind(&pk, key_path, why, len)) == 0 &&
               mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sig_len) != 0) {
        snprintf(why, len, "signature does not match the pinned key");
        r = -EBADMSG;
    }
    mbedtls_pk_free(&pk);
    return r;
}

/* ---- the new binary's --version ---- */

/* Copies at most 60 bytes of s into buf, non-printable bytes as '?'. */
static const char *shown(const char *s, size_t n, char *buf, size_t size)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 4 < size && i < 60; i++)
        buf[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (n > 60 && k + 4 < size) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

int oa_update_check_version(const char *out, size_t out_len, const char *version, char *why,
                            size_t len)
{
    char expected[256], said[80];
    size_t n = out_len;

    snprintf(expected, sizeof(expected), "opsagent %s", version);
    if (n > 0 && out[n - 1] == '\n')
        n--;
    if (n == strlen(expected) && memcmp(out, expected, n) == 0)
        return 0;
    snprintf(why, len, "the new binary says '%s' instead of '%s'",
             shown(out, n, said, sizeof(said)), expected);
    return -EBADMSG;
}

/* ---- the marker ---- */

void oa_update_marker_done(struct oa_update_marker *m)
{
    if (!m)
        return;
    oa_free(m->version);
    oa_free(m->previous_version);
    m->version = m->previous_version = NULL;
}

bool oa_update_marker_start(struct oa_update_marker *m, int64_t now)
{
    if (m->deadline != 0)
        return false;
    m->deadline = now + (int64_t)m->window;
    return true;
}

uint64_t oa_update_remaining_ms(const struct oa_update_marker *m, int64_t now_ms)
{
    int64_t due_ms = m->deadline * 1000;
    return due_ms > now_ms ? (uint64_t)(due_ms - now_ms) : 0;
}

static int get_string(const struct oa_json *root, const char *key, char **ret)
{
    const struct oa_json *v = oa_json_get(root, key);

    if (!v || v->type != OA_JSON_STRING || v->len == 0 || strlen(v->u.str) != v->len)
        return OA_ESCHEMA;
    *ret = oa_strdup(v->u.str);
    return *ret ? 0 : -ENOMEM;
}

static int get_number(const struct oa_json *root, const char *key, uint64_t *ret)
{
    const struct oa_json *v = oa_json_get(root, key);

    if (!v || v->type != OA_JSON_NUMBER || oa_parse_u64(v->u.str, INT64_MAX / 1000, ret) < 0)
        return OA_ESCHEMA;
    return 0;
}

static int decode_marker(const char *text, size_t n, struct oa_update_marker *m, char *why,
                         size_t len)
{
    const struct oa_json_limits limits = {4, 32, NULL};
    struct oa_json *root = NULL;
    uint64_t deadline = 0;
    int r = oa_json_parse(text, n, &limits, &root, why, len);

    if (r == 0 && root->type != OA_JSON_OBJECT)
        r = OA_ESCHEMA;
    if (r == 0)
        r = get_string(root, "version", &m->version);
    if (r == 0)
        r = get_string(root, "previous_version", &m->previous_version);
    if (r == 0)
        r = get_number(root, "deadline", &deadline);
    if (r == 0)
        r = get_number(root, "attempts", &m->attempts);
    if (r == 0)
        r = get_number(root, "window", &m->window);
    if (r == 0 && (m->window == 0 || m->window > INT32_MAX))
        r = OA_ESCHEMA;
    if (r == OA_ESCHEMA)
        snprintf(why, len,
                 "expected {\"version\",\"previous_version\",\"deadline\",\"attempts\","
                 "\"window\"} (window at least 1 s)");
    m->deadline = (int64_t)deadline;
    oa_json_free(root);
    return r;
}

int oa_update_marker_read(const char *path, struct oa_update_marker *ret, char *why, size_t len)
{
    struct oa_update_marker m = {0};
    struct oa_buf b;
    char detail[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r;

    if (fd < 0) {
        r = -errno;
        snprintf(why, len, "cannot read the update marker %s: %s", path, strerror(errno));
        return r;
    }
    oa_buf_init(&b, MARKER_MAX);
    r = oa_childio_read_all(fd, &b);
    close(fd);
    if (r == 0)
        r = decode_marker(b.data ? b.data : "", b.len, &m, detail, sizeof(detail));
    else
        snprintf(detail, sizeof(detail), "%s", oa_strerror(r));
    oa_buf_done(&b);
    if (r < 0) {
        snprintf(why, len, "the update marker %s is invalid: %s", path, detail);
        oa_update_marker_done(&m);
        return r == OA_ETOOBIG ? OA_ESCHEMA : r;
    }
    *ret = m;
    return 0;
}

int oa_update_marker_write(const char *path, const struct oa_update_marker *m, char *why,
                           size_t len)
{
    yajl_gen g = oa_json_gen_new();
    const unsigned char *text;
    size_t n;
    int r;

    if (!g)
        return -ENOMEM;
    r = yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    if (r == 0)
        r = oa_json_gen_key_str(g, "version", m->version);
    if (r == 0)
        r = oa_json_gen_key_str(g, "previous_version", m->previous_version);
    if (r == 0)
        r = oa_json_gen_key_int(g, "deadline", (long long)m->deadline);
    if (r == 0)
        r = oa_json_gen_key_int(g, "attempts", (long long)m->attempts);
    if (r == 0)
        r = oa_json_gen_key_int(g, "window", (long long)m->window);
    if (r == 0 && (yajl_gen_map_close(g) != yajl_gen_status_ok ||
                   yajl_gen_get_buf(g, &text, &n) != yajl_gen_status_ok))
        r = -ENOMEM;
    if (r == 0)
        r = oa_fs_write_atomic(path, text, n, 0600, (uid_t)-1, (gid_t)-1, why, len);
    else
        snprintf(why, len, "%s: %s", path, oa_strerror(r));
    yajl_gen_free(g);
    return r;
}

/* ---- atomic copies ---- */

static void sync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;

    if (!slash || (size_t)(slash - path) >= sizeof(dir))
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int copy_fd(int in, int out)
{
    char chunk[65536];

    for (;;) {
        ssize_t n = read(in, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, chunk + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -errno;
            off += w;
        }
    }
}

int oa_update_copy_atomic(const char *src, const char *dst, char *why, size_t len)
{
    const char *step = "set the mode";
    char tmp[PATH_MAX];
    struct stat st;
    int in, out, r = 0;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.oa-XXXXXX", dst) >= sizeof(tmp)) {
        snprintf(why, len, "%s: the path is too long", dst);
        return -ENAMETOOLONG;
    }
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) < 0 || (out = mkostemp(tmp, O_CLOEXEC)) < 0) {
        r = -errno;
        snprintf(why, len, "%s: cannot %s: %s", dst,
                 in < 0 ? "read the source" : "create a temporary file", strerror(-r));
        if (in >= 0)
            close(in);
        return r;
    }
    if (fchmod(out, st.st_mode & 0777) < 0)
        r = -errno;
    if (r == 0 && (step = "copy", r = copy_fd(in, out)) == 0 && (step = "sync", fsync(out) < 0))
        r = -errno;
    close(in);
    if (close(out) < 0 && r == 0) {
        step = "close";
        r = -errno;
    }
    if (r == 0 && (step = "rename into place", rename(tmp, dst) < 0))
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        snprintf(why, len, "%s: cannot %s: %s", dst, step, strerror(-r));
        return r;
    }
    sync_dir_of(dst);
    return 0;
}

/* ---- rollback-check ---- */

static int restore(const struct oa_update_marker *m, const char *marker_path, const char *exe,
                   const char *prev, const char *why_now, char *msg, size_t len)
{
    char why[512];
    int r = oa_update_copy_atomic(prev, exe, why, sizeof(why));

    if (r < 0) {
        snprintf(msg, len, "update to %s did not reach READY (%s), and restoring %s failed: %s",
                 m->version, why_now, prev, why);
        return r;
    }
    if (unlink(marker_path) < 0 && errno != ENOENT) {
        r = -errno;
        snprintf(msg, len, "restored %s over %s, but cannot remove the marker %s: %s", prev, exe,
                 marker_path, strerror(errno));
        return r;
    }
    snprintf(msg, len, "update to %s did not reach READY (%s): restored %s (%s) from %s",
             m->version, why_now, exe, m->previous_version, prev);
    return OA_UPDATE_ROLLED_BACK;
}

int oa_update_check_attempt(const char *marker_path, const char *exe, const char *prev, time_t now,
                            char *msg, size_t len)
{
    struct oa_update_marker m = {0};
    char why[512], why_now[96];
    int r = oa_update_marker_read(marker_path, &m, why, sizeof(why));

    msg[0] = '\0';
    if (r == -ENOENT)
        return OA_UPDATE_NONE;
    if (r < 0) {
        snprintf(msg, len, "%s; removing it", why);
        (void)unlink(marker_path);
        return r;
    }
    oa_update_marker_start(&m, now);
    m.attempts++;
    if (m.attempts > OA_UPDATE_MAX_ATTEMPTS || now >= m.deadline) {
        if (m.attempts > OA_UPDATE_MAX_ATTEMPTS)
            snprintf(why_now, sizeof(why_now), "start %llu of at most %d",
                     (unsigned long long)m.attempts, OA_UPDATE_MAX_ATTEMPTS);
        else
            snprintf(why_now, sizeof(why_now), "its deadline passed %lld s ago",
                     (long long)(now - m.deadline));
        r = restore(&m, marker_path, exe, prev, why_now, msg, len);
    } else if ((r = oa_update_marker_write(marker_path, &m, why, sizeof(why))) < 0) {
        snprintf(msg, len, "cannot count a start of the update to %s: %s", m.version, why);
    } else {
        snprintf(msg, len, "update to %s: start %llu of at most %d, %lld s left to reach READY",
                 m.version, (unsigned long long)m.attempts, OA_UPDATE_MAX_ATTEMPTS,
                 (long long)(m.deadline - now));
        r = OA_UPDATE_COUNTED;
    }
    oa_update_marker_done(&m);
    return r;
}
