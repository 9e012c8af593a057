/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.puppet.apply, linux.puppet.run, linux.puppet.agent (modules.md
 * §12): puppet run with an argv array, --detailed-exitcodes deciding
 * `changed` (0 none, 2 changes, anything else fails) and --noop in a dry
 * run, so puppet itself reports what it would change. They run every round
 * by design.
 *
 * Prerequisites (§1.6): the distribution's puppet when it is missing; with
 * `version` pinned and another version installed, the puppet gem at that
 * version (gem comes with ruby); then the group and user `puppet` (no
 * login), which Debian's package already creates.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "common_sources.h"
#include "fsutil.h"
#include "linux_cm.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "tool.h"

#define PUPPET_VERSION_MAX 64
#define PUPPET_OUTPUT_MAX (16u << 20)

static const struct oa_param_spec apply_params[] = {
    {"manifests", OA_PT_ARRAY, OA_PF_REQUIRED},
    {"arguments", OA_PT_DICT, 0},
    {"version", OA_PT_LINE, 0},
};

static const struct oa_param_spec run_params[] = {
    {"arguments", OA_PT_DICT, 0},
    {"version", OA_PT_LINE, 0},
};

static const struct oa_param_spec agent_params[] = {
    {"server", OA_PT_LINE, OA_PF_REQUIRED},
    {"arguments", OA_PT_DICT, 0},
    {"version", OA_PT_LINE, 0},
};

/* One run of a puppet state. */
struct puppet {
    const struct oa_run_ctx *ctx;
    const struct oa_params *p;
    const char *version;           /* pinned, or NULL */
    char exe[4096];                /* the puppet found */
    char have[PUPPET_VERSION_MAX]; /* its version */
    bool usable;                   /* puppet can run (false only in a dry run) */
    bool installed;                /* something was (or would be) installed */
};

/* `puppet --version` of the puppet on PATH into p->have ("" when none). */
static void read_version(struct puppet *pp)
{
    char *argv[] = {(char *)"puppet", (char *)"--version", NULL}, why[256];
    struct oa_buf out;
    int status;

    pp->have[0] = '\0';
    pp->usable = oa_tool_which("puppet", pp->exe, sizeof(pp->exe)) != NULL;
    if (!pp->usable)
        return;
    oa_buf_init(&out, 64 << 10);
    if (oa_tool_exec(argv, NULL, &out, &status, why, sizeof(why)) == 0 && oa_tool_ok(status))
        oa_cm_parse_version(out.data, pp->have, sizeof(pp->have));
    oa_buf_done(&out);
}

/* Runs an installer command (its output is the state's); a failure fills
 * out. */
