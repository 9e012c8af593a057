/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The self-update on the loop (update.h). It owns the exec-update child
 * (agent/exec), two timers (the rollback deadline, and a 0 ms one that
 * reports a refusal from the next loop turn rather than from inside the
 * Manager's dispatch), one uv_fs_t (removing the marker) and one uv_work_t
 * (restoring the previous binary). It never touches the Manager or the
 * StatesWorker: it tells its owner through struct oa_update_ops.
 */
#include "update.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtins.h"
#include "cfg.h"
#include "child.h"
#include "exec.h"
#include "fetch.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "once.h"
#include "parse.h"
#include "runas.h"

#define CHILD_OUTPUT_MAX 65536
#define VERSION_MAX 128

struct oa_update {
    uv_loop_t *loop;
    const struct oa_update_ops *ops;
    void *ud;
    char *key, *exe, *state_dir, *ca_file, *proxy, *no_proxy, *marker, *prev;
    uint64_t deadline_ms, kill_grace_ms;
    char **env;

    char *version;         /* the update in progress, or NULL */
    struct oa_exec *child; /* its exec-update child, while it runs */

    struct oa_update_marker pending; /* this binary is an update not yet confirmed */
    bool is_pending;
    uv_timer_t deadline; /* the rollback deadline */
    uv_timer_t later;    /* reports later_text from the next loop turn */
    char *later_text;

    uv_fs_t unlink_req;
    bool unlinking;
    uv_work_t work; /* restoring EXE.prev */
    bool working;
    int work_result;
    char work_why[1024];

    bool closing;
    unsigned open_handles;
};

/* ---- lifetime ---- */

static void free_update(struct oa_update *u)
{
    char **strings[] = {&u->key,      &u->exe,    &u->state_dir, &u->ca_file, &u->proxy,
                        &u->no_proxy, &u->marker, &u->prev,      &u->version, &u->later_text};

    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        oa_free(*strings[i]);
    oa_update_marker_done(&u->pending);
    oa_runas_env_free(u->env);
    oa_free(u);
}

/* Frees u once it is closing and nothing it started is still in flight. */
static void maybe_free(struct oa_update *u)
{
    if (u->closing && u->open_handles == 0 && !u->child && !u->unlinking && !u->working)
        free_update(u);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct oa_update *u = h->data;

    u->open_handles--;
    maybe_free(u);
}

void oa_update_close(struct oa_update *u)
{
    if (!u || u->closing)
        return;
    u->closing = true;
    if (u->child)
        oa_exec_kill(u->child);
    u->open_handles = 2;
    uv_close((uv_handle_t *)&u->deadline, on_handle_closed);
    uv_close((uv_handle_t *)&u->later, on_handle_closed);
}

/* ---- restarting ---- */

static bool under_systemd(void)
{
    const char *a = getenv("INVOCATION_ID"), *b = getenv("NOTIFY_SOCKET");
    return (a && a[0]) || (b && b[0]);
}

int oa_update_exit_status(bool rollback)
{
    if (under_systemd())
        return rollback ? 1 : 0;
    return OA_UPDATE_REEXEC;
}

int oa_update_reexec(const char *exe, char *const argv[])
{
    oa_log(OA_LOG_NOTICE, "executing %s again", exe);
    fflush(NULL);
    execv(exe, argv);
    oa_log(OA_LOG_CRIT, "cannot execute %s again: %s", exe, strerror(errno));
    return OA_EXIT_SOFTWARE;
}

static const char *restart_how(void)
{
    return under_systemd() ? "restarting through systemd" : "restarting in place";
}

/* ---- the rollback deadline (this binary is a fresh update) ---- */

static void do_restore(uv_work_t *req)
{
    struct oa_update *u = req->data;

    u->work_why[0] = '\0';
    u->work_result = oa_update_copy_atomic(u->prev, u->exe, u->work_why, sizeof(u->work_why));
    /* A marker left behind is harmless: the restored binary has another
     * version and removes it at start-up. */
    if (u->work_result == 0 && unlink(u->marker) < 0 && errno != ENOENT)
        snprintf(u->work_why, sizeof(u->work_why), "%s", strerror(errno));
}

static void after_restore(uv_work_t *req, int status)
{
    struct oa_update *u = req->data;
    char d[32];

    u->working = false;
    oa_format_duration(u->deadline_ms, d, sizeof(d));
    if (status == 0 && u->work_result == 0) {
        oa_log(OA_LOG_CRIT, "update to %s did not reach READY in %s: rolled back to %s; %s",
               u->pending.version, d, u->pending.previous_version, restart_how());
        if (u->work_why[0])
            oa_log(OA_LOG_WARNING, "cannot remove the update marker %s: %s, ignoring", u->marker,
                   u->work_why);
        u->is_pending = false;
        if (!u->closing)
            u->ops->restart(u->ud, true);
    } else {
        oa_log(OA_LOG_ERR,
               "update to %s did not reach READY in %s, and rolling back to %s failed: %s; "
               "carrying on with %s",
               u->pending.version, d, u->pending.previous_version,
               status < 0 ? uv_strerror(status) : u->work_why, u->pending.version);
    }
    maybe_free(u);
}

static void on_deadline(uv_timer_t *t)
{
    struct oa_update *u = t->data;

    if (!u->is_pending || u->working || u->closing)
        return;
    u->work.data = u;
    if (uv_queue_work(u->loop, &u->work, do_restore, after_restore) == 0)
        u->working = true;
    else
        oa_log(OA_LOG_ERR, "update to %s did not reach READY, and the rollback cannot start",
               u->pending.version);
}

static void on_marker_removed(uv_fs_t *req)
{
    struct oa_update *u = req->data;

    u->unlinking = false;
    if (req->result < 0 && req->result != UV_ENOENT)
        oa_log(OA_LOG_WARNING, "update to %s confirmed, but the marker %s stays: %s, ignoring",
               u->pending.version, u->marker, uv_strerror((int)req->result));
    else
        oa_log(OA_LOG_NOTICE, "update to %s confirmed", u->pending.version);
    uv_fs_req_cleanup(req);
    maybe_free(u);
}

void oa_update_ready(struct oa_update *u)
{
    if (!u || !u->is_pending || u->working || u->unlinking || u->closing)
        return;
    u->is_pending = false;
    uv_timer_stop(&u->deadline);
    u->unlink_req.data = u;
    if (uv_fs_unlink(u->loop, &u->unlink_req, u->marker, on_marker_removed) == 0)
        u->unlinking = true;
    else
        oa_log(OA_LOG_WARNING, "update to %s confirmed, but its marker %s stays, ignoring",
               u->pending.version, u->marker);
}

/* At start-up: a marker naming this version arms the deadline; another is
 * stale (rollback-check restored the binary it names, or it never got in). */
static void check_marker(struct oa_update *u)
{
    struct oa_update_marker m;
    struct timespec now;
    char why[1024], d[32];
    int r = oa_update_marker_read(u->marker, &m, why, sizeof(why));

    if (r == -ENOENT)
        return;
    if (r < 0 || strcmp(m.version, OA_VERSION) != 0) {
        if (r < 0)
            oa_log(OA_LOG_WARNING, "%s; removing it", why);
        else
            oa_log(OA_LOG_WARNING,
                   "the update marker %s names version %s, but this is %s: removing it", u->marker,
                   m.version, OA_VERSION);
        (void)unlink(u->marker);
        if (r == 0)
            oa_update_marker_done(&m);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    /* Started in the foreground (re-exec), rollback-check did not run: the
     * window starts now. The file is tiny and local, as the token is. */
    if (oa_update_marker_start(&m, now.tv_sec) &&
        oa_update_marker_write(u->marker, &m, why, sizeof(why)) < 0)
        oa_log(OA_LOG_WARNING, "cannot start the update's deadline in its marker: %s", why);
    u->pending = m;
    u->is_pending = true;
    uint64_t left = oa_update_remaining_ms(&m, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    /* Whole seconds for people: the deadline is in seconds anyway. */
    oa_log(OA_LOG_NOTICE, "update to %s (from %s): READY within %s or back to %s", m.version,
           m.previous_version, oa_format_duration((left + 999) / 1000 * 1000, d, sizeof(d)),
           m.previous_version);
    uv_timer_start(&u->deadline, on_deadline, left, 0);
}

/* ---- creating ---- */

/* The children's environment is clean, so the agent's proxy settings are
 * passed on in the request instead (as for states). */
static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    return v && v[0] ? v : getenv(b);
}

/* PATH, LANG and the sanitizer options of test builds. */
static char **child_env(void)
{
    static const char *const passed[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
    const char *names[5] = {"PATH", "LANG"}, *values[5] = {OA_RUNAS_PATH, "C.UTF-8"};
    size_t k = 2;
    char **env;

    for (size_t i = 0; i < 3; i++) {
        if (getenv(passed[i])) {
            names[k] = passed[i];
            values[k++] = getenv(passed[i]);
        }
    }
    if (!(env = oa_calloc(k + 1, sizeof(*env))))
        return NULL;
    /* Filled in order, so that a failure leaves a NULL-terminated list. */
    for (size_t i = 0; i < k; i++) {
        if (!(env[i] = oa_runas_env_entry(names[i], values[i]))) {
            oa_runas_env_free(env);
            return NULL;
        }
    }
    return env;
}

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? oa_strdup(s) : NULL;

    if (s && !d)
        *ok = false;
    return d;
}

static char *joined(const char *a, const char *b, bool *ok)
{
    size_t n = strlen(a), m = strlen(b);
    char *s = oa_malloc(n + m + 1);

    if (!s) {
        *ok = false;
        return NULL;
    }
    snprintf(s, n + m + 1, "%s%s", a, b);
    return s;
}

int oa_update_new(uv_loop_t *loop, const struct oa_cfg *cfg, const char *self_exe,
                  const struct oa_update_ops *ops, void *ud, struct oa_update **ret)
{
    const char *proxy =
        cfg->proxy && cfg->proxy[0] ? cfg->proxy : env_first("https_proxy", "HTTPS_PROXY");
    struct oa_update *u = oa_calloc(1, sizeof(*u));
    bool ok = true;

    if (!u)
        return -ENOMEM;
    u->loop = loop;
    u->ops = ops;
    u->ud = ud;
    u->key = dup_or_null(cfg->update_key, &ok);
    u->exe = dup_or_null(self_exe, &ok);
    u->state_dir = dup_or_null(cfg->state_dir, &ok);
    u->ca_file = dup_or_null(cfg->ca_file, &ok);
    u->proxy = dup_or_null(proxy, &ok);
    u->no_proxy = dup_or_null(env_first("no_proxy", "NO_PROXY"), &ok);
    u->marker = joined(cfg->state_dir, "/" OA_UPDATE_MARKER_NAME, &ok);
    u->prev = joined(self_exe, ".prev", &ok);
    u->env = child_env();
    u->deadline_ms = cfg->update_deadline_ms;
    u->kill_grace_ms = cfg->kill_grace_ms;
    if (!ok || !u->env) {
        free_update(u);
        return -ENOMEM;
    }
    uv_timer_init(loop, &u->deadline);
    uv_timer_init(loop, &u->later);
    u->deadline.data = u->later.data = u;
    check_marker(u);
    *ret = u;
    return 0;
}

/* ---- an AgentUpdate ---- */

static void on_later(uv_timer_t *t)
{
    struct oa_update *u = t->data;
    char *text = u->later_text;

    u->later_text = NULL;
    if (text && !u->closing)
        u->ops->failed(u->ud, text);
    oa_free(text);
}

/* Logs text as an error and tells the owner from the next loop turn. */
static void refuse(struct oa_update *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct oa_update *u, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    oa_log(OA_LOG_ERR, "%s", text);
    oa_free(u->later_text);
    u->later_text = oa_strdup(text);
    uv_timer_start(&u->later, on_later, 0, 0);
}

/* What `opsagent exec-update` said, in one line for the log and init_errors. */
static bool judge(const struct oa_exec_outcome *x, char *why, size_t len)
{
    struct oa_child_result res;
    char detail[512];

    if (!x) {
        snprintf(why, len, "out of memory");
    } else if (x->spawn_error < 0) {
        snprintf(why, len, "cannot start opsagent exec-update: %s", uv_strerror(x->spawn_error));
    } else if (x->timed_out || x->killed) {
        snprintf(why, len, "opsagent exec-update %s",
                 x->timed_out ? "took too long and was killed" : "was killed");
    } else if (x->result && oa_child_decode_result(x->result, x->result_len, &res, detail,
                                                   sizeof(detail)) == 0) {
        snprintf(why, len, "%s", res.comment ? res.comment : "no reason given");
        oa_child_result_done(&res);
        return res.result;
    } else {
        snprintf(why, len, "opsagent exec-update ended without a result (status %lld, signal %d)",
                 (long long)x->exit_status, x->term_signal);
    }
    return false;
}

static void on_child_done(struct oa_exec_outcome *x, void *ud)
{
    struct oa_update *u = ud;
    char why[2048];
    bool ok;

    u->child = NULL;
    if (x && x->output_len)
        oa_debug("update: exec-update said: %s", x->output);
    ok = judge(x, why, sizeof(why));
    oa_exec_outcome_free(x);
    if (u->closing) {
        maybe_free(u);
        return;
    }
    if (!ok) {
        refuse(u, "update to %s failed: %s", u->version, why);
        oa_free(u->version);
        u->version = NULL;
        return;
    }
    /* u->version stays set: the restart is the rest of this update. */
    oa_log(OA_LOG_NOTICE, "update to %s: %s; %s", u->version, why, restart_how());
    u->ops->restart(u->ud, false);
}

static int encode_request(const struct oa_update *u, const char *version, const char *url,
                          struct oa_buf *out)
{
    const char *keys[] = {"version",   "url",     "key",   "exe",
                          "state_dir", "ca_file", "proxy", "no_proxy"};
    const char *values[] = {version,      url,        u->key,   u->exe,
                            u->state_dir, u->ca_file, u->proxy, u->no_proxy};
    yajl_gen g = oa_json_gen_new();
    const unsigned char *text;
    size_t len;
    int r;

    if (!g)
        return -ENOMEM;
    r = yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    for (size_t i = 0; r == 0 && i < sizeof(keys) / sizeof(keys[0]); i++)
        r = oa_json_gen_key_str(g, keys[i], values[i]);
    if (r == 0)
        r = oa_json_gen_key_int(g, "deadline_ms", (long long)u->deadline_ms);
    if (r == 0 && (yajl_gen_map_close(g) != yajl_gen_status_ok ||
                   yajl_gen_get_buf(g, &text, &len) != yajl_gen_status_ok))
        r = -ENOMEM;
    if (r == 0)
        r = oa_buf_append(out, text, len);
    yajl_gen_free(g);
    return r;
}

static int spawn_child(struct oa_update *u, const char *version, const char *url)
{
    char *argv[] = {u->exe, (char *)"exec-update", NULL};
    struct oa_exec_spec spec = {.file = u->exe,
                                .argv = argv,
                                .env = u->env,
                                .timeout_ms = OA_UPDATE_CHILD_TIMEOUT_MS,
                                .kill_grace_ms = u->kill_grace_ms,
                                .output_limit = CHILD_OUTPUT_MAX,
                                .result_fd = true};
    struct oa_buf req;
    int r;

    oa_buf_init(&req, SIZE_MAX);
    r = encode_request(u, version, url, &req);
    if (r == 0) {
        spec.input = req.data;
        spec.input_len = req.len;
        r = oa_exec_start(u->loop, &spec, on_child_done, u, &u->child);
    }
    oa_buf_done(&req);
    return r;
}

/* A version goes into file names' neighbours, the marker and log lines. */
static bool plain_version(const char *v)
{
    size_t n = strlen(v);

    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f || v[i] == '\'' || v[i] == '"')
            return false;
    return n > 0 && n <= VERSION_MAX;
}

void oa_update_start(struct oa_update *u, const char *version, const char *url)
{
    char shown[OA_FETCH_SHOWN_MAX];

    if (u->closing)
        return;
    if (u->version) {
        oa_log(OA_LOG_WARNING, "an update is already in progress, ignoring AgentUpdate to %s",
               version);
        return;
    }
    if (!plain_version(version)) {
        refuse(u,
               "update refused: the version is not one word of at most %d printable "
               "characters",
               VERSION_MAX);
        return;
    }
    if (!u->key) {
        refuse(u, "update to %s refused: no update_key configured", version);
        return;
    }
    if (!(u->version = oa_strdup(version)) || spawn_child(u, version, url) < 0) {
        refuse(u, "update to %s failed: out of memory", version);
        oa_free(u->version);
        u->version = NULL;
        return;
    }
    /* A password in the URL is masked, and the query part, which may hold
     * a token, is not logged (as in the download's own messages). */
    oa_log(OA_LOG_NOTICE, "update to %s: downloading %s, checked against %s", version,
           oa_fetch_shown_url(url, shown, sizeof(shown)), u->key);
}
