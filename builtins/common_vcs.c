/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plumbing common.git, common.hg and common.svn share (common_vcs.h):
 * parameters, the user, the environment, the prerequisite tool and one
 * call of the tool with its failure explained. Nothing here logs; each
 * failure lands in the state's comment.
 */
#include "common_vcs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common_sources.h"
#include "fsutil.h"
#include "osinfo.h"
#include "prereq.h"
#include "tool.h"

bool oa_vcs_setup(struct oa_vcs *v, const struct oa_run_ctx *ctx, const char *tool,
                  const struct oa_params *p, struct oa_outcome *out)
{
    const char *path = oa_params_str(p, "path");
    size_t n = strlen(path);

    v->ctx = ctx;
    v->tool = tool;
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (!oa_fs_is_absolute(path) || n >= sizeof(v->path)) {
        oa_outcome_set(out, false, false, "parameter 'path': '%s' is not an absolute path", path);
        return false;
    }
    snprintf(v->path, sizeof(v->path), "%.*s", (int)n, path);
    v->repo = oa_params_str(p, "repo");
    oa_common_sources_mask_url(v->repo, v->shown, sizeof(v->shown));
    oa_common_sources_url_secret(v->repo, v->secret, sizeof(v->secret));
    if (v->repo[0] == '-') {
        oa_outcome_set(out, false, false, "parameter 'repo': '%s' is not a repository", v->shown);
        return false;
    }
    if (oa_runas_lookup(oa_params_str(p, "user"), NULL, &v->ra, out->comment,
                        sizeof(out->comment)) < 0) {
        out->result = false;
        out->changed = false;
        return false;
    }
    return true;
}

int oa_vcs_make_env(struct oa_vcs *v, const struct oa_kv *extra, size_t n_extra,
                    struct oa_outcome *out)
{
    v->env = oa_runas_env(&v->ra, extra, n_extra);
    if (!v->env) {
        oa_outcome_set(out, false, false, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

int oa_vcs_inspect(const char *path, const char *marker, enum oa_vcs_where *ret)
{
    char mark[PATH_MAX + 16];
    struct dirent *e;
    struct stat st;
    DIR *d;

    if (stat(path, &st) < 0) {
        *ret = OA_VCS_MISSING;
        return errno == ENOENT ? 0 : -errno;
    }
    *ret = OA_VCS_FILE;
    if (!S_ISDIR(st.st_mode))
        return 0;
    snprintf(mark, sizeof(mark), "%s/%s", path, marker);
    *ret = OA_VCS_REPO;
    if (oa_fs_exists(mark))
        return 0;
    if (!(d = opendir(path)))
        return -errno;
    *ret = OA_VCS_EMPTY;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            *ret = OA_VCS_OTHER;
    closedir(d);
    return 0;
}

int oa_vcs_ensure_tool(struct oa_vcs *v, const char *deb_pkg, const char *rpm_pkg, bool *usable,
                       struct oa_outcome *out)
{
    struct oa_osinfo os;
    int r;

    oa_osinfo_read(&os);
    if ((r = oa_prereq_ensure(v->ctx, &os, v->tool, deb_pkg, rpm_pkg, &v->installed, out)) < 0)
        return r;
    *usable = oa_tool_which(v->tool, v->exe, sizeof(v->exe)) != NULL;
    if (!*usable && !v->ctx->dry_run) {
        oa_outcome_set(out, false, false, "%s is not installed", v->tool);
        return -ENOENT;
    }
    return 0;
}

int oa_vcs_call(struct oa_vcs *v, const char *cwd, struct oa_buf *capture, const char *input,
                char *const argv[], const char *what)
{
    struct oa_tool t = {.path = v->exe,
                        .argv = argv,
                        .envp = v->env,
                        .cwd = cwd,
                        .runas = &v->ra,
                        .capture = capture,
                        .input = input};
    char reason[512];
    int status, r;

    r = oa_common_sources_run(&t, v->secret, &status, reason, sizeof(reason));
    v->status = r == 0 ? status : -1;
    if (r < 0) {
        snprintf(v->why, sizeof(v->why), "%s", reason);
        return r;
    }
    if (oa_tool_ok(status))
        return 0;
    oa_common_sources_failure(what, status, reason, v->why, sizeof(v->why));
    return 1;
}

bool oa_vcs_query(struct oa_vcs *v, const char *cwd, const char *input, char *const argv[],
                  char *buf, size_t len)
{
    char why[sizeof(v->why)];
    struct oa_buf out;
    bool ok;

    memcpy(why, v->why, sizeof(why));
    oa_buf_init(&out, 1 << 20);
    ok = oa_vcs_call(v, cwd, &out, input, argv, argv[0]) == 0;
    memcpy(v->why, why, sizeof(why));
    snprintf(buf, len, "%.*s", ok && out.data ? (int)strcspn(out.data, "\r\n") : 0,
             ok && out.data ? out.data : "");
    oa_buf_done(&out);
    return ok && buf[0];
}

bool oa_vcs_revision_ok(const char *rev)
{
    if (!rev[0] || rev[0] == '-')
        return false;
    for (const char *c = rev; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == 0x7f)
            return false;
    return true;
}

const char *oa_vcs_would_install(const struct oa_vcs *v, char *buf, size_t len)
{
    if (v->installed)
        snprintf(buf, len, "would install %s, then ", v->tool);
    else
        snprintf(buf, len, "%s", "");
    return buf;
}

void oa_vcs_done(struct oa_vcs *v)
{
    oa_runas_env_free(v->env);
    v->env = NULL;
    oa_runas_done(&v->ra);
}
