/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.svn (modules.md §9.3): the pure parts of the module, exported for
 * the unit tests. The module itself is oa_mod_common_svn (modules.h).
 */
#ifndef OA_COMMON_SVN_H
#define OA_COMMON_SVN_H

#include <stdbool.h>
#include <stddef.h>

/* The svn calls the module makes. */
enum oa_svn_call {
    OA_SVN_REVISION, /* info --show-item revision PATH: the working copy's revision */
    OA_SVN_URL,      /* info --show-item url PATH */
    OA_SVN_TARGET,   /* info --show-item revision -r REV PATH: where an update would go */
    OA_SVN_UPDATE,   /* update [-r REV] [--force] PATH */
    OA_SVN_SWITCH,   /* switch [-r REV] [--force] URL PATH: the working copy of another URL */
    OA_SVN_CHECKOUT, /* checkout [-r REV] [--force] URL PATH */
};

/* What every call carries. Strings are borrowed. */
struct oa_svn_args {
    const char *url;      /* as svn must read it (oa_common_svn_operand) */
    const char *path;     /* likewise */
    const char *rev;      /* NULL: HEAD */
    const char *username; /* or NULL */
    bool password;        /* the password comes on stdin (--password-from-stdin) */
    bool force;
};

#define OA_SVN_ARGV_MAX 20

/* The argv of call into argv (NULL-terminated). Every call is
 * --non-interactive (svn never prompts; an unknown certificate fails) and
 * --no-auth-cache (credentials are never stored under the user's home).
 * Returns argv. */
char **oa_common_svn_argv(enum oa_svn_call call, const struct oa_svn_args *a,
                          char *argv[OA_SVN_ARGV_MAX]);

/* The revision as svn takes it: module.json's misspelt "COMMITED" (any
 * case) becomes COMMITTED; other values are copied. Returns buf. */
const char *oa_common_svn_revision(const char *rev, char *buf, size_t len);

/* A path or URL as an operand: svn reads a final "@X" as a peg revision,
 * so one whose last component holds '@' gets a trailing '@'. Returns buf,
 * or NULL when it does not fit. */
const char *oa_common_svn_operand(const char *s, char *buf, size_t len);

/* Whether two URLs name the same place (a trailing '/' aside). */
bool oa_common_svn_same_url(const char *a, const char *b);

#endif
