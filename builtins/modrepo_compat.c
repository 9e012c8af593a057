/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of the module repository (modrepo.h): version comparison
 * and the compat.txt check. No I/O, so that they are tested table by table.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "modrepo.h"

/* How much of a malformed line a comment quotes. */
#define QUOTE_MAX 80
/* The longest VERSION of a constraint. */
#define VERSION_MAX 64

enum op { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

/* Two-character operators first, so that ">=" is not read as ">". */
static const struct {
    const char *text;
    enum op op;
} ops[] = {
    {">=", OP_GE}, {"<=", OP_LE}, {"==", OP_EQ}, {"!=", OP_NE}, {">", OP_GT}, {"<", OP_LT},
};

struct constraint {
    const char *op_text;
    enum op op;
    const char *version; /* not NUL-terminated: version_len bytes */
    size_t version_len;
};

/* Reads the next numeric component at *p into [*ret_s, *ret_s + *ret_n),
 * leading zeros dropped (so "0", "00" and a missing component are all
 * empty). Moves *p past it and past a '.' that starts another component;
 * returns false, leaving *p on the suffix, when no component is left. */
static bool next_number(const char **p, const char **ret_s, size_t *ret_n)
{
    const char *s = *p, *e;

    if (!isdigit((unsigned char)*s))
        return false;
    while (*s == '0')
        s++;
    for (e = s; isdigit((unsigned char)*e);)
        e++;
    *ret_s = s;
    *ret_n = (size_t)(e - s);
    *p = *e == '.' && isdigit((unsigned char)e[1]) ? e + 1 : e;
    return true;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

int oa_modrepo_version_cmp(const char *a, const char *b)
{
    for (;;) {
        const char *sa = "", *sb = "";
        size_t na = 0, nb = 0;
        bool more_a = next_number(&a, &sa, &na), more_b = next_number(&b, &sb, &nb);

        if (!more_a && !more_b)
            break;
        /* Without leading zeros a longer number is a larger one. */
        if (na != nb)
            return na < nb ? -1 : 1;
        int c = memcmp(sa, sb, na);
        if (c != 0)
            return sign(c);
    }
    return sign(strcmp(a, b));
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_version_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr(".+-_~", c));
}

/* Parses the line [s, s + n) (no newline). Returns 1 for a constraint, 0
 * for a blank or comment line, -1 for a malformed one. */
static int parse_line(const char *s, size_t n, struct constraint *ret)
{
    const char *end = s + n;
    size_t i;

    while (end > s && (is_blank(end[-1]) || end[-1] == '\r'))
        end--;
    while (s < end && is_blank(*s))
        s++;
    if (s == end || *s == '#')
        return 0;
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strncmp(s, ops[i].text, strlen(ops[i].text)) == 0)
            break;
    if (i == sizeof(ops) / sizeof(ops[0]))
        return -1;
    ret->op_text = ops[i].text;
    ret->op = ops[i].op;
    s += strlen(ops[i].text);
    while (s < end && is_blank(*s))
        s++;
    if (s == end || !isdigit((unsigned char)*s))
        return -1;
    ret->version = s;
    while (s < end && is_version_char(*s))
        s++;
    ret->version_len = (size_t)(s - ret->version);
    return s == end && ret->version_len <= VERSION_MAX ? 1 : -1;
}

static bool holds(enum op op, int cmp)
{
    switch (op) {
    case OP_GT:
        return cmp > 0;
    case OP_GE:
        return cmp >= 0;
    case OP_LT:
        return cmp < 0;
    case OP_LE:
        return cmp <= 0;
    case OP_EQ:
        return cmp == 0;
    case OP_NE:
        return cmp != 0;
    }
    return false;
}

/* The line as a comment quotes it: at most QUOTE_MAX bytes, control
 * characters shown as '?', "..." when it was cut. */
static void quote_line(const char *s, size_t n, char *buf, size_t len)
{
    size_t keep = n < QUOTE_MAX ? n : QUOTE_MAX, i;

    if (len < keep + 4)
        keep = len > 4 ? len - 4 : 0;
    for (i = 0; i < keep; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    memcpy(buf + i, keep < n ? "..." : "", keep < n ? 4 : 1);
}

static int check_line(const char *s, size_t n, unsigned line, const char *agent_version, char *why,
                      size_t len)
{
    struct constraint c;
    char quoted[QUOTE_MAX + 4], version[VERSION_MAX + 1];
    int r = parse_line(s, n, &c);

    if (r < 0) {
        quote_line(s, n, quoted, sizeof(quoted));
        if (why)
            snprintf(why, len,
                     "compat.txt line %u is malformed: '%s' (expected OP VERSION, OP one of "
                     "> >= < <= == !=)",
                     line, quoted);
        return OA_ESYNTAX;
    }
    if (r == 0)
        return 0;
    /* parse_line let through only short, printable versions. */
    memcpy(version, c.version, c.version_len);
    version[c.version_len] = '\0';
    if (holds(c.op, oa_modrepo_version_cmp(agent_version, version)))
        return 0;
    if (why)
        snprintf(why, len, "the module repository needs agent version %s %s (this agent is %.64s)",
                 c.op_text, version, agent_version);
    return OA_ESCHEMA;
}

int oa_modrepo_compat_check(const char *text, const char *agent_version, char *why, size_t len)
{
    unsigned line = 1;

    for (const char *s = text;; line++) {
        size_t n = strcspn(s, "\n");
        int r = check_line(s, n, line, agent_version, why, len);

        if (r < 0)
            return r;
        if (s[n] == '\0')
            return 0;
        s += n + 1;
    }
}
