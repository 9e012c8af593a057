/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.supervisord (modules.md §4.2): make sure a supervisord bound to a
 * given config runs, with the named programs or groups running under it.
 * Watched files restart the named programs (§1.7, first sighting counts);
 * the config itself is watched too (first sighting is a baseline) and a
 * change runs `reread` + `update` (⚠ §D: the original ignored it). Every
 * supervisorctl call takes `-c <config>`; any output containing "ERROR"
 * fails the state with that output. Only the daemon bound to `config` is
 * managed, never the distribution's own. Runs in the exec-state child and
 * blocks on the tools.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "fsutil.h"
#include "mem.h"
#include "modules.h"
#include "osinfo.h"
#include "prereq.h"
#include "tool.h"
#include "watch.h"

/* modules.md §1.11: how long a freshly started daemon has to answer. */
#ifndef SUPERVISORD_WAIT_MS
#define SUPERVISORD_WAIT_MS 5000
#endif
#define SUPERVISORD_POLL_MS 100
#define SUPERVISORD_CAPTURE_MAX (256u << 10)
#define SUPERVISORD_NAME_MAX 200

static const struct oa_param_spec supervisord_params[] = {
    {"config", OA_PT_LINE, OA_PF_REQUIRED},
    {"name", OA_PT_ARRAY, OA_PF_REQUIRED},
    {"watch", OA_PT_ARRAY_OR_BOOL, 0},
};

/* One run of the module. */
struct sv {
    const struct oa_run_ctx *ctx;
    const char *config;
    bool fired;          /* a watched file fired: restart the programs */
    bool daemon_started; /* this run started supervisord */
    bool reread_done;    /* `reread` ran already */
    char *status;        /* `supervisorctl status` output, or NULL */
};

/* Whether text says "error" in any case (§4.2: that fails the state). */
static bool says_error(const char *text)
{
    for (const char *p = text; p && *p; p++)
        if (strncasecmp(p, "error", 5) == 0)
            return true;
    return false;
}

/* `supervisorctl pid` prints the daemon's pid when it answers, and an
 * error text otherwise. Returns the pid, or 0. */
static long parse_pid(const char *text)
{
    long pid = 0;
    const char *p = text ? text : "";

    p += strspn(p, " \t\r\n");
    if (!isdigit((unsigned char)*p))
        return 0;
    for (; isdigit((unsigned char)*p); p++) {
        pid = pid * 10 + (*p - '0');
        if (pid > 0x7fffffffL)
            return 0;
    }
    return p[strspn(p, " \t\r\n")] == '\0' ? pid : 0;
}

/* The state word of one `supervisorctl status` line ("foo  RUNNING  pid
 * 12, uptime 0:01:02"): the name into name, the state into state. Returns
 * false for lines without both. */
static bool status_line(const char *line, size_t len, char *name, size_t nlen, char *state,
                        size_t slen)
{
    size_t a = strcspn(line, " \t"), b, c;

    if (a >= len || a >= nlen)
        return false;
    b = a + strspn(line + a, " \t");
    c = b < len ? strcspn(line + b, " \t\r\n") : 0;
    if (c == 0 || b + c > len || c >= slen)
        return false;
    snprintf(name, nlen, "%.*s", (int)a, line);
    snprintf(state, slen, "%.*s", (int)c, line + b);
    return true;
}

/* Finds name in `supervisorctl status` output: a process by its own name,
 * or a group g by its entries g:* (modules.md §4.2 step 2). A group is
 * RUNNING when all its processes are; otherwise it takes the state of the
 * first one that is not. Returns false when name is unknown. */
static bool lookup_state(const char *status, const char *name, char *state, size_t slen,
                         bool *ret_group)
{
    size_t nlen = strlen(name);
    char line_name[SUPERVISORD_NAME_MAX * 2 + 2], line_state[32];
    bool found = false;

    *ret_group = false;
    for (const char *l = status ? status : ""; *l;) {
        size_t len = strcspn(l, "\n");
        if (status_line(l, len, line_name, sizeof(line_name), line_state, sizeof(line_state))) {
            if (strcmp(line_name, name) == 0) {
                snprintf(state, slen, "%s", line_state);
                *ret_group = false;
                return true;
            }
            if (strncmp(line_name, name, nlen) == 0 && line_name[nlen] == ':') {
                if (!found || (strcmp(state, "RUNNING") == 0 && strcmp(line_state, "RUNNING") != 0))
                    snprintf(state, slen, "%s", line_state);
                found = *ret_group = true;
            }
        }
        l += len;
        if (*l)
            l++;
    }
    return found;
}

