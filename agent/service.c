/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The service: one loop, the Manager, the StatesWorker, the child runner
 * and the signals. The two machines meet only here, through their ops
 * tables; neither calls the other's code directly.
 */
#include "service.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfgedit.h"
#include "cloud.h"
#include "common_sources.h"
#include "ctl.h"
#include "daemon.h"
#include "ident.h"
#include "log.h"
#include "mem.h"
#include "mgr.h"
#include "netcfg.h"
#include "once.h"
#include "rng.h"
#include "staterun.h"
#include "status.h"
#include "sw.h"
#include "update.h"
#include "userdata.h"

struct service {
    struct oa_cfg *cfg; /* user data may change it */
    bool check;
    int exit_code;
    uv_loop_t loop;
    struct oa_rng *rng;
    struct oa_ident ident;
    struct oa_netcfg net;
    struct oa_staterun runner;
    struct oa_sw_runner sw_runner;
    struct oa_sw *sw;
    struct oa_mgr *mgr;
    uv_signal_t sigterm, sigint, sigusr1, sighup;
    uv_timer_t check_timer;
    unsigned stop_signals;
    int lock_fd;
    struct oa_ctl *ctl;
    time_t started;
    bool loop_ok;
    /* The self-update; NULL in check mode. */
    struct oa_update *upd;
    char *mod_repo, *mod_tag; /* the module repository in use */
    struct oa_cloud *lookup;  /* the cloud identity lookup, in progress */
    char *looked_up_id;       /* its instance id */
    struct oa_daemon daemon;  /* sd_notify */
    char *lookup_error;       /* what went wrong in it */
    char *update_errors;      /* the self-update failures, for init_errors */
};

/* ---- StatesWorker → Manager ---- */

static int sw_submit(void *ud, struct oa_statelog *log)
{
    struct service *s = ud;

    if (!s->mgr) {
        oa_msg_statelog_free(log);
        return -EAGAIN;
    }
    return oa_mgr_submit_statelog(s->mgr, log);
}

static void close_handles(struct service *s);

static void sw_stopped(void *ud)
{
    struct service *s = ud;

    oa_daemon_stopping(&s->daemon);
    if (s->mgr)
        oa_mgr_stop(s->mgr);
    else
        close_handles(s);
}

static void changed(void *ud);
static const struct oa_sw_ops sw_ops = {sw_submit, NULL, sw_stopped, changed};

/* ---- Manager → StatesWorker ---- */

static void mgr_ready(void *ud)
{
    struct service *s = ud;

    oa_update_ready(s->upd);
    if (s->sw)
        oa_sw_resume(s->sw);
}

/* Writing values back into the config file, off the loop (uv_queue_work:
 * the file is small, but the loop never waits for a disk). */
#define MAX_EDITS 5

struct writeback {
    uv_work_t req;
    char *path;
    struct oa_cfgedit edits[MAX_EDITS];
    char *values[MAX_EDITS];
    size_t n;
    int result;
    char why[512];
};

static void free_writeback(struct writeback *w)
{
    oa_free(w->path);
    for (size_t i = 0; i < w->n; i++)
        oa_free(w->values[i]);
    oa_free(w);
}

static void do_writeback(uv_work_t *req)
{
    struct writeback *w = req->data;
    w->result = oa_cfgedit_file(w->path, w->edits, w->n, w->why, sizeof(w->why));
}

static void after_writeback(uv_work_t *req, int status)
{
    struct writeback *w = req->data;

    if (status == 0 && w->result < 0)
        oa_log(OA_LOG_WARNING, "%s; the new values are used anyway", w->why);
    else if (status == 0)
        oa_log(OA_LOG_INFO, "wrote %zu changed value(s) back into %s", w->n, w->path);
    free_writeback(w);
}

