/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of linux.group and linux.user (modules.md §7.1, §7.2),
 * defined in linux_account_util.c and used by linux_account.c and the unit
 * tests: account names, the `$username` substitution in `home` (§1.9),
 * password hashes (§D) and the argv of useradd/usermod. Nothing here touches
 * the system except oa_account_hash, which reads random bytes for the salt.
 */
#ifndef OA_LINUX_ACCOUNT_H
#define OA_LINUX_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s may be given to groupadd/useradd as a user or group name: not
 * empty, no leading '-', no ':', ',', '/', blank or control character. The
 * tools enforce their own rules on top of these. */
bool oa_account_name_ok(const char *s);

/* Whether s may go into a passwd field (GECOS, home): no ':' and no control
 * character (a newline would start another entry). */
bool oa_account_field_ok(const char *s);

/* `home` with `$username` and `${username}` replaced by username (only
 * those: §1.9) and trailing slashes removed. Returns 0, -ENAMETOOLONG when
 * it does not fit in buf, or -EINVAL when the result is not absolute. */
int oa_account_home(const char *home, const char *username, char *buf, size_t len);

/* Whether s is in crypt(3) format ("$id$salt$hash", "$id$param$salt$hash"),
 * which is set as it is; anything else is a plain-text password. */
bool oa_account_is_crypt(const char *s);

/* Whether crypt(plain, hash) == hash: plain is the password of hash. A
 * locked or empty hash ("!", "*", "") never matches. */
bool oa_account_matches(const char *plain, const char *hash);

/* Hashes plain with SHA-512 crypt and a new random 16-character salt into
 * buf ("$6$salt$hash"). Returns 0, -ENOSPC when buf is too small, or a
 * negative errno from getrandom or crypt. */
int oa_account_hash(const char *plain, char *buf, size_t len);

/* What useradd/usermod are told; NULL or false leaves an option out. */
struct oa_account_user {
    const char *name;
    const char *uid;
    const char *gid;    /* a group name or number */
    const char *groups; /* comma-separated supplementary groups ("" = none) */
    const char *home;
    const char *shell;
    const char *fullname;
    const char *password; /* a crypt hash, never plain text */
    bool system;          /* useradd -r */
};

/* Fills argv (at most max entries, the last one NULL) with
 * `useradd -m [-u] [-g] [-G] [-d] [-s] [-c] [-r] [-p] -- NAME`. Returns the
 * number of arguments, or -ENOSPC. */
int oa_account_useradd_argv(const struct oa_account_user *u, const char **argv, size_t max);

/* `usermod [-u] [-g] [-G] [-d] [-s] [-c] [-p] -- NAME` (home without -m: the
 * files are not moved). Same returns. */
int oa_account_usermod_argv(const struct oa_account_user *u, const char **argv, size_t max);

/* The argv as it may be shown to a person: the value after -p is "***".
 * Returns buf. */
const char *oa_account_argv_text(const char *const *argv, char *buf, size_t len);

#endif
