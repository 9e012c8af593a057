/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What common.git, common.hg and common.svn (modules.md §9.1-9.3) share:
 * the `path` and `repo` parameters checked the same way, a password in the
 * URL kept out of comments and output, the tool run as `user` (§1.10) with
 * a clean environment, installed from the distribution when it is missing
 * (§1.6), and each call's failure reduced to the line that says why. They
 * differ only in what they ask their tool. Runs in the exec-state child.
 */
#ifndef OA_COMMON_VCS_H
#define OA_COMMON_VCS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "builtins.h"
#include "runas.h"

/* What is at a module's `path`. */
enum oa_vcs_where {
    OA_VCS_MISSING,
    OA_VCS_EMPTY, /* an empty directory */
    OA_VCS_REPO,  /* a directory holding the tool's marker (.git, .hg, .svn) */
    OA_VCS_OTHER, /* a non-empty directory that is not a repository */
    OA_VCS_FILE,  /* not a directory */
};

/* One run of a source module. */
struct oa_vcs {
    const struct oa_run_ctx *ctx;
    const char *tool; /* "git", "hg", "svn" */
    const char *repo;
    char path[PATH_MAX]; /* without a trailing '/' */
    char shown[1024];    /* repo as comments show it */
    char secret[256];    /* repo's password (or the module's own), masked in the output */
    char exe[PATH_MAX];
    struct oa_runas ra;
    char **env;
    bool installed; /* the tool was installed by this run (or would be, in a dry run) */
    int status;     /* the wait status of the last call that ran */
    char why[1024]; /* why the last call failed */
};

/* Reads `path` (absolute, trailing '/' dropped), `repo` (not taken for an
 * option) and `user` (must exist) into v. Returns true, or false with the
 * comment in out ("parameter 'path': 'x' is not an absolute path", "user x
 * does not exist"). Free with oa_vcs_done even on false. */
bool oa_vcs_setup(struct oa_vcs *v, const struct oa_run_ctx *ctx, const char *tool,
                  const struct oa_params *p, struct oa_outcome *out);

/* The tool's environment: the user's clean one plus extra. Returns 0, or
 * -ENOMEM with the comment in out. */
int oa_vcs_make_env(struct oa_vcs *v, const struct oa_kv *extra, size_t n_extra,
                    struct oa_outcome *out);

/* What is at path; marker is the repository's own subdirectory (".hg").
 * Returns 0 or a negative errno. */
int oa_vcs_inspect(const char *path, const char *marker, enum oa_vcs_where *ret);

/* Makes sure the tool exists, installing deb_pkg or rpm_pkg when it does
 * not (§1.6; v->installed tells). In a dry run it may stay missing: *usable
 * is false then. Returns 0, or a negative code with the comment in out. */
int oa_vcs_ensure_tool(struct oa_vcs *v, const char *deb_pkg, const char *rpm_pkg, bool *usable,
                       struct oa_outcome *out);

/* Runs argv (argv[0] is the tool's name; v->exe is run) in cwd (NULL: "/"),
 * as the user, with input on stdin (NULL: none). Its stderr, and its stdout
 * unless captured, reach the state's output with the secret masked. Returns
 * 0 when it exited 0, 1 when it failed, or a negative errno when it could
 * not start; v->why says why for both ("hg pull exited with status 255:
 * abort: …", what naming the call). */
int oa_vcs_call(struct oa_vcs *v, const char *cwd, struct oa_buf *capture, const char *input,
                char *const argv[], const char *what);

/* Runs a query in cwd with its stdout captured; the first line (trimmed)
 * goes to buf. Returns whether it succeeded with a non-empty answer ("" in
 * buf otherwise). A query failing is an answer, not an error: v->why is
 * kept. */
bool oa_vcs_query(struct oa_vcs *v, const char *cwd, const char *input, char *const argv[],
                  char *buf, size_t len);

/* Whether rev can be given to the tool as a revision without being taken
 * for an option: not empty, no leading '-', no blank or control character. */
bool oa_vcs_revision_ok(const char *rev);

/* "would install git, then " when the tool would be installed, else "". */
const char *oa_vcs_would_install(const struct oa_vcs *v, char *buf, size_t len);

/* Frees what v holds; accepts a zeroed v. */
void oa_vcs_done(struct oa_vcs *v);

#endif