/* Queues the edits (section and key are static strings; values are copied). */
static void write_back(struct service *s, const struct oa_cfgedit *edits, size_t n)
{
    struct writeback *w = oa_calloc(1, sizeof(*w));
    bool ok = w && s->cfg->path && n <= MAX_EDITS && (w->path = oa_strdup(s->cfg->path));

    for (size_t i = 0; ok && i < n; i++) {
        w->edits[i] = edits[i];
        ok = (w->values[i] = oa_strdup(edits[i].value)) != NULL;
        w->edits[i].value = w->values[i];
        w->n = i + 1;
    }
    if (ok) {
        w->req.data = w;
        if (uv_queue_work(&s->loop, &w->req, do_writeback, after_writeback) == 0)
            return;
    }
    if (w)
        free_writeback(w);
}

static void write_back_module(struct service *s, const char *repo, const char *tag)
{
    const struct oa_cfgedit edits[] = {{"module", "mod_repo", repo}, {"module", "mod_tag", tag}};
    write_back(s, edits, 2);
}

/* The recipe's module repository, or the config's when the message has none;
 * a change is remembered and written back (protocol.md, RecipeMetadata). */
static void settle_module(struct service *s, struct oa_recipe *r)
{
    char shown[2048];

    if (!r->mod_repo) {
        if (s->mod_repo && s->mod_repo[0] && s->mod_tag && s->mod_tag[0]) {
            r->mod_repo = oa_strdup(s->mod_repo);
            r->mod_tag = oa_strdup(s->mod_tag);
        }
        return;
    }
    if (s->mod_repo && s->mod_tag && strcmp(s->mod_repo, r->mod_repo) == 0 &&
        strcmp(s->mod_tag, r->mod_tag) == 0)
        return;
    oa_free(s->mod_repo);
    oa_free(s->mod_tag);
    s->mod_repo = oa_strdup(r->mod_repo);
    s->mod_tag = oa_strdup(r->mod_tag);
    /* The repository URL may carry a password: the log shows it as ***. */
    oa_log(OA_LOG_NOTICE, "module repository is now %s at %s",
           oa_common_sources_mask_url(r->mod_repo, shown, sizeof(shown)), r->mod_tag);
    write_back_module(s, r->mod_repo, r->mod_tag);
}

static void mgr_recipe(void *ud, struct oa_recipe *r)
{
    struct service *s = ud;

    if (!s->sw) {
        oa_msg_recipe_free(r); /* check mode runs nothing */
        return;
    }
    settle_module(s, r);
    oa_sw_push_recipe(s->sw, r);
}

static void mgr_wait_done(void *ud, int64_t version, const char *id)
{
    struct service *s = ud;
    if (s->sw)
        oa_sw_wait_done(s->sw, version, id);
}

static void mgr_update(void *ud, const char *version, const char *url)
{
    struct service *s = ud;

    if (s->upd)
        oa_update_start(s->upd, version, url);
    else
        oa_log(OA_LOG_WARNING, "AgentUpdate to %s during check, ignoring", version);
}

/* ---- the self-update → the service ---- */

/* The failure stays in init_errors, across identity reloads, until the
 * agent restarts (with an update that worked, or by hand). */
static void upd_failed(void *ud, const char *text)
{
    struct service *s = ud;

    if (oa_ident_join_error(&s->update_errors, text) < 0 || oa_ident_add_error(&s->ident, text) < 0)
        oa_log(OA_LOG_WARNING, "out of memory recording the update failure, ignoring");
    if (s->mgr)
        oa_mgr_rehandshake(s->mgr);
}

static void upd_restart(void *ud, bool rollback)
{
    struct service *s = ud;

    s->exit_code = oa_update_exit_status(rollback);
    oa_sw_stop(s->sw, OA_STOP_WAIT);
}

static const struct oa_update_ops upd_ops = {upd_failed, upd_restart};

static void on_check_over(uv_timer_t *t)
{
    struct service *s = t->data;

    if (s->mgr)
        oa_mgr_stop(s->mgr);
    else
        close_handles(s);
}

/* Ends `check` with code; the Manager is stopped at the next loop turn, not
 * from inside its own callback. */
static void finish_check(struct service *s, int code)
{
    if (s->exit_code < 0)
        s->exit_code = code;
    uv_timer_start(&s->check_timer, on_check_over, 0, 0);
}

