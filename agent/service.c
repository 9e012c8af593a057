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
#include "cloudid.h"
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

struct service {
    const struct oa_cfg *cfg;
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
    char *mod_repo, *mod_tag;  /* the module repository in use */
    struct oa_cloudid *lookup; /* the instance id from a metadata URL, in progress */
    char *looked_up_id;        /* its result */
    struct oa_daemon daemon;   /* sd_notify */
    char *lookup_error;        /* or why it failed */
};

/* ---- StatesWorker → Manager ---- */

static int sw_submit(void *ud, struct oa_statelog *log)
{
    struct service *s = ud;
    return oa_mgr_submit_statelog(s->mgr, log);
}

static void sw_stopped(void *ud)
{
    struct service *s = ud;

    oa_daemon_stopping(&s->daemon);
    oa_mgr_stop(s->mgr);
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

/* Writing the module repo and tag back into the config file, off the loop. */
struct writeback {
    uv_work_t req;
    char *path, *repo, *tag;
    int result;
    char why[512];
};

static void free_writeback(struct writeback *w)
{
    oa_free(w->path);
    oa_free(w->repo);
    oa_free(w->tag);
    oa_free(w);
}

static void do_writeback(uv_work_t *req)
{
    struct writeback *w = req->data;
    const struct oa_cfgedit edits[] = {{"module", "mod_repo", w->repo},
                                       {"module", "mod_tag", w->tag}};

    w->result = oa_cfgedit_file(w->path, edits, 2, w->why, sizeof(w->why));
}

static void after_writeback(uv_work_t *req, int status)
{
    struct writeback *w = req->data;

    if (status == 0 && w->result < 0)
        oa_log(OA_LOG_WARNING, "%s; the module repository is used anyway", w->why);
    else if (status == 0)
        oa_log(OA_LOG_INFO, "wrote mod_repo and mod_tag back into %s", w->path);
    free_writeback(w);
}

static void write_back_module(struct service *s, const char *repo, const char *tag)
{
    struct writeback *w = oa_calloc(1, sizeof(*w));

    if (!w || !s->cfg->path)
        goto fail;
    w->req.data = w;
    w->path = oa_strdup(s->cfg->path);
    w->repo = oa_strdup(repo);
    w->tag = oa_strdup(tag);
    if (w->path && w->repo && w->tag &&
        uv_queue_work(&s->loop, &w->req, do_writeback, after_writeback) == 0)
        return;
fail:
    if (w)
        free_writeback(w);
}

/* The recipe's module repository, or the config's when the message has none;
 * a change is remembered and written back (protocol.md, RecipeMetadata). */
static void settle_module(struct service *s, struct oa_recipe *r)
{
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
    oa_log(OA_LOG_NOTICE, "module repository is now %s at %s", r->mod_repo, r->mod_tag);
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

static void upd_failed(void *ud, const char *text)
{
    struct service *s = ud;

    if (oa_ident_add_error(&s->ident, text) < 0)
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
    oa_mgr_stop(s->mgr);
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

/* What the metadata URL gave (or why it did not) goes into the identity. */
static int apply_lookup(struct service *s, struct oa_ident *id)
{
    if (s->looked_up_id) {
        char *copy = oa_strdup(s->looked_up_id);
        if (!copy)
            return -ENOMEM;
        oa_free(id->instance_id);
        id->instance_id = copy;
    }
    return s->lookup_error ? oa_ident_add_error(id, s->lookup_error) : 0;
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
    struct service *s = ud;

    oa_ctl_close(s->ctl);
    s->ctl = NULL;
    oa_update_close(s->upd);
    s->upd = NULL;
    oa_cloudid_cancel(s->lookup);
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

    if (!s->daemon.notify || !s->mgr)
        return;
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
    struct oa_status_conn c = {oa_mgr_state_name(s->mgr), s->cfg->ws_uri,
                               oa_mgr_queue_length(s->mgr)};
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
        mgr_reload_identity(s);
        oa_mgr_reconnect(s->mgr);
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
    struct oa_mgr_settings ms = mgr_settings(cfg);
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
    if (oa_netcfg_init(&s->net, &s->loop, cfg, s->rng, why, sizeof(why)) < 0) {
        oa_log(OA_LOG_ERR, "%s: %s", cfg->path ? cfg->path : "config", why);
        return OA_EXIT_CONFIG;
    }
    if (oa_ident_load(cfg, s->rng, &s->ident) < 0) {
        oa_log(OA_LOG_CRIT, "out of memory");
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
    s->mgr = oa_mgr_new(&s->loop, &ms, &s->ident, s->rng, &mgr_ops, s, &s->net.transport);
    return s->mgr ? 0 : OA_EXIT_SOFTWARE;
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
    if (s->lock_fd >= 0)
        close(s->lock_fd);
}

static void on_instance_id(void *ud, int err, const char *id, const char *why)
{
    struct service *s = ud;

    s->lookup = NULL;
    if (err == 0) {
        oa_log(OA_LOG_INFO, "instance id %s from %s", id, s->cfg->instance_id);
        s->looked_up_id = oa_strdup(id);
    } else {
        oa_log(OA_LOG_WARNING, "%s; using the host name", why);
        s->lookup_error = oa_strdup(why);
    }
    if (apply_lookup(s, &s->ident) < 0)
        oa_log(OA_LOG_WARNING, "out of memory while recording the instance id");
    oa_mgr_start(s->mgr);
}

/* Connects at once, or after the instance id came from its metadata URL. */
static void start_connecting(struct service *s)
{
    const struct oa_cfg *cfg = s->cfg;
    struct oa_cloudid_params p = {cfg->instance_id, (unsigned)cfg->get_retry,
                                  cfg->connect_timeout_ms, s->net.tls};
    char why[512];

    if (!cfg->instance_id || !oa_ident_is_url(cfg->instance_id)) {
        oa_mgr_start(s->mgr);
        return;
    }
    if (oa_cloudid_start(&s->loop, &p, on_instance_id, s, &s->lookup, why, sizeof(why)) < 0) {
        oa_log(OA_LOG_WARNING, "%s; using the host name", why);
        s->lookup_error = oa_strdup(why);
        apply_lookup(s, &s->ident);
        oa_mgr_start(s->mgr);
    }
}

int oa_service_run(const struct oa_cfg *cfg, const char *self_exe, bool check)
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
        start_connecting(&s);
        uv_run(&s.loop, UV_RUN_DEFAULT);
        r = s.exit_code < 0 ? OA_EXIT_OK : s.exit_code;
    }
    teardown(&s);
    return r;
}
