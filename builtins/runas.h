/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a tool as another user (modules.md §1.10): the user must exist; the
 * tool gets that user's uid, primary gid (or the given group) and
 * supplementary groups, and a clean environment: PATH, LANG, and
 * HOME/USER/LOGNAME/SHELL from passwd, plus the state's own variables.
 * The user's login environment (`su -`) is deliberately not loaded.
 */
#ifndef OA_RUNAS_H
#define OA_RUNAS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "params.h"

#define OA_RUNAS_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct oa_runas {
    bool switch_ids; /* false: run with the agent's own ids */
    uid_t uid;
    gid_t gid;
    char *user;
    char *home;
    char *shell;
};

/* Looks up user (NULL: the current user) and group (NULL: the user's primary
 * group). Returns 0, or OA_ESCHEMA with "user X does not exist" / "group X
 * does not exist" in reterr, or -ENOMEM. */
int oa_runas_lookup(const char *user, const char *group, struct oa_runas *ret, char *reterr,
                    size_t errlen);
void oa_runas_done(struct oa_runas *ra);

/* Builds the NULL-terminated environment for the tool; entries of extra
 * with an empty key or value are dropped, others override the defaults.
 * Returns NULL when out of memory; free with oa_runas_env_free. */
char **oa_runas_env(const struct oa_runas *ra, const struct oa_kv *extra, size_t n_extra);
void oa_runas_env_free(char **env);
/* A newly allocated "NAME=value" string, or NULL when out of memory. */
char *oa_runas_env_entry(const char *name, const char *value);

/* Switches the calling process (a freshly forked child) to ra's ids.
 * Returns 0 or a negative errno. */
int oa_runas_apply(const struct oa_runas *ra);

#endif
