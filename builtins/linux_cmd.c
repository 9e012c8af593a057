/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.cmd (modules.md §3.1): run a shell command, the one module whose
 * parameter is a shell script by definition. Guards are checked with stat(),
 * not through a shell; the command runs in the state's process group, so the
 * agent's timeout kills it with everything it started.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "linux_cmd.h"
#include "modules.h"
#include "runas.h"
#include "tool.h"
#include "utf8.h"

#define CMD_DEFAULT_CWD "/opt/visualops/tmp"
#define CMD_DEFAULT_TIMEOUT_S 600
#define CMD_MAX_TIMEOUT_S (30ULL * 24 * 3600)

static const struct oa_param_spec cmd_params[] = {
    {"cmd", OA_PT_LINE, OA_PF_REQUIRED | OA_PF_JOIN_LINES},
    {"shell", OA_PT_LINE, 0},
    {"cwd", OA_PT_LINE, 0},
    {"user", OA_PT_LINE, 0},
    {"group", OA_PT_LINE, 0},
    {"env", OA_PT_DICT, 0},
    {"timeout", OA_PT_LINE, 0},
    {"if-path-present", OA_PT_ARRAY, 0},
    {"if-path-absent", OA_PT_ARRAY, 0},
};

/* The command as a comment shows it: its first line, at most 80 characters,
 * with "..." when something was left out. */
static const char *describe(const char *cmd, char *buf, size_t len)
{
    size_t line = strcspn(cmd, "\n");
    size_t keep = oa_utf8_prefix(cmd, line, 80);
    bool cut = keep < strlen(cmd);

    snprintf(buf, len, "%.*s%s", (int)keep, cmd, cut ? "..." : "");
    return buf;
}

/* Returns false (and sets out) when a guard says not to run. */
static bool guards_allow(const struct oa_params *p, struct oa_outcome *out)
{
    const struct oa_pvalue *present = oa_params_get(p, "if-path-present");
    const struct oa_pvalue *absent = oa_params_get(p, "if-path-absent");

    for (size_t i = 0; present->present && i < present->n; i++) {
        if (!oa_fs_exists(present->items[i])) {
            oa_outcome_set(out, true, false, "skipped: %s does not exist", present->items[i]);
            return false;
        }
    }
    for (size_t i = 0; absent->present && i < absent->n; i++) {
        if (oa_fs_exists(absent->items[i])) {
            oa_outcome_set(out, true, false, "skipped: %s exists", absent->items[i]);
            return false;
        }
    }
    return true;
}

static bool paths_absolute(const struct oa_params *p, const char *name, struct oa_outcome *out)
{
    const struct oa_pvalue *v = oa_params_get(p, name);

    for (size_t i = 0; v->present && i < v->n; i++) {
        if (!oa_fs_is_absolute(v->items[i])) {
            oa_outcome_set(out, false, false, "parameter '%s': '%s' is not an absolute path", name,
                           v->items[i]);
            return false;
        }
    }
    return true;
}