static int install_step(char *const argv[], const char *what, struct oa_outcome *out)
{
    char why[512], st[64];
    int status, r;

    r = oa_tool_exec(argv, NULL, NULL, &status, why, sizeof(why));
    if (r == 0 && !oa_tool_ok(status)) {
        snprintf(why, sizeof(why), "%s %s", what, oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    }
    if (r < 0)
        oa_outcome_set(out, false, false, "puppet is not installed and cannot be: %s", why);
    return r;
}

/* The pinned version through the puppet gem (gem install -v). */
static int install_gem(struct puppet *pp, const struct oa_osinfo *os, struct oa_outcome *out)
{
    char *argv[] = {(char *)"gem", (char *)"install",   (char *)"puppet",
                    (char *)"-v",  (char *)pp->version, (char *)"--no-document",
                    NULL};
    bool gem_installed;
    int r;

    if ((r = oa_prereq_ensure(pp->ctx, os, "gem", "ruby", "rubygems", &gem_installed, out)) < 0)
        return r;
    pp->installed = true;
    if (pp->ctx->dry_run) {
        printf("would run: gem install puppet -v %s --no-document\n", pp->version);
        return 0;
    }
    printf("installing puppet %s with gem (%s found)\n", pp->version,
           pp->have[0] ? pp->have : "none");
    if ((r = install_step(argv, "gem install puppet", out)) < 0)
        return r;
    read_version(pp);
    if (!oa_cm_version_matches(pp->have, pp->version)) {
        oa_outcome_set(out, false, true, "puppet %s was installed, but puppet --version says '%s'",
                       pp->version, pp->have);
        return -EIO;
    }
    return 0;
}

/* The group and user puppet (no login), when the package did not make them. */
static int ensure_account(struct puppet *pp, struct oa_outcome *out)
{
    char *group[] = {(char *)"groupadd", (char *)"--system", (char *)"puppet", NULL};
    char *user[] = {(char *)"useradd",    (char *)"--system",
                    (char *)"--gid",      (char *)"puppet",
                    (char *)"--home-dir", (char *)"/var/lib/puppet",
                    (char *)"--shell",    (char *)"/usr/sbin/nologin",
                    (char *)"puppet",     NULL};
    int r;

    if (!getgrnam("puppet")) {
        pp->installed = true;
        printf("%s the group puppet\n", pp->ctx->dry_run ? "would create" : "creating");
        if (!pp->ctx->dry_run && (r = install_step(group, "groupadd puppet", out)) < 0)
            return r;
    }
    if (!getpwnam("puppet")) {
        pp->installed = true;
        printf("%s the user puppet\n", pp->ctx->dry_run ? "would create" : "creating");
        if (!pp->ctx->dry_run && (r = install_step(user, "useradd puppet", out)) < 0)
            return r;
    }
    return 0;
}

/* §1.6 for puppet: the tool at the right version, then its account. */
static int ensure_puppet(struct puppet *pp, struct oa_outcome *out)
{
    struct oa_osinfo os;
    bool pkg;
    int r;

    oa_osinfo_read(&os);
    read_version(pp);
    if (pp->version && !oa_cm_version_matches(pp->have, pp->version)) {
        if ((r = install_gem(pp, &os, out)) < 0)
            return r;
    } else if (!pp->usable) {
        if ((r = oa_prereq_ensure(pp->ctx, &os, "puppet", "puppet", "puppet", &pkg, out)) < 0)
            return r;
        pp->installed = true;
        read_version(pp);
    }
    return ensure_account(pp, out);
}

/* Runs puppet with argv; *exit_kind says what its exit code meant. On a
 * failure the comment gets "what exited with status 4: Error: …". */
static int run_puppet(struct puppet *pp, struct oa_cm_argv *a, enum oa_cm_puppet_exit *kind,
                      char *why, size_t len)
{
    char line[2048], reason[512];
    struct oa_runas ra;
    struct oa_buf cap;
    int status, r;

    printf("+ %s\n", oa_cm_argv_line(a, line, sizeof(line)));
    if ((r = oa_runas_lookup(NULL, NULL, &ra, why, len)) < 0)
        return r;
    oa_buf_init(&cap, PUPPET_OUTPUT_MAX);
    struct oa_tool t = {
        .path = pp->exe, .argv = a->v, .envp = oa_runas_env(&ra, NULL, 0), .capture = &cap};
    r = t.envp ? oa_common_sources_run(&t, NULL, &status, reason, sizeof(reason)) : -ENOMEM;
    oa_runas_env_free((char **)t.envp);
    oa_runas_done(&ra);
    if (cap.data)
        fputs(cap.data, stdout);
    *kind = r < 0 ? OA_CM_FAILED : oa_cm_puppet_exit(status);
    /* Puppet 4 and later exit 0 from a --noop run that found changes: its
     * events say "(noop)" instead. */
    if (*kind == OA_CM_NO_CHANGES && pp->ctx->dry_run && oa_cm_puppet_noop_events(cap.data))
        *kind = OA_CM_CHANGES;
    oa_buf_done(&cap);
    if (r < 0) {
        snprintf(why, len, "%s", r == -ENOMEM ? "out of memory" : reason);
        return r;
    }
    if (*kind == OA_CM_FAILED) {
        char what[64];
        snprintf(what, sizeof(what), "puppet %s", a->v[1]);
        oa_common_sources_failure(what, status, reason, why, len);
    }
    return 0;
}

/* The argv of one run: puppet SUB FIXED... [--noop] [FIRST] ARGUMENTS. */
static int build(struct puppet *pp, struct oa_cm_argv *a, const char *const *fixed,
                 const char *first, struct oa_outcome *out)
{
    oa_cm_argv_add(a, "puppet");
    for (size_t i = 0; fixed[i]; i++)
        oa_cm_argv_add(a, "%s", fixed[i]);
    if (pp->ctx->dry_run)
        oa_cm_argv_add(a, "--noop");
    if (first)
        oa_cm_argv_add(a, "%s", first);
    if (oa_cm_arguments(a, oa_params_get(pp->p, "arguments"), out->comment, sizeof(out->comment)) <
        0) {
        out->result = false;
        return -EINVAL;
    }
    if (a->full) {
        oa_outcome_set(out, false, false, "too many arguments");
        return -E2BIG;
    }
    return 0;
}

static const char *verdict(const struct puppet *pp, enum oa_cm_puppet_exit k)
{
    if (k == OA_CM_NO_CHANGES)
        return "no changes";
    return pp->ctx->dry_run ? "would change" : "changes applied";
}

/* A dry run with puppet still missing: nothing can be asked of it. */
static bool missing_in_dry_run(const struct puppet *pp, const char *what, struct oa_outcome *out)
{
    if (pp->usable && (!pp->version || oa_cm_version_matches(pp->have, pp->version)))
        return false;
    oa_outcome_set(out, true, true, "would install puppet%s%s, then run %s", pp->version ? " " : "",
                   pp->version ? pp->version : "", what);
    return true;
}

static int apply_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                     struct oa_outcome *out)
{
    static const char *const fixed[] = {"apply", "--color=false", "--detailed-exitcodes", NULL};
    const struct oa_pvalue *m = oa_params_get(p, "manifests");
    struct puppet pp = {.ctx = ctx, .p = p, .version = oa_params_str(p, "version")};
    struct oa_buf comment;
    bool changed = false;

    for (size_t i = 0; i < m->n; i++) {
        if (!oa_fs_is_absolute(m->items[i]) || !oa_fs_exists(m->items[i])) {
            oa_outcome_set(out, false, false, "manifest %s %s", m->items[i],
                           oa_fs_is_absolute(m->items[i]) ? "does not exist"
                                                          : "is not an absolute path");
            return 0;
        }
    }
    if (ensure_puppet(&pp, out) < 0 ||
        (ctx->dry_run && missing_in_dry_run(&pp, "puppet apply", out)))
        return 0;
    oa_buf_init(&comment, sizeof(out->comment));
    out->result = true;
    /* §12: once per manifest, in order, stopping at the first failure. */
    for (size_t i = 0; i < m->n && out->result; i++) {
        struct oa_cm_argv a = {0};
        enum oa_cm_puppet_exit k;
        char why[1024];

        if (build(&pp, &a, fixed, m->items[i], out) < 0) {
            oa_cm_argv_done(&a);
            oa_buf_done(&comment);
            return 0;
        }
        if (run_puppet(&pp, &a, &k, why, sizeof(why)) < 0 || k == OA_CM_FAILED) {
            (void)oa_buf_printf(&comment, "%s%s: %s", i ? "; " : "", m->items[i], why);
            out->result = false;
        } else {
            (void)oa_buf_printf(&comment, "%s%s: %s", i ? "; " : "", m->items[i], verdict(&pp, k));
            changed |= k == OA_CM_CHANGES;
        }
        oa_cm_argv_done(&a);
    }
    oa_outcome_set(out, out->result, changed || pp.installed, "%s",
                   comment.data ? comment.data : "");
    oa_buf_done(&comment);
    return 0;
}