static void mgr_test_answer(void *ud, bool result, const char *error)
{
    struct service *s = ud;
    if (s->check)
        finish_check(s, result ? OA_EXIT_OK : OA_EXIT_FAILED);
}

/* What the metadata URL gave (or why it did not) goes into the identity,
 * and the update failures into its init_errors. */
static int apply_lookup(struct service *s, struct oa_ident *id)
{
    int r;

    if (s->looked_up_id) {
        char *copy = oa_strdup(s->looked_up_id);
        if (!copy)
            return -ENOMEM;
        oa_free(id->instance_id);
        id->instance_id = copy;
    }
    r = s->lookup_error ? oa_ident_add_error(id, s->lookup_error) : 0;
    return r == 0 && s->update_errors ? oa_ident_add_error(id, s->update_errors) : r;
}

static void mgr_reload_identity(void *ud)
{
    struct service *s = ud;
    struct oa_ident fresh;

    if (oa_ident_load(s->cfg, s->rng, &fresh) < 0 || apply_lookup(s, &fresh) < 0) {
        oa_log(OA_LOG_WARNING, "cannot re-read the identity: out of memory; keeping it");
        oa_ident_done(&fresh);
        return;
    }
    oa_ident_done(&s->ident);
    s->ident = fresh;
}

static int64_t mgr_waiting_version(void *ud)
{
    struct service *s = ud;
    return s->sw ? oa_sw_waiting_version(s->sw) : 0;
}

static void mgr_lost(void *ud, const char *why)
{
    struct service *s = ud;

    if (s->check) {
        oa_log(OA_LOG_ERR, "check failed: %s", why);
        finish_check(s, OA_EXIT_FAILED);
    }
}

static void on_closed_handle(uv_handle_t *h) {}

static void mgr_closed(void *ud)
{
    close_handles(ud);
}

/* The last step of stopping: what keeps the loop alive is closed. */
static void close_handles(struct service *s)
{
    oa_ctl_close(s->ctl);
    s->ctl = NULL;
    oa_update_close(s->upd);
    s->upd = NULL;
    oa_cloud_cancel(s->lookup);
    s->lookup = NULL;
    oa_daemon_close(&s->daemon);
    uv_close((uv_handle_t *)&s->sigterm, on_closed_handle);
    uv_close((uv_handle_t *)&s->sigint, on_closed_handle);
    uv_close((uv_handle_t *)&s->sigusr1, on_closed_handle);
    uv_close((uv_handle_t *)&s->sighup, on_closed_handle);
    uv_close((uv_handle_t *)&s->check_timer, on_closed_handle);
}

/* systemd's STATUS= line: both machines at a glance. */
static void changed(void *ud)
{
    struct service *s = ud;
    struct oa_sw_status w;
    char text[256];

    if (!s->daemon.notify)
        return;
    if (!s->mgr) {
        oa_daemon_status(&s->daemon, "asking the cloud for the instance's identity");
        return;
    }
    if (!s->sw) {
        snprintf(text, sizeof(text), "connection %s (check)", oa_mgr_state_name(s->mgr));
    } else {
        oa_sw_status(s->sw, &w);
        if (w.has_current)
            snprintf(text, sizeof(text), "connection %s; recipe %lld: %s %zu/%zu %s",
                     oa_mgr_state_name(s->mgr), (long long)w.recipe_version, w.state, w.index + 1,
                     w.n_states, w.id);
        else
            snprintf(text, sizeof(text), "connection %s; recipe %lld: %s",
                     oa_mgr_state_name(s->mgr), (long long)w.recipe_version, w.state);
    }
    oa_daemon_status(&s->daemon, text);
}

static const struct oa_mgr_ops mgr_ops = {
    mgr_ready,           mgr_recipe,          mgr_wait_done, mgr_update, mgr_test_answer,
    mgr_reload_identity, mgr_waiting_version, mgr_lost,      mgr_closed, changed,
};

/* ---- the control socket ---- */

