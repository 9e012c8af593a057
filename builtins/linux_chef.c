/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.chef.solo and linux.chef.client (modules.md §12): chef-solo or
 * chef-client run with an argv array; exit 0 is success, and `changed`
 * comes from chef's own summary ("3/10 resources updated"). A dry run is
 * chef's why-run mode (--why-run), which reports what would be updated.
 * They run every round by design.
 *
 * Chef is not packaged by the distributions (§1.6): when it is missing, or
 * at another version than `version`, Chef's own installer (install.sh,
 * what the original agent shipped as chef-install.sh) is downloaded over
 * verified https (the agent's CA file and proxy), run as `sh install.sh
 * [-v version]` and deleted. A downloaded script is never piped into a
 * shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common_sources.h"
#include "fetch.h"
#include "fsutil.h"
#include "linux_cm.h"
#include "modules.h"
#include "tool.h"

#define CHEF_INSTALLER_URL "https://omnitruck.chef.io/install.sh"
#define CHEF_INSTALLER_MAX (4u << 20)
#define CHEF_OUTPUT_MAX (16u << 20)
#define CHEF_VERSION_MAX 64

static const struct oa_param_spec solo_params[] = {
    {"config", OA_PT_LINE, 0},           {"recipe_url", OA_PT_LINE, 0},
    {"override-runlist", OA_PT_LINE, 0}, {"override_runlist", OA_PT_LINE, 0},
    {"arguments", OA_PT_DICT, 0},        {"version", OA_PT_LINE, 0},
};

static const struct oa_param_spec client_params[] = {
    {"server", OA_PT_LINE, OA_PF_REQUIRED},
    {"client_key", OA_PT_LINE, 0},
    {"config", OA_PT_LINE, 0},
    {"arguments", OA_PT_DICT, 0},
    {"version", OA_PT_LINE, 0},
};

struct chef {
    const struct oa_run_ctx *ctx;
    const char *tool;    /* chef-solo, chef-client */
    const char *version; /* pinned, or NULL */
    char exe[4096];
    char have[CHEF_VERSION_MAX];
    bool usable, installed;
};

static void read_version(struct chef *c)
{
    char *argv[] = {(char *)c->tool, (char *)"--version", NULL}, why[256];
    struct oa_buf out;
    int status;

    c->have[0] = '\0';
    c->usable = oa_tool_which(c->tool, c->exe, sizeof(c->exe)) != NULL;
    if (!c->usable)
        return;
    oa_buf_init(&out, 64 << 10);
    if (oa_tool_exec(argv, NULL, &out, &status, why, sizeof(why)) == 0 && oa_tool_ok(status))
        oa_cm_parse_version(out.data, c->have, sizeof(c->have));
    oa_buf_done(&out);
}

/* Downloads the installer into a private file; returns its fd (path in
 * buf) or a negative code with why. */
static int download_installer(struct chef *c, char *path, size_t len, char *why, size_t wlen)
{
    struct oa_fetch_opts o = oa_fetch_opts_for(c->ctx, CHEF_INSTALLER_MAX);
    const char *dir = c->ctx->state_dir ? c->ctx->state_dir : "/var/tmp";
    int fd, r;

    if ((r = oa_fs_mkdir_p(dir, 0700)) < 0) {
        snprintf(why, wlen, "cannot create %s: %s", dir, strerror(-r));
        return r;
    }
    snprintf(path, len, "%s/chef-install.XXXXXX", dir);
    if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
        r = -errno;
        snprintf(why, wlen, "cannot create a file in %s: %s", dir, strerror(-r));
        return r;
    }
    if ((r = oa_fetch_fd(CHEF_INSTALLER_URL, &o, fd, why, wlen)) < 0) {
        close(fd);
        unlink(path);
        return r;
    }
    close(fd);
    return 0;
}

/* §1.6: Chef's installer, when chef is missing or at another version. */
static int ensure_chef(struct chef *c, struct oa_outcome *out)
{
    char path[4096], why[1024], st[64];
    int status, r;

    read_version(c);
    if (c->usable && (!c->version || oa_cm_version_matches(c->have, c->version)))
        return 0;
    c->installed = true;
    if (c->ctx->dry_run) {
        printf("would download %s and run it%s%s\n", CHEF_INSTALLER_URL,
               c->version ? " with -v " : "", c->version ? c->version : "");
        return 0;
    }
    printf("installing chef%s%s (%s found) with %s\n", c->version ? " " : "",
           c->version ? c->version : "", c->have[0] ? c->have : "none", CHEF_INSTALLER_URL);
    if ((r = download_installer(c, path, sizeof(path), why, sizeof(why))) == 0) {
        char *argv[] = {(char *)"/bin/sh", path, (char *)(c->version ? "-v" : NULL),
                        (char *)c->version, NULL};
        r = oa_tool_exec(argv, NULL, NULL, &status, why, sizeof(why));
        unlink(path);
        if (r == 0 && !oa_tool_ok(status)) {
            snprintf(why, sizeof(why), "the installer %s", oa_tool_status_text(status, st, 64));
            r = -EIO;
        }
    }
    if (r == 0) {
        read_version(c);
        if (!c->usable)
            snprintf(why, sizeof(why), "the installer did not install %s", c->tool), r = -ENOENT;
        else if (c->version && !oa_cm_version_matches(c->have, c->version))
            snprintf(why, sizeof(why), "%s --version says '%s' after the install", c->tool,
                     c->have),
                r = -EIO;
    }
    if (r < 0)
        oa_outcome_set(out, false, true, "chef%s%s cannot be installed: %s", c->version ? " " : "",
                       c->version ? c->version : "", why);
    return r;
}

/* Runs the tool; its stdout is kept to read chef's summary, then shown. */
static void run_chef(struct chef *c, struct oa_cm_argv *a, struct oa_outcome *out)
{
    char line[4096], reason[512], why[1024];
    unsigned long updated, total;
    struct oa_runas ra;
    struct oa_buf cap;
    int status, r;

    printf("+ %s\n", oa_cm_argv_line(a, line, sizeof(line)));
    if (oa_runas_lookup(NULL, NULL, &ra, why, sizeof(why)) < 0) {
        oa_outcome_set(out, false, c->installed, "%s", why);
        return;
    }
    oa_buf_init(&cap, CHEF_OUTPUT_MAX);
    struct oa_tool t = {
        .path = c->exe, .argv = a->v, .envp = oa_runas_env(&ra, NULL, 0), .capture = &cap};
    r = t.envp ? oa_common_sources_run(&t, NULL, &status, reason, sizeof(reason)) : -ENOMEM;
    if (cap.data)
        fputs(cap.data, stdout);
    if (r < 0) {
        oa_outcome_set(out, false, c->installed, "cannot run %s: %s", c->tool,
                       r == -ENOMEM ? "out of memory" : reason);
    } else if (!oa_tool_ok(status)) {
        if (oa_cm_chef_reason(cap.data, why, sizeof(why))[0])
            snprintf(reason, sizeof(reason), "%.500s", why);
        oa_common_sources_failure(c->tool, status, reason, why, sizeof(why));
        oa_outcome_set(out, false, c->installed, "%s", why);
    } else if (!oa_cm_chef_summary(cap.data, &updated, &total)) {
        /* It ran and said nothing of what it did: assume it changed. */
        oa_outcome_set(out, true, true, "%s finished (no resource summary in its output)", c->tool);
    } else {
        snprintf(line, sizeof(line), "/%lu", total);
        oa_outcome_set(out, true, (updated > 0 && !c->ctx->dry_run) || c->installed,
                       "%s: %lu%s resources %s", c->tool, updated, total ? line : "",
                       c->ctx->dry_run ? "would be updated (why-run)" : "updated");
        out->changed |= c->ctx->dry_run && updated > 0;
    }
    oa_runas_env_free((char **)t.envp);
    oa_runas_done(&ra);
    oa_buf_done(&cap);
}

/* A path parameter must be absolute (§1.2); a value may not pass for an
 * option. */
static bool check(const struct oa_params *p, const char *name, bool path, struct oa_outcome *out)
{
    const char *v = oa_params_str(p, name);

    if (!v)
        return true;
    if (path ? !oa_fs_is_absolute(v) : (v[0] == '-' || strpbrk(v, "\r\n"))) {
        oa_outcome_set(out, false, false, "parameter '%s': '%s' is not %s", name, v,
                       path ? "an absolute path" : "a valid value");
        return false;
    }
    return true;
}

/* Adds "flag value" when the parameter is present. */
static void add_opt(struct oa_cm_argv *a, const char *flag, const char *value)
{
    if (value) {
        oa_cm_argv_add(a, "%s", flag);
        oa_cm_argv_add(a, "%s", value);
    }
}

/* The common end: arguments, then prerequisites, then the run. */
static void finish(struct chef *c, const struct oa_params *p, struct oa_cm_argv *a,
                   struct oa_outcome *out)
{
    if (c->ctx->dry_run)
        oa_cm_argv_add(a, "--why-run");
    if (oa_cm_arguments(a, oa_params_get(p, "arguments"), out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return;
    }
    if (a->full) {
        oa_outcome_set(out, false, false, "too many arguments");
        return;
    }
    if (ensure_chef(c, out) < 0)
        return;
    /* A dry run: chef is not there to ask, or not the chef the state wants. */
    if (!c->usable || (c->installed && c->ctx->dry_run))
        oa_outcome_set(out, true, true, "would install chef%s%s, then run %s",
                       c->version ? " " : "", c->version ? c->version : "", c->tool);
    else
        run_chef(c, a, out);
}

static int solo_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct chef c = {.ctx = ctx, .tool = "chef-solo", .version = oa_params_str(p, "version")};
    const char *runlist = oa_params_str(p, "override-runlist");
    struct oa_cm_argv a = {0};

    if (!runlist)
        runlist = oa_params_str(p, "override_runlist"); /* the reference's spelling */
    if (check(p, "config", true, out) && check(p, "recipe_url", false, out) &&
        check(p, "override-runlist", false, out) && check(p, "override_runlist", false, out)) {
        oa_cm_argv_add(&a, "chef-solo");
        oa_cm_argv_add(&a, "--no-color");
        add_opt(&a, "-c", oa_params_str(p, "config"));
        add_opt(&a, "-r", oa_params_str(p, "recipe_url"));
        add_opt(&a, "-o", runlist);
        finish(&c, p, &a, out);
    }
    oa_cm_argv_done(&a);
    return 0;
}

static int client_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                      struct oa_outcome *out)
{
    struct chef c = {.ctx = ctx, .tool = "chef-client", .version = oa_params_str(p, "version")};
    struct oa_cm_argv a = {0};

    if (check(p, "server", false, out) && check(p, "client_key", true, out) &&
        check(p, "config", true, out)) {
        oa_cm_argv_add(&a, "chef-client");
        oa_cm_argv_add(&a, "--no-color");
        add_opt(&a, "--server", oa_params_str(p, "server"));
        add_opt(&a, "--client_key", oa_params_str(p, "client_key"));
        add_opt(&a, "--config", oa_params_str(p, "config"));
        finish(&c, p, &a, out);
    }
    oa_cm_argv_done(&a);
    return 0;
}

const struct oa_module oa_mod_linux_chef_solo = {
    .name = "linux.chef.solo",
    .params = solo_params,
    .n_params = sizeof(solo_params) / sizeof(solo_params[0]),
    .run = solo_run,
};

const struct oa_module oa_mod_linux_chef_client = {
    .name = "linux.chef.client",
    .params = client_params,
    .n_params = sizeof(client_params) / sizeof(client_params[0]),
    .run = client_run,
};
