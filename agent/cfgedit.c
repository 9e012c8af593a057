/* SPDX-License-Identifier: Apache-2.0 */
/* Line-preserving edits of the INI config, written atomically. */
#include "cfgedit.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "mem.h"

#define CONFIG_MAX (1u << 20)

struct line {
    const char *p;
    size_t len; /* without the newline */
};

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* "[name]" → name; NULL when the line is not a section header. */
static bool section_of(const struct line *l, const char **ret, size_t *ret_len)
{
    const char *end = l->p + l->len, *p = skip_blanks(l->p, end), *close;

    if (p == end || *p != '[' || !(close = memchr(p, ']', (size_t)(end - p))))
        return false;
    *ret = p + 1;
    *ret_len = (size_t)(close - p - 1);
    return true;
}

static bool is_key(const struct line *l, const char *key)
{
    const char *end = l->p + l->len, *p = skip_blanks(l->p, end);
    size_t klen = strlen(key);

    if ((size_t)(end - p) < klen || memcmp(p, key, klen) != 0)
        return false;
    p = skip_blanks(p + klen, end);
    return p < end && (*p == '=' || *p == ':');
}

/* Whether the line "key = value" reads back as value through cfg.c's reader
 * and inih: one line, short enough for inih's line buffer with its newline,
 * no blanks at either end (inih strips them), and no ';' at its start or
 * after a blank (inih's inline comment). Otherwise the next start would
 * fail on a line too long, or read another value (a new app id, hence a
 * new token, at every start). */
static bool reads_back(const struct oa_cfgedit *e)
{
    const char *v = e->value;
    size_t n = strlen(v);

    if (strlen(e->key) + strlen(" = ") + n + 1 >= INI_MAX_LINE)
        return false;
    if (n > 0 && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\n' || v[i] == '\r')
            return false;
        if (INI_ALLOW_INLINE_COMMENTS && strchr(INI_INLINE_COMMENT_PREFIXES, v[i]) &&
            (i == 0 || isspace((unsigned char)v[i - 1])))
            return false;
    }
    return true;
}

/* The first edit whose value would not read back, or n. */
static size_t first_unwritable(const struct oa_cfgedit *edits, size_t n)
{
    size_t k = 0;

    while (k < n && reads_back(&edits[k]))
        k++;
    return k;
}

static int emit(struct oa_buf *out, const char *p, size_t len)
{
    int r = oa_buf_append(out, p, len);
    return r == 0 ? oa_buf_append(out, "\n", 1) : r;
}

static int emit_kv(struct oa_buf *out, const struct oa_cfgedit *e)
{
    return oa_buf_printf(out, "%s = %s\n", e->key, e->value);
}

/* Splits text into lines (the last one may lack its newline). */
static struct line *split(const char *text, size_t len, size_t *ret_n)
{
    size_t n = 0, cap = 64;
    struct line *lines = oa_malloc(cap * sizeof(*lines));

    if (!lines)
        return NULL;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n == cap) {
            struct line *bigger = oa_realloc(lines, (cap *= 2) * sizeof(*lines));
            if (!bigger) {
                oa_free(lines);
                return NULL;
            }
            lines = bigger;
        }
        lines[n++] = (struct line){p, l};
        p += l + 1;
    }
    *ret_n = n;
    return lines;
}

/* Where edit e goes: the index of the last matching key line (*ret_line),
 * else the index after the last line of its section (*ret_end), else
 * nothing (-1 both). */
static void locate(const struct line *lines, size_t n, const struct oa_cfgedit *e, long *ret_line,
                   long *ret_end)
{
    bool in = false;
    const char *name;
    size_t name_len;

    *ret_line = *ret_end = -1;
    for (size_t i = 0; i < n; i++) {
        if (section_of(&lines[i], &name, &name_len)) {
            in = name_len == strlen(e->section) && memcmp(name, e->section, name_len) == 0;
            if (in)
                *ret_end = (long)i + 1;
            continue;
        }
        if (!in)
            continue;
        if (lines[i].len &&
            skip_blanks(lines[i].p, lines[i].p + lines[i].len) < lines[i].p + lines[i].len)
            *ret_end = (long)i + 1;
        if (is_key(&lines[i], e->key))
            *ret_line = (long)i;
    }
}