static int ctl_status(void *ud, struct oa_buf *out)
{
    struct service *s = ud;
    struct oa_status_conn c = {s->mgr ? oa_mgr_state_name(s->mgr) : "STARTING", s->cfg->ws_uri,
                               s->mgr ? oa_mgr_queue_length(s->mgr) : 0};
    struct oa_sw_status w;

    oa_sw_status(s->sw, &w);
    return oa_status_encode(&c, &w, s->started, getpid(), out);
}

static void ctl_stop(void *ud, enum oa_stop_mode mode)
{
    struct service *s = ud;

    oa_log(OA_LOG_NOTICE, "stop requested through the control socket");
    oa_sw_stop(s->sw, mode);
}

static const struct oa_ctl_ops ctl_ops = {ctl_status, ctl_stop};

/* ---- signals ---- */

static void on_signal(uv_signal_t *h, int signum)
{
    struct service *s = h->data;

    if (signum == SIGHUP) {
        if (s->mgr) {
            mgr_reload_identity(s);
            oa_mgr_reconnect(s->mgr);
        }
        return;
    }
    if (!s->sw) {
        finish_check(s, OA_EXIT_FAILED);
        return;
    }
    if (signum == SIGUSR1) {
        oa_log(OA_LOG_NOTICE, "SIGUSR1: stopping after the current round");
        oa_sw_stop(s->sw, OA_STOP_END);
        return;
    }
    s->stop_signals++;
    oa_log(OA_LOG_NOTICE, "%s: %s", strsignal(signum),
           s->stop_signals == 1 ? "stopping after the running state (again to kill it)"
                                : "killing the running state");
    oa_sw_stop(s->sw, s->stop_signals == 1 ? OA_STOP_WAIT : OA_STOP_NOW);
}

static void on_check_timeout(uv_timer_t *t)
{
    struct service *s = t->data;

    oa_log(OA_LOG_ERR, "check failed: no TestAns from the backend in time");
    finish_check(s, OA_EXIT_FAILED);
}

static void start_signals(struct service *s)
{
    uv_signal_t *handles[] = {&s->sigterm, &s->sigint, &s->sigusr1, &s->sighup};
    int signums[] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};

    for (size_t i = 0; i < 4; i++) {
        uv_signal_init(&s->loop, handles[i]);
        handles[i]->data = s;
        uv_signal_start(handles[i], on_signal, signums[i]);
    }
}

static struct oa_mgr_settings mgr_settings(const struct oa_cfg *cfg)
{
    struct oa_mgr_settings ms = {
        .target = cfg->ws_uri,
        .insecure = cfg->insecure,
        .connect_timeout_ms = cfg->connect_timeout_ms,
        .keepalive_ms = cfg->keepalive_ms,
        .dead_after_ms = cfg->dead_after_ms,
        .reconnect_min_ms = cfg->reconnect_min_ms,
        .reconnect_max_ms = cfg->reconnect_max_ms,
        .handshake_retry_ms = cfg->handshake_retry_ms,
        .ready_reset_ms = 60000,
        .limits = {OA_JSON_DEFAULT_DEPTH, OA_MSG_MAX_STATES},
    };
    return ms;
}

