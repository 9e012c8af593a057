/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure helpers of linux.group and linux.user (linux_account.h): name
 * and field checks, the `$username` substitution of §1.9, crypt(3) formats,
 * SHA-512 hashing with a random salt and comparing against a hash, and the
 * useradd/usermod argv with its display that hides the password. Split
 * from linux_account.c, which drives the tools.
 */
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "linux_account.h"
#include "mem.h"

bool oa_account_name_ok(const char *s)
{
    if (!s || !*s || *s == '-')
        return false;
    for (; *s; s++)
        if (*s == ':' || *s == ',' || *s == '/' || isspace((unsigned char)*s) ||
            iscntrl((unsigned char)*s))
            return false;
    return true;
}

bool oa_account_field_ok(const char *s)
{
    for (; *s; s++)
        if (*s == ':' || iscntrl((unsigned char)*s))
            return false;
    return true;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

int oa_account_home(const char *home, const char *username, char *buf, size_t len)
{
    size_t o = 0;

    if (len == 0)
        return -ENAMETOOLONG;
    for (const char *s = home; *s;) {
        const char *src = s;
        size_t n = 1, skip = 1;
        /* Python's Template (§1.9): "$username" ends at the first character
         * that cannot be part of an identifier. */
        if (strncmp(s, "${username}", 11) == 0)
            skip = 11;
        else if (strncmp(s, "$username", 9) == 0 && !ident_char(s[9]))
            skip = 9;
        if (skip > 1) {
            src = username;
            n = strlen(username);
        }
        if (o + n >= len)
            return -ENAMETOOLONG;
        memcpy(buf + o, src, n);
        o += n;
        s += skip;
    }
    while (o > 1 && buf[o - 1] == '/')
        o--;
    buf[o] = '\0';
    return buf[0] == '/' ? 0 : -EINVAL;
}

bool oa_account_is_crypt(const char *s)
{
    size_t idlen, dollars = 0;

    if (!s || s[0] != '$')
        return false;
    idlen = strspn(s + 1, "abcdefghijklmnopqrstuvwxyz0123456789");
    if (idlen == 0 || s[1 + idlen] != '$')
        return false;
    for (const char *c = s; *c; c++) {
        if (*c == '$')
            dollars++;
        else if (!isalnum((unsigned char)*c) && !strchr("./=,-", *c))
            return false;
    }
    return dollars >= 3 && s[strlen(s) - 1] != '$';
}

bool oa_account_matches(const char *plain, const char *hash)
{
    struct crypt_data *cd;
    const char *r;
    bool ok;

    if (!hash || !*hash || hash[0] == '!' || hash[0] == '*')
        return false;
    if (!(cd = oa_calloc(1, sizeof(*cd))))
        return false;
    r = crypt_r(plain, hash, cd);
    ok = r && r[0] != '*' && strcmp(r, hash) == 0;
    explicit_bzero(cd, sizeof(*cd));
    oa_free(cd);
    return ok;
}

int oa_account_hash(const char *plain, char *buf, size_t len)
{
    static const char chars[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    char salt[3 + 16 + 1] = "$6$";
    unsigned char rnd[16];
    struct crypt_data *cd;
    const char *h;
    ssize_t n;
    int r = 0;

    do
        n = getrandom(rnd, sizeof(rnd), 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(rnd))
        return n < 0 ? -errno : -EIO;
    for (size_t i = 0; i < sizeof(rnd); i++)
        salt[3 + i] = chars[rnd[i] & 63];
    salt[sizeof(salt) - 1] = '\0';
    if (!(cd = oa_calloc(1, sizeof(*cd))))
        return -ENOMEM;
    errno = 0;
    h = crypt_r(plain, salt, cd);
    if (!h || h[0] == '*')
        r = errno ? -errno : -EINVAL;
    else if (strlen(h) >= len)
        r = -ENOSPC;
    else
        memcpy(buf, h, strlen(h) + 1);
    explicit_bzero(cd, sizeof(*cd));
    oa_free(cd);
    return r;
}

static int add_arg(const char **argv, size_t max, size_t *n, const char *opt, const char *val)
{
    if (!val)
        return 0;
    if (*n + (opt ? 2 : 1) >= max)
        return -ENOSPC;
    if (opt)
        argv[(*n)++] = opt;
    argv[(*n)++] = val;
    return 0;
}

static int account_argv(const char *tool, const struct oa_account_user *u, bool create,
                        const char **argv, size_t max)
{
    size_t n = 0;
    int r = add_arg(argv, max, &n, NULL, tool);

    if (r == 0 && create)
        r = add_arg(argv, max, &n, NULL, "-m");
    if (r == 0)
        r = add_arg(argv, max, &n, "-u", u->uid);
    if (r == 0)
        r = add_arg(argv, max, &n, "-g", u->gid);
    if (r == 0)
        r = add_arg(argv, max, &n, "-G", u->groups);
    if (r == 0)
        r = add_arg(argv, max, &n, "-d", u->home);
    if (r == 0)
        r = add_arg(argv, max, &n, "-s", u->shell);
    if (r == 0)
        r = add_arg(argv, max, &n, "-c", u->fullname);
    if (r == 0 && create && u->system)
        r = add_arg(argv, max, &n, NULL, "-r");
    if (r == 0)
        r = add_arg(argv, max, &n, "-p", u->password);
    /* "--": a name can never be taken for an option. */
    if (r == 0)
        r = add_arg(argv, max, &n, "--", u->name);
    if (r < 0)
        return r;
    argv[n] = NULL;
    return (int)n;
}

int oa_account_useradd_argv(const struct oa_account_user *u, const char **argv, size_t max)
{
    return account_argv("useradd", u, true, argv, max);
}

int oa_account_usermod_argv(const struct oa_account_user *u, const char **argv, size_t max)
{
    return account_argv("usermod", u, false, argv, max);
}

const char *oa_account_argv_text(const char *const *argv, char *buf, size_t len)
{
    size_t o = 0;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; argv[i] && o < len; i++) {
        const char *a = i > 0 && strcmp(argv[i - 1], "-p") == 0 ? "***" : argv[i];
        bool quote = !*a || strpbrk(a, " \t'\"$\\") != NULL;
        int n = snprintf(buf + o, len - o, "%s%s%s%s", i ? " " : "", quote ? "'" : "", a,
                         quote ? "'" : "");
        if (n < 0)
            break;
        o += (size_t)n;
    }
    return buf;
}
