/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mount-table text for the storage modules: mountinfo lines, fstab lines and
 * their edit, mount option comparison. Pure functions over strings; the
 * files themselves are read and written by linux_storage.c.
 */
#include "mnttab.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "mem.h"
#include "parse.h"

static bool is_octal(char c)
{
    return c >= '0' && c <= '7';
}

void oa_mnttab_unescape(char *s)
{
    char *w = s;

    for (const char *r = s; *r;) {
        if (r[0] == '\\' && is_octal(r[1]) && is_octal(r[2]) && is_octal(r[3]) && r[1] <= '3') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

/* The next field separated by exactly one space (mountinfo never has
 * runs of blanks: they are escaped), or NULL at the end. */
static char *next_field(char **cursor)
{
    char *f = *cursor, *sp;

    if (!f)
        return NULL;
    sp = strchr(f, ' ');
    if (sp) {
        *sp = '\0';
        *cursor = sp + 1;
    } else {
        *cursor = NULL;
    }
    return f;
}

static int parse_devno(char *s, unsigned *major, unsigned *minor)
{
    char *colon = strchr(s, ':');
    uint64_t ma, mi;

    if (!colon)
        return -EINVAL;
    *colon = '\0';
    if (oa_parse_u64(s, UINT32_MAX, &ma) < 0 || oa_parse_u64(colon + 1, UINT32_MAX, &mi) < 0)
        return -EINVAL;
    *major = (unsigned)ma;
    *minor = (unsigned)mi;
    return 0;
}

int oa_mnttab_parse_mountinfo(char *line, struct oa_mountinfo *ret)
{
    char *cursor = line, *f[6], *sep;

    for (size_t i = 0; i < 6; i++)
        if (!(f[i] = next_field(&cursor)))
            return -EINVAL;
    /* Optional fields ("shared:1 master:2") end with a lone "-". */
    while ((sep = next_field(&cursor)) && strcmp(sep, "-") != 0)
        ;
    if (!sep || parse_devno(f[2], &ret->major, &ret->minor) < 0)
        return -EINVAL;
    ret->root = f[3];
    ret->target = f[4];
    ret->opts = f[5];
    if (!(ret->fstype = next_field(&cursor)) || !(ret->source = next_field(&cursor)) ||
        !(ret->super_opts = next_field(&cursor)))
        return -EINVAL;
    oa_mnttab_unescape(ret->root);
    oa_mnttab_unescape(ret->target);
    oa_mnttab_unescape(ret->source);
    return 0;
}

bool oa_mnttab_next_mountinfo(char **cursor, struct oa_mountinfo *ret)
{
    while (**cursor) {
        char *line = *cursor, *nl = strchr(line, '\n');
        *cursor = nl ? nl + 1 : line + strlen(line);
        if (nl)
            *nl = '\0';
        if (oa_mnttab_parse_mountinfo(line, ret) == 0)
            return true;
    }
    return false;
}

size_t oa_mnttab_split_fstab(char *line, char *fields[OA_FSTAB_FIELDS])
{
    size_t n = 0;
    char *p = line;

    for (;;) {
        p += strspn(p, " \t\r");
        if (!*p || (n == 0 && *p == '#') || n == OA_FSTAB_FIELDS)
            break;
        fields[n++] = p;
        p += strcspn(p, " \t\r");
        if (*p)
            *p++ = '\0';
    }
    for (size_t i = 0; i < n; i++)
        oa_mnttab_unescape(fields[i]);
    return n;
}

/* The length of a path without its trailing slashes ("/" stays "/"). */
static size_t path_len(const char *p)
{
    size_t n = strlen(p);

    while (n > 1 && p[n - 1] == '/')
        n--;
    return n;
}

static bool same_path(const char *a, const char *b)
{
    size_t n = path_len(a);
    return b && n == path_len(b) && memcmp(a, b, n) == 0;
}

static bool number_is(const char *s, uint64_t want)
{
    uint64_t v;
    return oa_parse_u64(s, UINT64_MAX, &v) == 0 && v == want;
}

bool oa_mnttab_fstab_matches(char *const fields[OA_FSTAB_FIELDS], size_t n,
                             const struct oa_fstab_entry *want)
{
    if (n < 4 || strcmp(fields[0], want->device) != 0 || !same_path(fields[1], want->path) ||
        strcmp(fields[2], want->fstype) != 0 || strcmp(fields[3], want->opts) != 0)
        return false;
    return number_is(n > 4 ? fields[4] : "0", want->dump) &&
           number_is(n > 5 ? fields[5] : "0", want->pass);
}

static int put_escaped(struct oa_buf *out, const char *s, size_t len, bool first)
{
    int r = 0;

    for (size_t i = 0; i < len && r == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\' ||
            (first && i == 0 && c == '#'))
            r = oa_buf_printf(out, "\\%03o", c);
        else
            r = oa_buf_append(out, s + i, 1);
    }
    return r;
}

int oa_mnttab_format_fstab(const struct oa_fstab_entry *want, struct oa_buf *out)
{
    int r;

    if ((r = put_escaped(out, want->device, strlen(want->device), true)) < 0 ||
        (r = oa_buf_puts(out, " ")) < 0 ||
        (r = put_escaped(out, want->path, path_len(want->path), false)) < 0 ||
        (r = oa_buf_puts(out, " ")) < 0 ||
        (r = put_escaped(out, want->fstype, strlen(want->fstype), false)) < 0 ||
        (r = oa_buf_puts(out, " ")) < 0 ||
        (r = put_escaped(out, want->opts, strlen(want->opts), false)) < 0)
        return r;
    return oa_buf_printf(out, " %llu %llu\n", (unsigned long long)want->dump,
                         (unsigned long long)want->pass);
}

/* Whether the line (len bytes, no newline) is an entry for the mount point;
 * *matches tells whether it already says what want says. */
static int line_is_for(const char *line, size_t len, const struct oa_fstab_entry *want,
                       const char *alt_path, bool *ret_for, bool *ret_matches)
{
    char *copy = oa_strndup(line, len), *fields[OA_FSTAB_FIELDS];
    size_t n;

    if (!copy)
        return -ENOMEM;
    n = oa_mnttab_split_fstab(copy, fields);
    *ret_for = n >= 2 && (same_path(fields[1], want->path) || same_path(fields[1], alt_path));
    *ret_matches = *ret_for && oa_mnttab_fstab_matches(fields, n, want);
    oa_free(copy);
    return 0;
}

/* Handles one line of the old text: keeps, rewrites or drops it. */
static int edit_line(const char *line, size_t len, bool newline, const struct oa_fstab_entry *want,
                     const char *alt_path, struct oa_buf *out, struct oa_fstab_edit *ed, bool *seen)
{
    bool is_for, matches;
    int r = line_is_for(line, len, want, alt_path, &is_for, &matches);

    if (r < 0)
        return r;
    if (is_for && *seen) {
        ed->removed++;
        return 0;
    }
    if (is_for && !matches) {
        *seen = true;
        ed->change = OA_FSTAB_REPLACED;
        snprintf(ed->before, sizeof(ed->before), "%.*s", (int)(len < 511 ? len : 511), line);
        return oa_mnttab_format_fstab(want, out);
    }
    *seen = *seen || is_for;
    if ((r = oa_buf_append(out, line, len)) < 0)
        return r;
    return newline ? oa_buf_append(out, "\n", 1) : 0;
}

int oa_mnttab_fstab_edit(const char *text, size_t len, const struct oa_fstab_entry *want,
                         const char *alt_path, struct oa_buf *out, struct oa_fstab_edit *ret)
{
    struct oa_fstab_edit ed = {OA_FSTAB_UNCHANGED, 0, ""};
    bool seen = false;
    size_t pos = 0;
    int r = 0;

    while (pos < len && r == 0) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        r = edit_line(text + pos, line_len, nl != NULL, want, alt_path, out, &ed, &seen);
        pos += line_len + (nl ? 1 : 0);
    }
    if (r == 0 && !seen) {
        ed.change = OA_FSTAB_ADDED;
        if (out->len > 0 && out->data[out->len - 1] != '\n')
            r = oa_buf_append(out, "\n", 1);
        if (r == 0)
            r = oa_mnttab_format_fstab(want, out);
    }
    if (r == 0)
        *ret = ed;
    return r;
}