/* Builds the parts; returns 0 or an exit status (already logged). */
static int build(struct service *s, const char *self_exe)
{
    const struct oa_cfg *cfg = s->cfg;
    struct oa_staterun_cfg rc = oa_staterun_cfg_from(cfg, self_exe, false);
    struct oa_sw_settings ss = {false, cfg->delay_ms, cfg->retry_wait_ms};
    char why[1024];
    int r;

    if ((r = uv_loop_init(&s->loop)) < 0) {
        oa_log(OA_LOG_CRIT, "cannot start the event loop: %s", uv_strerror(r));
        return OA_EXIT_SOFTWARE;
    }
    s->loop_ok = true;
    if ((cfg->mod_repo && !(s->mod_repo = oa_strdup(cfg->mod_repo))) ||
        (cfg->mod_tag && !(s->mod_tag = oa_strdup(cfg->mod_tag))))
        return OA_EXIT_SOFTWARE;
    if (oa_rng_new(&s->rng) < 0) {
        oa_log(OA_LOG_CRIT, "cannot seed the random generator");
        return OA_EXIT_SOFTWARE;
    }
    if (!s->check) {
        /* One agent per runtime dir; the control socket lives there. */
        if ((s->lock_fd = oa_ctl_lock(cfg->runtime_dir, why, sizeof(why))) < 0) {
            oa_log(OA_LOG_ERR, "%s", why);
            return OA_EXIT_LOCKED;
        }
        if (oa_ctl_start(&s->loop, cfg->runtime_dir, &ctl_ops, s, &s->ctl, why, sizeof(why)) < 0)
            oa_log(OA_LOG_WARNING, "%s; status and stop will not reach this agent", why);
        if (oa_staterun_init(&s->runner, &s->loop, &rc) < 0)
            return OA_EXIT_SOFTWARE;
        oa_staterun_runner(&s->runner, &s->sw_runner);
        if (!(s->sw = oa_sw_new(&s->loop, &ss, &sw_ops, s, &s->sw_runner)))
            return OA_EXIT_SOFTWARE;
        if (oa_update_new(&s->loop, cfg, self_exe, &upd_ops, s, &s->upd) < 0)
            return OA_EXIT_SOFTWARE;
    }
    return 0;
}

/* The connection, once the identity is known: the network settings (the
 * user data may have changed ws_uri), the identity and the Manager. Returns
 * 0 or an exit status (logged). */
static int connect_now(struct service *s)
{
    struct oa_mgr_settings ms = mgr_settings(s->cfg);
    char why[1024];

    if (oa_netcfg_init(&s->net, &s->loop, s->cfg, s->rng, why, sizeof(why)) < 0) {
        oa_log(OA_LOG_ERR, "%s: %s", s->cfg->path ? s->cfg->path : "config", why);
        return OA_EXIT_CONFIG;
    }
    if (oa_ident_load(s->cfg, s->rng, &s->ident) < 0 || apply_lookup(s, &s->ident) < 0) {
        oa_log(OA_LOG_CRIT, "out of memory");
        return OA_EXIT_SOFTWARE;
    }
    s->mgr = oa_mgr_new(&s->loop, &ms, &s->ident, s->rng, &mgr_ops, s, &s->net.transport);
    if (!s->mgr)
        return OA_EXIT_SOFTWARE;
    oa_mgr_start(s->mgr);
    return 0;
}

/* Undoes build(), also when it stopped half-way. */
static void teardown(struct service *s)
{
    oa_ctl_close(s->ctl);
    oa_update_close(s->upd);
    oa_sw_close(s->sw);
    oa_mgr_close(s->mgr);
    if (s->loop_ok) {
        uv_run(&s->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&s->loop) < 0)
            oa_debug("service: handles left open at exit");
    }
    oa_netcfg_done(&s->net);
    oa_ident_done(&s->ident);
    oa_staterun_done(&s->runner);
    oa_rng_free(s->rng);
    oa_free(s->mod_repo);
    oa_free(s->mod_tag);
    oa_free(s->looked_up_id);
    oa_free(s->lookup_error);
    oa_free(s->update_errors);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
}

/* The user data's values replace the config's; changed ones are written
 * back into the config file, and a new app id gets a new token. */
