/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common.hg (modules.md §9.2): the pure parts of the module, exported for
 * the unit tests. The module itself is oa_mod_common_hg (modules.h).
 */
#ifndef OA_COMMON_HG_H
#define OA_COMMON_HG_H

#include <stdbool.h>
#include <stddef.h>

/* The hg calls the module makes. */
enum oa_hg_call {
    OA_HG_CLONE,    /* clone --noupdate -- REPO PATH (the update follows) */
    OA_HG_PULL,     /* pull -- REPO, in the repository */
    OA_HG_INCOMING, /* what a pull would bring, one node a line (dry run) */
    OA_HG_UPDATE,   /* update --rev REV; a conflict fails, never opens a merge tool */
    OA_HG_ID,       /* identify --id: the working directory's id, '+' when modified */
    OA_HG_ID_REV,   /* identify --id --rev REV: the id REV names here */
};

#define OA_HG_ARGV_MAX 12

/* The argv of call into argv (NULL-terminated; strings borrowed). Every
 * call is --noninteractive, so hg never waits for an answer. Returns argv. */
char **oa_common_hg_argv(enum oa_hg_call call, const char *repo, const char *path, const char *rev,
                         char *argv[OA_HG_ARGV_MAX]);

/* Whether two `hg identify --id` answers name the same revision (a '+' for
 * local changes is not part of it). */
bool oa_common_hg_same_id(const char *a, const char *b);

/* The number of non-empty lines of out (NULL: 0): the changesets `hg
 * incoming` listed. */
size_t oa_common_hg_count_lines(const char *out);

/* Whether the output of `hg pull` reports an error ("error:" anywhere, as
 * the original checked: a pull can print one and still exit 0). */
bool oa_common_hg_pull_failed(const char *out);

#endif
