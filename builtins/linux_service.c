/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.service (modules.md §4.1): make sure services are running, and
 * reload or restart them when watched files change (§1.7, first sighting
 * counts as a change). Each service is driven by the init system it
 * belongs to: systemd (systemctl), Upstart (initctl, when the host runs it
 * and /etc/init/<name>.conf exists) or SysV (`service`, or the
 * /etc/init.d script itself where `service` is not installed). Tools run
 * with argv arrays; only a service's custom watch action is a shell
 * command, by definition. Boot enablement is never touched (§4.1 step 5).
 * Runs in the exec-state child and blocks on the tools.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fsutil.h"
#include "linux_service.h"
#include "modules.h"
#include "osinfo.h"
#include "tool.h"
#include "watch.h"

/* modules.md §1.11: the pause between an action and the status check. */
#ifndef SERVICE_SETTLE_MS
#define SERVICE_SETTLE_MS 2000
#endif
#define SERVICE_NAME_MAX 200
#define SERVICE_CAPTURE_MAX (64u << 10)

static const struct oa_param_spec service_params[] = {
    {"name", OA_PT_DICT, OA_PF_REQUIRED},
    {"watch", OA_PT_ARRAY_OR_BOOL, 0},
};

/* What is asked of the init system. */
enum svc_op {
    SVC_PROBE,   /* is the service known at all (systemd: `systemctl cat`) */
    SVC_STATUS,  /* is it running */
    SVC_START,   /* start it */
    SVC_RELOAD,  /* reload its configuration */
    SVC_RESTART, /* restart it */
    SVC_OP_COUNT
};

static const char *const op_words[SVC_OP_COUNT] = {
    [SVC_PROBE] = "status",  [SVC_STATUS] = "status",   [SVC_START] = "start",
    [SVC_RELOAD] = "reload", [SVC_RESTART] = "restart",
};

/* One service of the state, and how to drive it. */
struct svc {
    const char *name;
    enum oa_init init;                  /* the init system this service belongs to */
    bool have_service;                  /* SysV: the `service` command is installed */
    char unit[SERVICE_NAME_MAX + 16];   /* systemd: <name>.service */
    char script[SERVICE_NAME_MAX + 16]; /* SysV: /etc/init.d/<name> */
};

/* modules.md §4.1: Upstart drives a service only when the host runs Upstart
 * and the service has a job file; everything else on such a host (and on a
 * SysV host) goes through the init scripts. */
static enum oa_init service_init(enum oa_init host, bool upstart_job)
{
    if (host == OA_INIT_SYSTEMD)
        return OA_INIT_SYSTEMD;
    if (host == OA_INIT_UPSTART && upstart_job)
        return OA_INIT_UPSTART;
    return OA_INIT_SYSV;
}

/* A service name becomes a file name under /etc/init.d and an argument of
 * the init tools: no '/', no leading '-' or '.', no blanks or controls. */
static bool valid_service_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > SERVICE_NAME_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '/')
            return false;
    return true;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void service_setup(struct svc *s, const char *name, enum oa_init host, bool have_service)
{
    char job[SERVICE_NAME_MAX + 32];

    s->name = name;
    snprintf(job, sizeof(job), "/etc/init/%s.conf", name);
    s->init = service_init(host, host == OA_INIT_UPSTART && oa_fs_exists(job));
    s->have_service = have_service;
    snprintf(s->unit, sizeof(s->unit), has_suffix(name, ".service") ? "%s" : "%s.service", name);
    snprintf(s->script, sizeof(s->script), "/etc/init.d/%s", name);
}

/* The command for op, into argv (room for 5 entries). Returns argv. */
static char **service_argv(const struct svc *s, enum svc_op op, char *argv[5])
{
    size_t n = 0;

    switch (s->init) {
    case OA_INIT_SYSTEMD:
        argv[n++] = (char *)"systemctl";
        if (op == SVC_STATUS) {
            argv[n++] = (char *)"is-active";
            argv[n++] = (char *)"--quiet";
        } else {
            argv[n++] = (char *)(op == SVC_PROBE ? "cat" : op_words[op]);
        }
        argv[n++] = (char *)s->unit;
        break;
    case OA_INIT_UPSTART:
        argv[n++] = (char *)"initctl";
        argv[n++] = (char *)op_words[op];
        argv[n++] = (char *)s->name;
        break;
    case OA_INIT_SYSV:
        if (s->have_service) {
            argv[n++] = (char *)"service";
            argv[n++] = (char *)s->name;
        } else {
            argv[n++] = (char *)s->script;
        }
        argv[n++] = (char *)op_words[op];
        break;
    }
    argv[n] = NULL;
    return argv;
}

/* `initctl status` says "NAME start/running, process 123" for a running
 * job and "NAME stop/waiting" for a stopped one. */
static bool upstart_running(const char *text)
{
    return text && strstr(text, " start/running") != NULL;
}

/* Runs a status-like query with its stdout kept out of the state's output.
 * Returns 1 (exit 0, and for Upstart the job says start/running), 0, or a
 * negative code with why. */