static bool list_has(const char *list, const char *tok, size_t n)
{
    const char *p = list ? list : "";

    while (*p) {
        size_t l = strcspn(p, ",");
        if (l == n && memcmp(p, tok, n) == 0)
            return true;
        p += l;
        if (*p == ',')
            p++;
    }
    return false;
}

static bool word_is(const char *tok, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(tok, word, n) == 0;
}

/* Options handled by mount(8) itself or kept for fstab readers: they
 * never show in mountinfo. */
static bool invisible(const char *tok, size_t n)
{
    static const char *const words[] = {"defaults", "auto",  "noauto", "user",    "users",
                                        "nouser",   "owner", "group",  "nofail",  "_netdev",
                                        "bind",     "rbind", "loop",   "remount", "nostrictatime"};
    static const char *const prefixes[] = {
        "x-", "X-", "comment=", "loop=", "offset=", "sizelimit=", "encryption=", "helper="};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (word_is(tok, n, words[i]))
            return true;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (n >= strlen(prefixes[i]) && memcmp(tok, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static bool in_effect(const char *tok, size_t n, const char *mnt, const char *super)
{
    /* The default of each pair shows as the absence of the other. */
    static const char *const opposite[][2] = {
        {"suid", "nosuid"},           {"dev", "nodev"},           {"exec", "noexec"},
        {"atime", "noatime"},         {"diratime", "nodiratime"}, {"async", "sync"},
        {"nomand", "mand"},           {"norelatime", "relatime"}, {"nolazytime", "lazytime"},
        {"symfollow", "nosymfollow"}, {"nodirsync", "dirsync"},
    };

    if (n == 0 || invisible(tok, n))
        return true;
    /* ro/rw of a bind mount differ from its superblock's: per mount only. */
    if (word_is(tok, n, "ro") || word_is(tok, n, "rw"))
        return list_has(mnt, tok, n);
    if (word_is(tok, n, "strictatime"))
        return !list_has(mnt, "noatime", 7) && !list_has(mnt, "relatime", 8);
    for (size_t i = 0; i < sizeof(opposite) / sizeof(opposite[0]); i++) {
        if (word_is(tok, n, opposite[i][0])) {
            const char *no = opposite[i][1];
            return !list_has(mnt, no, strlen(no)) && !list_has(super, no, strlen(no));
        }
    }
    return list_has(mnt, tok, n) || list_has(super, tok, n);
}

size_t oa_mnttab_opts_missing(const char *wanted, const char *mnt_opts, const char *super_opts,
                              char *buf, size_t len)
{
    size_t count = 0, used = 0;
    const char *p = wanted;

    if (len)
        buf[0] = '\0';
    while (*p) {
        size_t n = strcspn(p, ",");
        if (!in_effect(p, n, mnt_opts, super_opts)) {
            int w = snprintf(buf + used, len > used ? len - used : 0, "%s%.*s", count ? "," : "",
                             (int)n, p);
            if (w > 0)
                used = used + (size_t)w < len ? used + (size_t)w : (len ? len - 1 : 0);
            count++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return count;
}
