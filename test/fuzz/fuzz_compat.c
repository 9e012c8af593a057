/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for builtins/modrepo_compat.c: oa_modrepo_compat_check, the
 * compat.txt of a module repository (lines such as ">= 1.2"), and
 * oa_modrepo_version_cmp under it. The input up to its first NUL is the
 * file, as exec-prepare passes it (it refuses a file holding a NUL); the
 * bytes after that NUL, if any, are the agent's version, else this build's.
 * A check must return 0, OA_ESYNTAX or OA_ESCHEMA, the last two with a
 * reason; the comparison must be a total order on what it sees: every
 * version equal to itself, and a < b exactly when b > a.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "log.h"
#include "modrepo.h"

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void check_order(const char *a, const char *b)
{
    if (oa_modrepo_version_cmp(a, a) != 0 || oa_modrepo_version_cmp(b, b) != 0)
        __builtin_trap();
    if (sign(oa_modrepo_version_cmp(a, b)) != -sign(oa_modrepo_version_cmp(b, a)))
        __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size), why[1024] = "";
    size_t n;
    char *version;
    const char *agent;
    int r;

    if (!text)
        __builtin_trap();
    n = strlen(text);
    version = n < size ? strndup((const char *)data + n + 1, size - n - 1) : NULL;
    if (n < size && !version)
        __builtin_trap();
    agent = version ? version : OA_VERSION;
    r = oa_modrepo_compat_check(text, agent, why, sizeof(why));
    if (r != 0 && r != OA_ESYNTAX && r != OA_ESCHEMA)
        __builtin_trap();
    if (r != 0 && !why[0])
        __builtin_trap();
    /* The same check without a reason buffer. */
    if (oa_modrepo_compat_check(text, agent, NULL, 0) != r)
        __builtin_trap();
    check_order(agent, text);
    free(version);
    free(text);
    return 0;
}