static int query(const struct svc *s, enum svc_op op, char *why, size_t len)
{
    char *argv[5];
    struct oa_buf cap;
    int status, r;

    oa_buf_init(&cap, SERVICE_CAPTURE_MAX);
    r = oa_tool_exec(service_argv(s, op, argv), NULL, &cap, &status, why, len);
    if (r == 0)
        r = oa_tool_ok(status) &&
                    (s->init != OA_INIT_UPSTART || op != SVC_STATUS || upstart_running(cap.data))
                ? 1
                : 0;
    oa_buf_done(&cap);
    return r;
}

/* Step 1 of §4.1: is the service known to its init system? */
static int is_available(const struct svc *s, char *why, size_t len)
{
    switch (s->init) {
    case OA_INIT_UPSTART:
        return 1; /* chosen because its job file exists */
    case OA_INIT_SYSV:
        return oa_fs_exists(s->script) ? 1 : 0;
    case OA_INIT_SYSTEMD:
        return query(s, SVC_PROBE, why, len);
    }
    return 0;
}

/* Runs an action with its output going to the state's output (a daemon it
 * starts may keep that pipe open, so it is never captured here). Returns 0
 * with the wait status, or a negative code with why. */
static int act(char *const argv[], int *status, char *why, size_t len)
{
    char line[512] = "";

    for (size_t i = 0; argv[i]; i++)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s", i ? " " : "", argv[i]);
    printf("+ %s\n", line);
    return oa_tool_exec(argv, NULL, NULL, status, why, len);
}

