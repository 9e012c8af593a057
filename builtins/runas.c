/* SPDX-License-Identifier: Apache-2.0 */
/* User and group lookup, the clean environment, and the switch of ids. */
#include "runas.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "mem.h"
#include "parse.h"

static struct passwd *find_user(const char *name)
{
    struct passwd *pw = getpwnam(name);
    uint64_t id;

    if (!pw && oa_parse_u64(name, (uid_t)-2, &id) == 0)
        pw = getpwuid((uid_t)id);
    return pw;
}

static struct group *find_group(const char *name)
{
    struct group *gr = getgrnam(name);
    uint64_t id;

    if (!gr && oa_parse_u64(name, (gid_t)-2, &id) == 0)
        gr = getgrgid((gid_t)id);
    return gr;
}

int oa_runas_lookup(const char *user, const char *group, struct oa_runas *ret, char *reterr,
                    size_t errlen)
{
    struct oa_runas ra = {0};
    struct passwd *pw;

    pw = user ? find_user(user) : getpwuid(geteuid());
    if (!pw) {
        if (user) {
            snprintf(reterr, errlen, "user %s does not exist", user);
            return OA_ESCHEMA;
        }
        /* The agent's own uid has no passwd entry (a container): still run. */
        ra.uid = geteuid();
        ra.gid = getegid();
    } else {
        ra.uid = pw->pw_uid;
        ra.gid = pw->pw_gid;
    }
    if (group) {
        struct group *gr = find_group(group);
        if (!gr) {
            snprintf(reterr, errlen, "group %s does not exist", group);
            return OA_ESCHEMA;
        }
        ra.gid = gr->gr_gid;
    }
    ra.switch_ids = user != NULL || group != NULL;
    ra.user = oa_strdup(pw ? pw->pw_name : "root");
    ra.home = oa_strdup(pw && pw->pw_dir[0] ? pw->pw_dir : "/");
    ra.shell = oa_strdup(pw && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
    if (!ra.user || !ra.home || !ra.shell) {
        oa_runas_done(&ra);
        snprintf(reterr, errlen, "out of memory");
        return -ENOMEM;
    }
    *ret = ra;
    return 0;
}

void oa_runas_done(struct oa_runas *ra)
{
    oa_free(ra->user);
    oa_free(ra->home);
    oa_free(ra->shell);
    memset(ra, 0, sizeof(*ra));
}

void oa_runas_env_free(char **env)
{
    for (char **e = env; e && *e; e++)
        oa_free(*e);
    oa_free(env);
}

char *oa_runas_env_entry(const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value);
    char *entry = oa_malloc(nlen + vlen + 2);

    if (!entry)
        return NULL;
    snprintf(entry, nlen + vlen + 2, "%s=%s", name, value);
    return entry;
}

/* Sets NAME=value in env (n used slots), replacing an earlier NAME. */
static int env_set(char **env, size_t *n, const char *name, const char *value)
{
    size_t nlen = strlen(name);
    char *entry = oa_runas_env_entry(name, value);

    if (!entry)
        return -ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        if (strncmp(env[i], name, nlen) == 0 && env[i][nlen] == '=') {
            oa_free(env[i]);
            env[i] = entry;
            return 0;
        }
    }
    env[(*n)++] = entry;
    return 0;
}

char **oa_runas_env(const struct oa_runas *ra, const struct oa_kv *extra, size_t n_extra)
{
    char **env = oa_calloc(6 + n_extra + 1, sizeof(*env));
    size_t n = 0;
    int r = 0;

    if (!env)
        return NULL;
    r |= env_set(env, &n, "PATH", OA_RUNAS_PATH);
    r |= env_set(env, &n, "LANG", "C.UTF-8");
    r |= env_set(env, &n, "HOME", ra->home);
    r |= env_set(env, &n, "USER", ra->user);
    r |= env_set(env, &n, "LOGNAME", ra->user);
    r |= env_set(env, &n, "SHELL", ra->shell);
    for (size_t i = 0; i < n_extra && r == 0; i++) {
        /* The original dropped entries with an empty key or value; a key
         * with '=' would smuggle in a different variable. */
        if (!extra[i].key[0] || !extra[i].value[0] || strchr(extra[i].key, '='))
            continue;
        r = env_set(env, &n, extra[i].key, extra[i].value);
    }
    if (r != 0) {
        oa_runas_env_free(env);
        return NULL;
    }
    return env;
}

int oa_runas_apply(const struct oa_runas *ra)
{
    if (!ra->switch_ids)
        return 0;
    if (initgroups(ra->user, ra->gid) < 0 && setgroups(1, &ra->gid) < 0)
        return -errno;
    if (setgid(ra->gid) < 0 || setuid(ra->uid) < 0)
        return -errno;
    return 0;
}