/* linux.puppet.run and .agent: one agent run (server NULL: puppet.conf's). */
static void agent_round(struct puppet *pp, const char *server, struct oa_outcome *out)
{
    struct oa_cm_argv a = {0};
    enum oa_cm_puppet_exit k;
    char why[1024], srv[1024] = "";

    if (ensure_puppet(pp, out) < 0 ||
        (pp->ctx->dry_run && missing_in_dry_run(pp, "puppet agent", out)))
        return;
    const char *fixed[] = {"agent",
                           "--onetime",
                           "--no-daemonize",
                           "--verbose",
                           oa_cm_puppet_cache_flag(pp->have),
                           "--no-usecacheonfailure",
                           "--no-splay",
                           "--show_diff",
                           "--detailed-exitcodes",
                           "--color=false",
                           NULL};
    if (server)
        snprintf(srv, sizeof(srv), "--server=%s", server);
    if (build(pp, &a, fixed, server ? srv : NULL, out) == 0) {
        if (run_puppet(pp, &a, &k, why, sizeof(why)) < 0 || k == OA_CM_FAILED)
            oa_outcome_set(out, false, pp->installed, "puppet agent run failed: %s", why);
        else
            oa_outcome_set(out, true, k == OA_CM_CHANGES || pp->installed,
                           "puppet agent run%s%s: %s", server ? " against " : "",
                           server ? server : "", verdict(pp, k));
    }
    oa_cm_argv_done(&a);
}

static int run_run(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out)
{
    struct puppet pp = {.ctx = ctx, .p = p, .version = oa_params_str(p, "version")};

    agent_round(&pp, NULL, out);
    return 0;
}

static int agent_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                     struct oa_outcome *out)
{
    struct puppet pp = {.ctx = ctx, .p = p, .version = oa_params_str(p, "version")};
    const char *server = oa_params_str(p, "server");

    if (server[0] == '-' || strpbrk(server, " \t\r\n")) {
        oa_outcome_set(out, false, false, "parameter 'server': '%s' is not a host name", server);
        return 0;
    }
    /* Puppet checks the server's certificate against the name it was
     * given (modules.md §12: a resolvable name, not an IP). */
    if (strspn(server, "0123456789.") == strlen(server) || strchr(server, ':'))
        printf("warning: server %s is an address; puppet's certificates name hosts, so it "
               "usually needs a host name\n",
               server);
    agent_round(&pp, server, out);
    return 0;
}

const struct oa_module oa_mod_linux_puppet_apply = {
    .name = "linux.puppet.apply",
    .params = apply_params,
    .n_params = sizeof(apply_params) / sizeof(apply_params[0]),
    .run = apply_run,
};

const struct oa_module oa_mod_linux_puppet_run = {
    .name = "linux.puppet.run",
    .params = run_params,
    .n_params = sizeof(run_params) / sizeof(run_params[0]),
    .run = run_run,
};

const struct oa_module oa_mod_linux_puppet_agent = {
    .name = "linux.puppet.agent",
    .params = agent_params,
    .n_params = sizeof(agent_params) / sizeof(agent_params[0]),
    .run = agent_run,
};