static void settle(void)
{
    struct timespec ts = {SERVICE_SETTLE_MS / 1000, (SERVICE_SETTLE_MS % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Pauses, then checks that the service runs. Returns true when it does;
 * otherwise it gets "<name> <what>", with how cmd ended when it failed. */
static bool check_after(const struct svc *s, const char *what, const char *cmd, int status,
                        struct oa_item *it)
{
    char why[256], st[64];
    int r;

    settle();
    if ((r = query(s, SVC_STATUS, why, sizeof(why))) < 0) {
        oa_item_set(it, false, true, "%s: cannot check its status: %s", s->name, why);
        return false;
    }
    if (r == 1)
        return true;
    if (oa_tool_ok(status))
        oa_item_set(it, false, true, "%s %s", s->name, what);
    else
        oa_item_set(it, false, true, "%s %s (%s %s)", s->name, what, cmd,
                    oa_tool_status_text(status, st, sizeof(st)));
    return false;
}

/* §4.1 step 3: start a stopped service. */
static void start_service(const struct oa_run_ctx *ctx, const struct svc *s, struct oa_item *it)
{
    char *argv[5], why[256];
    int status;

    if (ctx->dry_run) {
        oa_item_set(it, true, true, "would start %s", s->name);
        return;
    }
    if (act(service_argv(s, SVC_START, argv), &status, why, sizeof(why)) < 0)
        oa_item_set(it, false, false, "%s: %s", s->name, why);
    else if (check_after(s, "failed to start", argv[0], status, it))
        oa_item_set(it, true, true, "%s started", s->name);
}

/* Runs op (reload or restart) without the status check. Returns 0 with the
 * wait status, or a negative code with the failure in it. */
static int run_op(const struct svc *s, enum svc_op op, int *status, struct oa_item *it)
{
    char *argv[5], why[256];
    int r = act(service_argv(s, op, argv), status, why, sizeof(why));

    if (r < 0)
        oa_item_set(it, false, false, "%s: %s", s->name, why);
    return r;
}

/* §4.1 step 4 for a service without a custom command: an empty value
 * reloads and restarts when the reload fails; "reload"/"restart" do just
 * that (⚠ the original ran these words as shell commands). */
static void reload_or_restart(const struct svc *s, const char *action, struct oa_item *it)
{
    enum svc_op op = strcmp(action, "restart") == 0 ? SVC_RESTART : SVC_RELOAD;
    char st[256];
    int status;

    if (run_op(s, op, &status, it) < 0)
        return;
    if (!oa_tool_ok(status) && op == SVC_RELOAD && !action[0]) {
        printf("reload of %s %s; restarting it\n", s->name,
               oa_tool_status_text(status, st, sizeof(st)));
        op = SVC_RESTART;
        if (run_op(s, op, &status, it) < 0)
            return;
    }
    if (!oa_tool_ok(status)) {
        oa_item_set(it, false, true, "%s: %s %s", s->name, op_words[op],
                    oa_tool_status_text(status, st, sizeof(st)));
        return;
    }
    snprintf(st, sizeof(st), "is not running after the %s", op_words[op]);
    if (check_after(s, st, op_words[op], status, it))
        oa_item_set(it, true, true, "%s %s", s->name, op == SVC_RESTART ? "restarted" : "reloaded");
}

static bool is_custom(const char *action)
{
    return action[0] && strcmp(action, "reload") != 0 && strcmp(action, "restart") != 0;
}

/* §4.1 step 4: the watch fired. */
static void watch_action(const struct oa_run_ctx *ctx, const struct svc *s, const char *action,
                         bool running, struct oa_item *it)
{
    char *sh[] = {(char *)"/bin/sh", (char *)"-c", (char *)action, NULL};
    char why[256];
    int status;

    if (!running && !is_custom(action)) {
        start_service(ctx, s, it);
        return;
    }
    if (ctx->dry_run) {
        if (is_custom(action))
            oa_item_set(it, true, true, "would run the action command of %s", s->name);
        else
            oa_item_set(it, true, true, "would %s %s", action[0] ? action : "reload", s->name);
        return;
    }
    if (!is_custom(action)) {
        reload_or_restart(s, action, it);
        return;
    }
    /* A custom command runs even when the service is stopped; exit 0 is
     * success (§4.1). */
    if (act(sh, &status, why, sizeof(why)) < 0)
        oa_item_set(it, false, false, "%s: %s", s->name, why);
    else if (!oa_tool_ok(status))
        oa_item_set(it, false, true, "%s: action command %s", s->name,
                    oa_tool_status_text(status, why, sizeof(why)));
    else if (check_after(s, "is not running after its action command", sh[0], status, it))
        oa_item_set(it, true, true, "%s: ran action command", s->name);
}

static void handle_service(const struct oa_run_ctx *ctx, const struct svc *s, const char *action,
                           bool fired, struct oa_item *it)
{
    char why[256];
    int r;

    if ((r = is_available(s, why, sizeof(why))) <= 0) {
        if (r < 0)
            oa_item_set(it, false, false, "service %s: %s", s->name, why);
        else
            oa_item_set(it, false, false, "service %s is not available", s->name);
        return;
    }
    if ((r = query(s, SVC_STATUS, why, sizeof(why))) < 0) {
        oa_item_set(it, false, false, "%s: cannot check its status: %s", s->name, why);
        return;
    }
    if (fired)
        watch_action(ctx, s, action, r == 1, it);
    else if (r == 1)
        oa_item_set(it, true, false, "%s already running", s->name);
    else
        start_service(ctx, s, it);
}

void oa_service_keep_running(const struct oa_run_ctx *ctx, const char *name, bool restart,
                             struct oa_item *it)
{
    struct oa_osinfo os;
    char path[4096];
    struct svc s;

    oa_osinfo_read(&os);
    service_setup(&s, name, os.init, oa_tool_which("service", path, sizeof(path)) != NULL);
    handle_service(ctx, &s, "restart", restart, it);
}

static bool names_valid(const struct oa_pvalue *names, struct oa_outcome *out)
{
    for (size_t i = 0; i < names->n; i++) {
        if (!valid_service_name(names->kv[i].key)) {
            oa_outcome_set(out, false, false,
                           "parameter 'name': '%.200s' is not a valid service name",
                           names->kv[i].key);
            return false;
        }
    }
    return true;
}

/* Handles every service in order (§1.3: all are attempted) and writes the
 * comment: what fired, then one outcome per service. */
static void handle_all(const struct oa_run_ctx *ctx, const struct oa_pvalue *names,
                       const struct oa_watch *w, struct oa_outcome *out)
{
    struct oa_osinfo os;
    struct oa_item it;
    struct svc s;
    struct oa_buf comment;
    char what[1024], path[4096];
    bool have_service = oa_tool_which("service", path, sizeof(path)) != NULL;
    bool ok = true, changed = false;

    oa_osinfo_read(&os);
    /* The outcome cuts what does not fit in a comment. */
    oa_buf_init(&comment, SERVICE_CAPTURE_MAX);
    if (oa_watch_describe(w, what, sizeof(what))[0])
        (void)oa_buf_printf(&comment, "%s: ", what);
    for (size_t i = 0; i < names->n; i++) {
        service_setup(&s, names->kv[i].key, os.init, have_service);
        handle_service(ctx, &s, names->kv[i].value, w->fired, &it);
        ok &= it.ok;
        changed |= it.changed;
        (void)oa_buf_printf(&comment, "%s%s", i ? "; " : "", it.text);
    }
    oa_outcome_set(out, ok, changed, "%s", comment.data ? comment.data : "");
    oa_buf_done(&comment);
}

static int service_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                       struct oa_outcome *out)
{
    const struct oa_pvalue *names = oa_params_get(p, "name");
    struct oa_watch_list list;
    struct oa_watch w = {0};
    int r;

    if (!names_valid(names, out))
        return 0;
    r = oa_watch_list_from_param(oa_params_get(p, "watch"), "watch", &list, out->comment,
                                 sizeof(out->comment));
    /* §1.7: evaluated once per state; the first sighting counts. */
    if (r == 0)
        r = oa_watch_compare(ctx->watch_dir, ctx->id, &list, true, &w, out->comment,
                             sizeof(out->comment));
    if (r < 0) {
        out->result = false;
        return 0;
    }
    handle_all(ctx, names, &w, out);
    /* Sums are stored only after success, so a failed action is retried. */
    if (out->result && !ctx->dry_run)
        (void)oa_watch_store_outcome(&w, out);
    oa_watch_done(&w);
    return 0;
}

const struct oa_module oa_mod_linux_service = {
    .name = "linux.service",
    .params = service_params,
    .n_params = sizeof(service_params) / sizeof(service_params[0]),
    .run = service_run,
};