/* Checks the parameters that need more than their type. */
static bool validate(const struct oa_params *p, struct oa_outcome *out)
{
    const char *shell = oa_params_str(p, "shell");
    const char *cwd = oa_params_str(p, "cwd");
    uint64_t timeout;

    if (oa_params_uint(p, "timeout", 1, CMD_MAX_TIMEOUT_S, CMD_DEFAULT_TIMEOUT_S, &timeout,
                       out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return false;
    }
    if (shell && !oa_fs_is_absolute(shell)) {
        oa_outcome_set(out, false, false, "parameter 'shell': '%s' is not an absolute path", shell);
        return false;
    }
    if (cwd && !oa_fs_is_absolute(cwd)) {
        oa_outcome_set(out, false, false, "parameter 'cwd': '%s' is not an absolute path", cwd);
        return false;
    }
    return paths_absolute(p, "if-path-present", out) && paths_absolute(p, "if-path-absent", out);
}

/* The working directory: the given one must exist; the default one is
 * created when missing (the original did the same). */
static bool prepare_cwd(const struct oa_run_ctx *ctx, const char *cwd, struct oa_outcome *out)
{
    struct stat st;
    int r;

    if (cwd) {
        if (stat(cwd, &st) < 0 || !S_ISDIR(st.st_mode)) {
            oa_outcome_set(out, false, false, "working directory %s is not available", cwd);
            return false;
        }
        return true;
    }
    if (oa_fs_exists(CMD_DEFAULT_CWD))
        return true;
    if (ctx->dry_run) {
        printf("would create directory %s\n", CMD_DEFAULT_CWD);
        return true;
    }
    if ((r = oa_fs_mkdir_p(CMD_DEFAULT_CWD, 0755)) < 0) {
        oa_outcome_set(out, false, false, "cannot create working directory %s: %s", CMD_DEFAULT_CWD,
                       strerror(-r));
        return false;
    }
    return true;
}

bool oa_cmd_parent_may_run(const struct oa_params *p)
{
    return !oa_params_str(p, "user") && !oa_params_str(p, "group");
}

bool oa_cmd_check(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    return validate(p, out) && prepare_cwd(ctx, oa_params_str(p, "cwd"), out) &&
           guards_allow(p, out);
}

int oa_cmd_plan(const struct oa_run_ctx *ctx, const struct oa_params *p, const struct oa_runas *ra,
                struct oa_cmd_plan *plan, struct oa_outcome *out)
{
    const struct oa_pvalue *env = oa_params_get(p, "env");
    const char *shell = oa_params_str(p, "shell");
    const char *cwd = oa_params_str(p, "cwd");

    memset(plan, 0, sizeof(*plan));
    describe(oa_params_str(p, "cmd"), plan->what, sizeof(plan->what));
    if (ctx->dry_run) {
        oa_outcome_set(out, true, true, "would run: %s", plan->what);
        return 0;
    }
    plan->env = oa_runas_env(ra, env->kv, env->present ? env->n : 0);
    if (!plan->env) {
        oa_outcome_set(out, false, false, "out of memory");
        return 0;
    }
    plan->argv[0] = (char *)(shell ? shell : "/bin/sh");
    plan->argv[1] = (char *)"-c";
    plan->argv[2] = (char *)oa_params_str(p, "cmd");
    plan->cwd = cwd ? cwd : CMD_DEFAULT_CWD;
    return 1;
}

void oa_cmd_plan_done(struct oa_cmd_plan *plan)
{
    oa_runas_env_free(plan->env);
    plan->env = NULL;
}

void oa_cmd_finish(const struct oa_cmd_plan *plan, int wait_status, struct oa_outcome *out)
{
    char status_text[128];

    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
        oa_outcome_set(out, true, true, "Command \"%s\" run", plan->what);
    else
        oa_outcome_set(out, false, true, "Command \"%s\" %s", plan->what,
                       oa_tool_status_text(wait_status, status_text, sizeof(status_text)));
}

void oa_cmd_start_failed(const struct oa_cmd_plan *plan, int err, struct oa_outcome *out)
{
    /* The words of oa_tool_run, which reports the same failure in the child. */
    oa_outcome_set(out, false, false, "cannot execute for %s: %s", plan->argv[0], strerror(err));
}

static int cmd_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct oa_cmd_plan plan;
    struct oa_runas ra;
    int status, r;

    if (!oa_cmd_check(ctx, p, out))
        return 0;
    r = oa_runas_lookup(oa_params_str(p, "user"), oa_params_str(p, "group"), &ra, out->comment,
                        sizeof(out->comment));
    if (r < 0) {
        out->result = false;
        return 0;
    }
    if (oa_cmd_plan(ctx, p, &ra, &plan, out) == 1) {
        struct oa_tool t = {.path = plan.argv[0],
                            .argv = plan.argv,
                            .envp = plan.env,
                            .cwd = plan.cwd,
                            .runas = &ra};
        r = oa_tool_run(&t, &status, out->comment, sizeof(out->comment));
        if (r < 0)
            out->result = false;
        else
            oa_cmd_finish(&plan, status, out);
        oa_cmd_plan_done(&plan);
    }
    oa_runas_done(&ra);
    return r < 0 ? r : 0;
}

const struct oa_module oa_mod_linux_cmd = {
    .name = "linux.cmd",
    .params = cmd_params,
    .n_params = sizeof(cmd_params) / sizeof(cmd_params[0]),
    .timeout_param = "timeout",
    .default_timeout_ms = CMD_DEFAULT_TIMEOUT_S * 1000,
    .run = cmd_run,
};