int oa_cfgedit_apply(const char *text, size_t len, const struct oa_cfgedit *edits, size_t n,
                     struct oa_buf *out)
{
    long *at_line = NULL, *at_end = NULL;
    struct line *lines;
    size_t n_lines = 0;
    int r = 0;

    if (first_unwritable(edits, n) < n)
        return OA_ESCHEMA;
    lines = split(text, len, &n_lines);
    at_line = oa_calloc(n ? n : 1, sizeof(*at_line));
    at_end = oa_calloc(n ? n : 1, sizeof(*at_end));
    if (!lines || !at_line || !at_end) {
        r = -ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        locate(lines, n_lines, &edits[k], &at_line[k], &at_end[k]);
    for (size_t i = 0; i <= n_lines && r == 0; i++) {
        for (size_t k = 0; k < n && r == 0; k++)
            if (at_line[k] < 0 && at_end[k] == (long)i)
                r = emit_kv(out, &edits[k]);
        if (i == n_lines || r < 0)
            break;
        size_t k;
        for (k = 0; k < n && at_line[k] != (long)i; k++)
            ;
        r = k < n ? emit_kv(out, &edits[k]) : emit(out, lines[i].p, lines[i].len);
    }
    for (size_t k = 0; k < n && r == 0; k++)
        if (at_line[k] < 0 && at_end[k] < 0)
            r = oa_buf_printf(out, "\n[%s]\n%s = %s\n", edits[k].section, edits[k].key,
                              edits[k].value);
done:
    oa_free(lines);
    oa_free(at_line);
    oa_free(at_end);
    return r;
}

static int read_file(const char *path, struct oa_buf *b, struct stat *st)
{
    char chunk[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, st) < 0)
        r = -errno;
    while (r == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            r = oa_buf_append(b, chunk, (size_t)n);
    }
    close(fd);
    return r;
}

static int write_atomically(const char *path, const struct oa_buf *b, const struct stat *st)
{
    char tmp[4096];
    int fd, r = 0;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
        return -ENAMETOOLONG;
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
        return -errno;
    if (fchmod(fd, st->st_mode & 07777) < 0 || fchown(fd, st->st_uid, st->st_gid) < 0)
        r = -errno;
    for (size_t off = 0; r == 0 && off < b->len;) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            off += (size_t)n;
    }
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    close(fd);
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0)
        unlink(tmp);
    return r;
}

int oa_cfgedit_file(const char *path, const struct oa_cfgedit *edits, size_t n, char *reterr,
                    size_t errlen)
{
    struct oa_buf in, out;
    struct stat st;
    int r;

    oa_buf_init(&in, CONFIG_MAX);
    oa_buf_init(&out, CONFIG_MAX * 2);
    r = read_file(path, &in, &st);
    if (r == 0)
        r = oa_cfgedit_apply(in.data ? in.data : "", in.len, edits, n, &out);
    if (r == 0)
        r = write_atomically(path, &out, &st);
    if (r == OA_ESCHEMA) {
        /* The value is not quoted: a repository URL may hold credentials. */
        size_t k = first_unwritable(edits, n);
        snprintf(reterr, errlen,
                 "cannot update the config file %s: the new [%s] %s would not read back as "
                 "written (a line break, blanks at either end, a ';' after a blank, or a line "
                 "of %d bytes or more)",
                 path, edits[k].section, edits[k].key, INI_MAX_LINE);
    } else if (r < 0) {
        snprintf(reterr, errlen, "cannot update the config file %s: %s", path, oa_strerror(r));
    }
    oa_buf_done(&in);
    oa_buf_done(&out);
    return r;
}