static void apply_userdata(struct service *s, const char *text)
{
    struct oa_userdata u;
    struct {
        const char *key;
        char **cfg_field, **new_value;
    } map[] = {
        {"app_id", &s->cfg->app_id, &u.app_id},
        {"ws_uri", &s->cfg->ws_uri, &u.ws_uri},
        {"version", &s->cfg->version, &u.version},
        {"base_remote", &s->cfg->base_remote, &u.base_remote},
        {"gpg_key_uri", &s->cfg->gpg_key_uri, &u.gpg_key_uri},
    };
    struct oa_cfgedit edits[5];
    char shown[2048];
    size_t n = 0;

    if (oa_userdata_parse(text, strlen(text), &u) < 0)
        return;
    if (u.ws_uri && !oa_cfg_ws_uri_valid(u.ws_uri)) {
        oa_log(OA_LOG_WARNING, "user data: WS_URI '%s' is not a ws:// or wss:// URL, ignoring",
               oa_common_sources_mask_url(u.ws_uri, shown, sizeof(shown)));
        oa_free(u.ws_uri);
        u.ws_uri = NULL;
    }
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        char *v = *map[i].new_value;
        if (!v || (*map[i].cfg_field && strcmp(*map[i].cfg_field, v) == 0))
            continue;
        /* BASE_REMOTE and GPG_KEY_URI are URLs that may carry a password. */
        oa_log(OA_LOG_NOTICE, "user data sets %s to %s", map[i].key,
               oa_common_sources_mask_url(v, shown, sizeof(shown)));
        if (i == 0 && unlink(s->cfg->token_path) == 0)
            oa_log(OA_LOG_NOTICE, "the app id changed: a new instance token will be made");
        oa_free(*map[i].cfg_field);
        *map[i].cfg_field = v;
        *map[i].new_value = NULL;
        edits[n++] = (struct oa_cfgedit){"userdata", map[i].key, v};
    }
    if (n)
        write_back(s, edits, n);
    oa_userdata_done(&u);
}

static void on_cloud(void *ud, struct oa_cloud_result *res)
{
    struct service *s = ud;
    int r;

    s->lookup = NULL;
    if (res && res->instance_id)
        oa_log(OA_LOG_INFO, "instance id %s from the cloud metadata", res->instance_id);
    if (res && res->errors)
        oa_log(OA_LOG_WARNING, "cloud metadata: %s", res->errors);
    if (res) {
        s->looked_up_id = res->instance_id;
        s->lookup_error = res->errors;
        res->instance_id = res->errors = NULL;
        if (res->userdata)
            apply_userdata(s, res->userdata);
    }
    oa_cloud_result_free(res);
    if ((r = connect_now(s)) != 0) {
        s->exit_code = r;
        close_handles(s);
    }
}

/* Connects at once, or after the cloud said who this instance is. */
static int start_connecting(struct service *s)
{
    const struct oa_cfg *cfg = s->cfg;
    bool literal = cfg->instance_id && cfg->instance_id[0] && !oa_ident_is_url(cfg->instance_id);
    /* modules.md §1.11: a metadata query gets 2 s. */
    uint64_t timeout = cfg->connect_timeout_ms < 2000 ? cfg->connect_timeout_ms : 2000;
    struct oa_cloud_params p = {cfg->metadata,     cfg->instance_id,
                                cfg->userdata_url, (unsigned)cfg->get_retry,
                                timeout,           NULL};
    char why[512];

    if (literal && (!cfg->userdata_url || !cfg->userdata_url[0]))
        return connect_now(s);
    if (oa_cloud_start(&s->loop, &p, on_cloud, s, &s->lookup, why, sizeof(why)) < 0) {
        oa_log(OA_LOG_WARNING, "cloud metadata: %s", why);
        s->lookup_error = oa_strdup(why);
        return connect_now(s);
    }
    return 0;
}

int oa_service_run(struct oa_cfg *cfg, const char *self_exe, bool check)
{
    struct service s = {
        .cfg = cfg, .check = check, .exit_code = -1, .lock_fd = -1, .started = time(NULL)};
    int r = build(&s, self_exe);

    if (r == 0) {
        start_signals(&s);
        oa_daemon_start(&s.daemon, &s.loop);
        uv_timer_init(&s.loop, &s.check_timer);
        s.check_timer.data = &s;
        if (check)
            uv_timer_start(&s.check_timer, on_check_timeout, 3 * cfg->connect_timeout_ms, 0);
        oa_log(OA_LOG_NOTICE, "opsagent %s starting (%s)", OA_VERSION, check ? "check" : "service");
        if ((r = start_connecting(&s)) != 0)
            close_handles(&s);
        uv_run(&s.loop, UV_RUN_DEFAULT);
        if (r == 0)
            r = s.exit_code < 0 ? OA_EXIT_OK : s.exit_code;
    }
    teardown(&s);
    return r;
}