static bool valid_program_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > SUPERVISORD_NAME_MAX || name[0] == '-')
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* Runs `supervisorctl -c config ARGS…` (args NULL-terminated, at most 3)
 * with its stdout kept in cap. Returns 0 with the wait status, or a
 * negative code with why. */
static int ctl(const struct sv *sv, const char *const *args, struct oa_buf *cap, int *status,
               char *why, size_t len)
{
    char *argv[8] = {(char *)"supervisorctl", (char *)"-c", (char *)sv->config};
    size_t n = 3;

    for (size_t i = 0; args[i] && n < 7; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    oa_buf_reset(cap);
    return oa_tool_exec(argv, NULL, cap, status, why, len);
}

/* Runs an action through supervisorctl; its output goes to the state's
 * output. Returns true on success; otherwise it has the failure: the
 * output itself when it says ERROR (§4.2), else what failed. */
static bool ctl_action(const struct sv *sv, const char *const *args, struct oa_item *it)
{
    char why[256], st[64], cmd[256];
    struct oa_buf cap;
    int status, r;
    bool ok = false;

    snprintf(cmd, sizeof(cmd), "supervisorctl %s%s%s", args[0], args[1] ? " " : "",
             args[1] ? args[1] : "");
    printf("+ %s\n", cmd);
    oa_buf_init(&cap, SUPERVISORD_CAPTURE_MAX);
    r = ctl(sv, args, &cap, &status, why, sizeof(why));
    if (r == 0 && cap.len)
        fputs(cap.data, stdout);
    if (r < 0) {
        oa_item_set(it, false, false, "%s", why);
    } else if (says_error(cap.data)) {
        size_t n = cap.len;
        while (n && (cap.data[n - 1] == '\n' || cap.data[n - 1] == ' '))
            n--;
        for (size_t i = 0; i < n; i++)
            if (cap.data[i] == '\n')
                cap.data[i] = ' ';
        oa_item_set(it, false, true, "%.*s", (int)n, cap.data);
    } else if (!oa_tool_ok(status)) {
        oa_item_set(it, false, true, "%s %s", cmd, oa_tool_status_text(status, st, sizeof(st)));
    } else {
        ok = true;
    }
    oa_buf_done(&cap);
    return ok;
}

/* Whether supervisord answers on config. Returns 1, 0, or a negative code
 * with why. */
static int daemon_up(const struct sv *sv, char *why, size_t len)
{
    static const char *const args[] = {"pid", NULL};
    struct oa_buf cap;
    int status, r;

    oa_buf_init(&cap, 4096);
    r = ctl(sv, args, &cap, &status, why, len);
    if (r == 0)
        r = parse_pid(cap.data) > 0 ? 1 : 0;
    oa_buf_done(&cap);
    return r;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* §4.2 step 1: `supervisord -c config`, then wait for it to answer. */
static bool start_daemon(struct sv *sv, struct oa_item *it)
{
    char *argv[] = {(char *)"supervisord", (char *)"-c", (char *)sv->config, NULL};
    char why[256], st[64];
    int status, r;

    printf("+ supervisord -c %s\n", sv->config);
    if (oa_tool_exec(argv, NULL, NULL, &status, why, sizeof(why)) < 0) {
        oa_item_set(it, false, false, "%s", why);
        return false;
    }
    if (!oa_tool_ok(status)) {
        oa_item_set(it, false, false, "supervisord -c %s %s", sv->config,
                    oa_tool_status_text(status, st, sizeof(st)));
        return false;
    }
    sv->daemon_started = true;
    for (long waited = 0;; waited += SUPERVISORD_POLL_MS) {
        if ((r = daemon_up(sv, why, sizeof(why))) != 0)
            break;
        if (waited >= SUPERVISORD_WAIT_MS)
            break;
        pause_ms(SUPERVISORD_POLL_MS);
    }
    if (r <= 0) {
        oa_item_set(it, false, true, "supervisord -c %s did not answer within %d s%s%s", sv->config,
                    SUPERVISORD_WAIT_MS / 1000, r < 0 ? ": " : "", r < 0 ? why : "");
        return false;
    }
    oa_item_set(it, true, true, "supervisord started with %s", sv->config);
    return true;
}

/* Reads `supervisorctl status` into sv->status. Its exit status is not
 * zero when a process is not running, so only the text counts. */
static bool read_status(struct sv *sv, struct oa_item *it)
{
    static const char *const args[] = {"status", NULL};
    char why[256];
    struct oa_buf cap;
    int status;

    oa_buf_init(&cap, SUPERVISORD_CAPTURE_MAX);
    if (ctl(sv, args, &cap, &status, why, sizeof(why)) < 0) {
        oa_buf_done(&cap);
        oa_item_set(it, false, false, "%s", why);
        return false;
    }
    oa_free(sv->status);
    sv->status = oa_buf_steal(&cap, NULL);
    oa_buf_done(&cap);
    if (!sv->status) {
        oa_item_set(it, false, false, "out of memory");
        return false;
    }
    return true;
}

/* §4.2 step 3, a name supervisord does not know: reread (once), add. */
static void add_program(struct sv *sv, const char *name, struct oa_item *it)
{
    static const char *const reread[] = {"reread", NULL};
    const char *add[] = {"add", name, NULL};

    if (sv->ctx->dry_run) {
        oa_item_set(it, true, true, "would add %s", name);
        return;
    }
    if (!sv->reread_done && !ctl_action(sv, reread, it))
        return;
    sv->reread_done = true;
    if (ctl_action(sv, add, it))
        oa_item_set(it, true, true, "%s added", name);
}

/* start or restart name (a group: g:*). */
static void program_action(struct sv *sv, const char *verb, const char *name, bool group,
                           struct oa_item *it)
{
    char target[SUPERVISORD_NAME_MAX + 3];
    const char *args[] = {verb, target, NULL};

    snprintf(target, sizeof(target), group ? "%s:*" : "%s", name);
    if (sv->ctx->dry_run) {
        oa_item_set(it, true, true, "would %s %s", verb, name);
        return;
    }
    if (ctl_action(sv, args, it))
        oa_item_set(it, true, true, "%s %s", name,
                    !strcmp(verb, "start") ? "started" : "restarted");
}

static void handle_program(struct sv *sv, const char *name, struct oa_item *it)
{
    char state[32];
    bool group;

    if (!lookup_state(sv->status, name, state, sizeof(state), &group)) {
        add_program(sv, name, it);
    } else if (!strcmp(state, "RUNNING") && sv->daemon_started) {
        oa_item_set(it, true, true, "%s started", name);
    } else if (!strcmp(state, "RUNNING")) {
        if (sv->fired)
            program_action(sv, "restart", name, group, it);
        else
            oa_item_set(it, true, false, "%s already running", name);
    } else if (!strcmp(state, "STARTING") && !sv->fired) {
        /* supervisord is starting it already; `start` would only answer
         * "ERROR (already started)". */
        oa_item_set(it, true, sv->daemon_started, "%s starting", name);
    } else if (!strcmp(state, "STARTING") || !strcmp(state, "BACKOFF")) {
        /* `start` refuses these states too: stop and start again. */
        program_action(sv, "restart", name, group, it);
    } else {
        program_action(sv, "start", name, group, it);
    }
}

/* Appends an outcome to the comment. */
static void note(struct oa_buf *comment, bool *ok, bool *changed, const struct oa_item *it)
{
    (void)oa_buf_printf(comment, "%s%s", comment->len ? "; " : "", it->text);
    *ok &= it->ok;
    *changed |= it->changed;
}

/* §4.2 steps 1 to 3, after the parameters and the watches were read. */
static void supervise(struct sv *sv, const struct oa_pvalue *names, bool config_changed,
                      struct oa_buf *comment, bool *ok, bool *changed)
{
    static const char *const update[][2] = {{"reread", NULL}, {"update", NULL}};
    struct oa_item it = {0};
    char why[256];
    int r;

    if ((r = daemon_up(sv, why, sizeof(why))) < 0 || (r == 0 && sv->ctx->dry_run)) {
        if (r < 0)
            oa_item_set(&it, false, false, "%s", why);
        else
            oa_item_set(&it, true, true, "would start supervisord with %s, then the programs",
                        sv->config);
        note(comment, ok, changed, &it);
        return;
    }
    if (r == 0 && !start_daemon(sv, &it)) {
        note(comment, ok, changed, &it);
        return;
    }
    if (sv->daemon_started) {
        /* The programs start with the files as they are now: the watch
         * has nothing left to restart. */
        sv->fired = false;
        note(comment, ok, changed, &it);
    }
    /* A daemon started just now has read the new config already. */
    if (config_changed && !sv->daemon_started) {
        if (sv->ctx->dry_run)
            oa_item_set(&it, true, true, "%s changed: would reread and update", sv->config);
        else if (ctl_action(sv, update[0], &it) && ctl_action(sv, update[1], &it))
            oa_item_set(&it, true, true, "%s changed: reread and updated", sv->config);
        sv->reread_done = true;
        note(comment, ok, changed, &it);
        if (!it.ok)
            return;
    }
    if (!read_status(sv, &it)) {
        note(comment, ok, changed, &it);
        return;
    }
    for (size_t i = 0; i < names->n; i++) {
        handle_program(sv, names->items[i], &it);
        note(comment, ok, changed, &it);
    }
}

static bool check_params(const char *config, const struct oa_pvalue *names, struct oa_outcome *out)
{
    struct stat st;

    if (!oa_fs_is_absolute(config)) {
        oa_outcome_set(out, false, false, "parameter 'config': '%.200s' is not an absolute path",
                       config);
        return false;
    }
    for (size_t i = 0; i < names->n; i++) {
        if (!valid_program_name(names->items[i])) {
            oa_outcome_set(out, false, false,
                           "parameter 'name': '%.200s' is not a valid program or group name",
                           names->items[i]);
            return false;
        }
    }
    if (stat(config, &st) < 0) {
        oa_outcome_set(out, false, false, "supervisord config %s: %s", config, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        oa_outcome_set(out, false, false, "supervisord config %s: not a regular file", config);
        return false;
    }
    return true;
}

/* The watches: `watch` fires on first sighting, the config only after its
 * baseline (§4.2 step 4). Without a watch dir the config is not watched. */
static int compare_watches(const struct oa_run_ctx *ctx, const struct oa_params *p,
                           const char *config, struct oa_watch *w, struct oa_watch *cw,
                           struct oa_outcome *out)
{
    char *files[] = {(char *)config};
    struct oa_watch_list list, clist = {files, 1, false};
    int r;

    r = oa_watch_list_from_param(oa_params_get(p, "watch"), "watch", &list, out->comment,
                                 sizeof(out->comment));
    if (r == 0)
        r = oa_watch_compare(ctx->watch_dir, ctx->id, &list, true, w, out->comment,
                             sizeof(out->comment));
    if (r == 0 && ctx->watch_dir && *ctx->watch_dir)
        r = oa_watch_compare(ctx->watch_dir, ctx->id, &clist, false, cw, out->comment,
                             sizeof(out->comment));
    if (r < 0)
        out->result = false;
    return r;
}

static void finish(struct sv *sv, const struct oa_watch *w, const struct oa_watch *cw,
                   struct oa_buf *comment, bool ok, bool changed, struct oa_outcome *out)
{
    char what[1024];

    oa_watch_describe(w, what, sizeof(what));
    oa_outcome_set(out, ok, changed, "%s%s%s", what, what[0] ? ": " : "",
                   comment->data ? comment->data : "");
    /* Sums are stored only after success, so a failed restart is retried. */
    if (ok && !sv->ctx->dry_run && oa_watch_store_outcome(w, out) == 0)
        (void)oa_watch_store_outcome(cw, out);
}

static int supervisord_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                           struct oa_outcome *out)
{
    const struct oa_pvalue *names = oa_params_get(p, "name");
    struct sv sv = {ctx, oa_params_str(p, "config"), false, false, false, NULL};
    struct oa_watch w = {0}, cw = {0};
    struct oa_osinfo os;
    struct oa_buf comment;
    bool ok = true, changed = false, installed;

    if (!check_params(sv.config, names, out) ||
        compare_watches(ctx, p, sv.config, &w, &cw, out) < 0)
        goto done;
    oa_osinfo_read(&os);
    oa_buf_init(&comment, SUPERVISORD_CAPTURE_MAX);
    if (oa_prereq_ensure(ctx, &os, "supervisord", "supervisor", "supervisor", &installed, out) <
        0) {
        oa_buf_done(&comment);
        goto done;
    }
    if (installed)
        (void)oa_buf_printf(&comment, "%s supervisor",
                            ctx->dry_run ? "would install" : "installed");
    changed = installed;
    sv.fired = w.fired;
    if (installed && ctx->dry_run)
        (void)oa_buf_printf(&comment, "; would start supervisord with %s, then the programs",
                            sv.config);
    else
        supervise(&sv, names, cw.fired, &comment, &ok, &changed);
    finish(&sv, &w, &cw, &comment, ok, changed, out);
    oa_buf_done(&comment);
done:
    oa_free(sv.status);
    oa_watch_done(&w);
    oa_watch_done(&cw);
    return 0;
}

const struct oa_module oa_mod_linux_supervisord = {
    .name = "linux.supervisord",
    .params = supervisord_params,
    .n_params = sizeof(supervisord_params) / sizeof(supervisord_params[0]),
    .run = supervisord_run,
};
