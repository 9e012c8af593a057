/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The StatesWorker state machine. Only set_state() writes sw->state: it
 * checks the move against the table of legal successors, logs it, stops what
 * the old state owned and runs the new state's entry hook. Entry hooks may
 * ask for the next transition; set_state applies those in a loop rather than
 * recursively, so a recipe of 100,000 meta.comment states does not grow the
 * stack.
 *
 * Calls from outside (a new recipe, a stop, a done wait, a resumed
 * connection) only record what happened and kick a 0 ms timer; the worker
 * acts on it at the next loop turn, never inside its caller's own handler.
 */
#include "sw.h"

#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "parse.h"

enum sw_state {
    SW_IDLE,       /* no recipe yet */
    SW_PREPARE,    /* before the first state of a round */
    SW_RUNNING,    /* states[index] is executing, in a child or in the agent */
    SW_REPORTING,  /* states[index] finished; its StateLog waits to be handed over */
    SW_WAITING,    /* states[index] is a meta.wait whose id is not done yet */
    SW_RETRY_WAIT, /* a state failed: pause, then the round restarts from the top */
    SW_DELAY,      /* the round is over: pause until the next one */
    SW_STOPPING,   /* a stop was requested while a child runs */
    SW_STOPPED,    /* final */
    SW_STATE_COUNT
};

static const char *const state_names[] = {
    [SW_IDLE] = "IDLE",           [SW_PREPARE] = "PREPARE",   [SW_RUNNING] = "RUNNING",
    [SW_REPORTING] = "REPORTING", [SW_WAITING] = "WAITING",   [SW_RETRY_WAIT] = "RETRY_WAIT",
    [SW_DELAY] = "DELAY",         [SW_STOPPING] = "STOPPING", [SW_STOPPED] = "STOPPED",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == SW_STATE_COUNT,
               "a name for every state");

#define S(x) (1u << (x))
static const unsigned legal_next[SW_STATE_COUNT] = {
    [SW_IDLE] = S(SW_PREPARE) | S(SW_STOPPED),
    [SW_PREPARE] = S(SW_RUNNING) | S(SW_REPORTING) | S(SW_DELAY) | S(SW_STOPPING) | S(SW_STOPPED),
    [SW_RUNNING] = S(SW_REPORTING) | S(SW_WAITING) | S(SW_STOPPING),
    [SW_REPORTING] = S(SW_RUNNING) | S(SW_RETRY_WAIT) | S(SW_DELAY) | S(SW_PREPARE) | S(SW_STOPPED),
    [SW_WAITING] = S(SW_REPORTING) | S(SW_PREPARE) | S(SW_STOPPED),
    [SW_RETRY_WAIT] = S(SW_PREPARE) | S(SW_STOPPED),
    [SW_DELAY] = S(SW_PREPARE) | S(SW_STOPPED),
    [SW_STOPPING] = S(SW_REPORTING) | S(SW_STOPPED),
    [SW_STOPPED] = 0,
};

struct oa_sw {
    uv_loop_t *loop;
    struct oa_sw_settings set;
    const struct oa_sw_ops *ops;
    void *ud;
    const struct oa_sw_runner *runner;

    enum sw_state state;
    bool in_transition;
    bool has_next;
    enum sw_state next;
    const char *next_reason;

    struct oa_recipe *recipe;         /* the running recipe */
    struct oa_recipe *pending;        /* a newer one, installed when the running state is done */
    size_t index;                     /* of the state in RUNNING, REPORTING or WAITING */
    struct oa_state_outcome *outcome; /* of states[index], until handed over */
    bool state_done_told;             /* ops->state_done was called for this outcome */
    bool resume;                      /* try the hand-over again */
    bool stop_requested;
    struct oa_recipe *retired; /* replaced; freed once the next state has started */
    enum oa_stop_mode stop_mode;
    char **done; /* the done-list of meta.wait ids for the current version */
    size_t n_done;

    struct oa_state_outcome oom;  /* the outcome when no other could be allocated */
    time_t since;                 /* wall-clock time of the last transition */
    time_t next_round;            /* when DELAY or RETRY_WAIT ends */
    struct oa_sw_result *results; /* one per state of the running recipe */
    size_t n_results;

    uv_timer_t timer; /* RETRY_WAIT and DELAY */
    uv_timer_t kick;  /* acts on outside calls at the next loop turn */
    unsigned open_handles;
};

static void set_state(struct oa_sw *sw, enum sw_state to, const char *reason);

static const struct oa_state *current_state(const struct oa_sw *sw)
{
    return &sw->recipe->states[sw->index];
}

/* Logs "state 2/5 ID (MODULE) <what><detail>" with the state's journal fields. */
static void log_state(const struct oa_sw *sw, int level, const char *what, const char *detail)
{
    const struct oa_state *st = current_state(sw);
    struct oa_log_fields f = {sw->recipe->version, st->id, st->module};

    oa_logf(level, &f, "state %zu/%zu %s (%s) %s%s", sw->index + 1, sw->recipe->n_states, st->id,
            st->module, what, detail);
}

static void clear_done(struct oa_sw *sw)
{
    for (size_t i = 0; i < sw->n_done; i++)
        oa_free(sw->done[i]);
    oa_free(sw->done);
    sw->done = NULL;
    sw->n_done = 0;
}

static bool is_done(const struct oa_sw *sw, const char *id)
{
    for (size_t i = 0; i < sw->n_done; i++)
        if (strcmp(sw->done[i], id) == 0)
            return true;
    return false;
}

static void finish_state(struct oa_sw *sw, struct oa_state_outcome *o, const char *reason)
{
    /* Out of memory while building the outcome: the state counts as failed. */
    sw->outcome = o ? o : &sw->oom;
    sw->state_done_told = false;
    set_state(sw, SW_REPORTING, reason);
}

/* Runs a meta.* state in the agent. Returns false when it is not one. */
static bool run_in_agent(struct oa_sw *sw, const struct oa_state *st)
{
    if (strcmp(st->module, "meta.comment") == 0) {
        /* The original sent null for both comment and output. */
        finish_state(sw, oa_state_outcome_new(true, NULL), "meta.comment");
        return true;
    }
    if (strcmp(st->module, "meta.wait") != 0)
        return false;
    if (sw->set.once)
        finish_state(sw, oa_state_outcome_new(true, "Wait skipped: once mode has no backend"),
                     "meta.wait in once mode");
    else if (is_done(sw, st->id))
        finish_state(sw, oa_state_outcome_new(true, "Wait satisfied"), "already done");
    else
        set_state(sw, SW_WAITING, "meta.wait");
    return true;
}

static void on_run_done(struct oa_state_outcome *o, void *ud)
{
    struct oa_sw *sw = ud;

    if (sw->state == SW_STOPPING && sw->stop_mode == OA_STOP_NOW) {
        /* Stop now reports nothing for the killed state: the log says so. */
        log_state(sw, OA_LOG_NOTICE, "killed: the agent was told to stop now", "");
        oa_state_outcome_free(o);
        set_state(sw, SW_STOPPED, "child killed");
        return;
    }
    if (sw->state != SW_RUNNING && sw->state != SW_STOPPING) {
        oa_debug("sw: a child finished in %s, ignoring", state_names[sw->state]);
        oa_state_outcome_free(o);
        return;
    }
    finish_state(sw, o, "child finished");
}

static void enter_running(struct oa_sw *sw)
{
    const struct oa_state *st = current_state(sw);
    char why[1024];

    log_state(sw, OA_LOG_INFO, "started", "");
    if (!run_in_agent(sw, st) &&
        sw->runner->start(sw->runner->rud, st, on_run_done, sw, why, sizeof(why)) < 0)
        finish_state(sw, oa_state_outcome_new(false, why), "could not start");
    /* A replaced recipe may be megabytes of small blocks: it is freed, and
     * its pages go back to the system, once its successor's first state is
     * under way rather than on the way to it. Recipes change every few
     * minutes at most; the walk takes a few milliseconds. */
    if (sw->retired) {
        oa_msg_recipe_free(sw->retired);
        sw->retired = NULL;
        malloc_trim(0);
    }
}

static void install_pending(struct oa_sw *sw);

static void enter_prepare(struct oa_sw *sw);

static void on_prepared(struct oa_state_outcome *o, void *ud)
{
    struct oa_sw *sw = ud;

    if (sw->state == SW_STOPPING) {
        oa_state_outcome_free(o);
        set_state(sw, SW_STOPPED, "stopped while preparing");
        return;
    }
    if (sw->state != SW_PREPARE) {
        oa_state_outcome_free(o);
        return;
    }
    if (sw->pending) {
        /* A newer recipe arrived meanwhile: prepare again, for it. */
        oa_state_outcome_free(o);
        enter_prepare(sw);
        return;
    }
    if (o && o->result) {
        oa_log(OA_LOG_INFO, "%s", o->comment ? o->comment : "module repository ready");
        oa_state_outcome_free(o);
        set_state(sw, SW_RUNNING, "round starts");
        return;
    }
    /* design.md: a failed preparation is a failed StateLog for the first
     * state, naming what failed; then RETRY_WAIT. */
    finish_state(sw, o, "preparation failed");
}

/* Before the first state of a round: the module repository, when the
 * recipe (or the config) names one. */
static void enter_prepare(struct oa_sw *sw)
{
    const struct oa_recipe *r;
    char why[1024];

    if (sw->pending)
        install_pending(sw);
    r = sw->recipe;
    sw->index = 0;
    if (r->n_states == 0) {
        set_state(sw, sw->set.once ? SW_STOPPED : SW_DELAY, "the recipe has no states");
        return;
    }
    if (!r->mod_repo || !r->mod_tag || !sw->runner->prepare) {
        set_state(sw, SW_RUNNING, "round starts");
        return;
    }
    if (sw->runner->prepare(sw->runner->rud, r->mod_repo, r->mod_tag, on_prepared, sw, why,
                            sizeof(why)) < 0)
        finish_state(sw, oa_state_outcome_new(false, why), "preparation could not start");
}

static struct oa_statelog *make_log(const struct oa_sw *sw)
{
    const struct oa_state_outcome *o = sw->outcome;
    struct oa_statelog *l = oa_calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->recipe_version = sw->recipe->version;
    l->id = oa_strdup(current_state(sw)->id);
    l->result = o->result;
    l->duration_ms = o->duration_ms;
    if (o->comment)
        l->comment = oa_strdup(o->comment);
    if (o->output) {
        l->stdout_text = oa_strndup(o->output, o->output_len);
        l->stdout_len = o->output_len;
    }
    if (!l->id || (o->comment && !l->comment) || (o->output && !l->stdout_text)) {
        oa_msg_statelog_free(l);
        return NULL;
    }
    return l;
}

/* After a state's StateLog was handed over: where the round goes next. */
static void drop_outcome(struct oa_sw *sw)
{
    if (sw->outcome != &sw->oom)
        oa_state_outcome_free(sw->outcome);
    sw->outcome = NULL;
}

static void advance(struct oa_sw *sw)
{
    bool failed = !sw->outcome->result;

    drop_outcome(sw);
    if (sw->stop_requested && sw->stop_mode != OA_STOP_END)
        set_state(sw, SW_STOPPED, "stop requested");
    else if (sw->pending)
        set_state(sw, SW_PREPARE, "new recipe");
    else if (failed)
        set_state(sw, sw->set.once ? SW_STOPPED : SW_RETRY_WAIT, "state failed");
    else if (sw->index + 1 < sw->recipe->n_states) {
        sw->index++;
        set_state(sw, SW_RUNNING, "next state");
    } else if (sw->set.once || sw->stop_requested)
        set_state(sw, SW_STOPPED, "round finished");
    else
        set_state(sw, SW_DELAY, "round finished");
}

static void log_outcome(struct oa_sw *sw)
{
    const struct oa_state_outcome *o = sw->outcome;
    char detail[512];

    snprintf(detail, sizeof(detail), " in %llu ms%s%.400s", (unsigned long long)o->duration_ms,
             o->comment && o->comment[0] ? ": " : "", o->comment ? o->comment : "");
    log_state(sw, o->result ? OA_LOG_INFO : OA_LOG_ERR, o->result ? "succeeded" : "failed", detail);
    if (o->output_len && oa_log_enabled(OA_LOG_DEBUG))
        oa_debug("output of %s:\n%s", current_state(sw)->id, o->output);
}

static void try_submit(struct oa_sw *sw)
{
    struct oa_statelog *l = make_log(sw);
    int r;

    sw->resume = false;
    if (!l) {
        oa_log(OA_LOG_WARNING, "cannot build the StateLog of %s: out of memory; will retry",
               current_state(sw)->id);
        return;
    }
    r = sw->ops->submit(sw->ud, l);
    if (r == -EAGAIN) {
        oa_debug("sw: StateLog of %s waits for the connection", current_state(sw)->id);
        return;
    }
    advance(sw);
}

static void free_results(struct oa_sw *sw)
{
    for (size_t i = 0; i < sw->n_results; i++)
        oa_free((char *)sw->results[i].comment);
    oa_free(sw->results);
    sw->results = NULL;
    sw->n_results = 0;
}

/* Keeps the outcome for `opsagent status`. */
static void record_result(struct oa_sw *sw)
{
    struct oa_sw_result *r;

    if (!sw->results)
        return;
    r = &sw->results[sw->index];
    oa_free((char *)r->comment);
    r->ran = true;
    r->ok = sw->outcome->result;
    r->at = time(NULL);
    r->comment = sw->outcome->comment
                     ? oa_strndup(sw->outcome->comment, strnlen(sw->outcome->comment, 160))
                     : NULL;
}

static void enter_reporting(struct oa_sw *sw)
{
    if (!sw->state_done_told) {
        sw->state_done_told = true;
        record_result(sw);
        log_outcome(sw);
        if (sw->ops->state_done)
            sw->ops->state_done(sw->ud, sw->index, current_state(sw), sw->outcome);
    }
    try_submit(sw);
}

static void on_timer(uv_timer_t *t)
{
    struct oa_sw *sw = t->data;

    if (sw->state == SW_RETRY_WAIT || sw->state == SW_DELAY)
        set_state(sw, SW_PREPARE, "pause over");
}

static void enter_retry_wait(struct oa_sw *sw)
{
    sw->next_round = time(NULL) + (time_t)((sw->set.retry_wait_ms + 999) / 1000);
    uv_timer_start(&sw->timer, on_timer, sw->set.retry_wait_ms, 0);
}

static void enter_delay(struct oa_sw *sw)
{
    char when[32];

    oa_log(OA_LOG_NOTICE, "round of recipe version %lld finished; next round in %s",
           (long long)sw->recipe->version,
           oa_format_duration(sw->set.delay_ms, when, sizeof(when)));
    sw->next_round = time(NULL) + (time_t)((sw->set.delay_ms + 999) / 1000);
    uv_timer_start(&sw->timer, on_timer, sw->set.delay_ms, 0);
}

static void enter_stopping(struct oa_sw *sw)
{
    if (sw->stop_mode == OA_STOP_NOW)
        sw->runner->kill(sw->runner->rud);
}

static void enter_stopped(struct oa_sw *sw)
{
    oa_log(sw->set.once ? OA_LOG_DEBUG : OA_LOG_NOTICE, "states worker stopped");
    if (sw->ops->stopped)
        sw->ops->stopped(sw->ud);
}

typedef void (*enter_fn)(struct oa_sw *sw);
static const enter_fn enter_hooks[SW_STATE_COUNT] = {
    [SW_PREPARE] = enter_prepare,     [SW_RUNNING] = enter_running,
    [SW_REPORTING] = enter_reporting, [SW_RETRY_WAIT] = enter_retry_wait,
    [SW_DELAY] = enter_delay,         [SW_STOPPING] = enter_stopping,
    [SW_STOPPED] = enter_stopped,
};

static void set_state(struct oa_sw *sw, enum sw_state to, const char *reason)
{
    sw->next = to;
    sw->next_reason = reason;
    sw->has_next = true;
    if (sw->in_transition)
        return;
    sw->in_transition = true;
    while (sw->has_next) {
        enum sw_state from = sw->state;
        to = sw->next;
        reason = sw->next_reason;
        sw->has_next = false;
        if (to == from)
            continue;
        assert(legal_next[from] & S(to));
        if (oa_log_enabled(OA_LOG_DEBUG))
            oa_debug("sw: %s -> %s (%s) [v%lld, state %zu %s]", state_names[from], state_names[to],
                     reason, sw->recipe ? (long long)sw->recipe->version : 0LL, sw->index + 1,
                     sw->recipe && sw->index < sw->recipe->n_states ? current_state(sw)->id : "-");
        if (from == SW_RETRY_WAIT || from == SW_DELAY) {
            uv_timer_stop(&sw->timer);
            sw->next_round = 0;
        }
        sw->state = to;
        sw->since = time(NULL);
        if (enter_hooks[to])
            enter_hooks[to](sw);
    }
    sw->in_transition = false;
    if (sw->ops->changed)
        sw->ops->changed(sw->ud);
}

/* Replaces the running recipe with the pending one. A push without states
 * keeps the states it had (protocol.md). */
static void install_pending(struct oa_sw *sw)
{
    struct oa_recipe *r = sw->pending;

    sw->pending = NULL;
    if (!r->has_states && sw->recipe) {
        r->states = sw->recipe->states;
        r->n_states = sw->recipe->n_states;
        sw->recipe->states = NULL;
        sw->recipe->n_states = 0;
        r->has_states = true;
    }
    free_results(sw);
    oa_msg_recipe_free(sw->retired);
    sw->retired = sw->recipe;
    sw->recipe = r;
    if ((sw->results = oa_calloc(r->n_states, sizeof(*sw->results))))
        sw->n_results = r->n_states;
    oa_log(sw->set.once ? OA_LOG_DEBUG : OA_LOG_NOTICE, "running recipe version %lld (%zu states)",
           (long long)r->version, r->n_states);
}

/* Acts on what outside calls recorded, in the current state. */
static void on_kick(uv_timer_t *t)
{
    struct oa_sw *sw = t->data;

    if (sw->stop_requested) {
        switch (sw->state) {
        case SW_IDLE:
        case SW_DELAY:
        case SW_RETRY_WAIT:
            set_state(sw, SW_STOPPED, "stop requested");
            return;
        case SW_WAITING:
        case SW_REPORTING:
            if (sw->stop_mode == OA_STOP_NOW ||
                (sw->state == SW_WAITING && sw->stop_mode == OA_STOP_WAIT)) {
                set_state(sw, SW_STOPPED, "stop requested");
                return;
            }
            break;
        case SW_PREPARE: /* the module repository is being synced */
        case SW_RUNNING:
            if (sw->stop_mode != OA_STOP_END) {
                set_state(sw, SW_STOPPING, "stop requested");
                return;
            }
            break;
        case SW_STOPPING:
            if (sw->stop_mode == OA_STOP_NOW)
                sw->runner->kill(sw->runner->rud);
            return;
        default:
            break;
        }
    }
    if (sw->pending && (sw->state == SW_IDLE || sw->state == SW_WAITING || sw->state == SW_DELAY ||
                        sw->state == SW_RETRY_WAIT)) {
        set_state(sw, SW_PREPARE, "new recipe");
        return;
    }
    if (sw->state == SW_WAITING && is_done(sw, current_state(sw)->id)) {
        finish_state(sw, oa_state_outcome_new(true, "Wait satisfied"), "wait done");
        return;
    }
    if (sw->state == SW_REPORTING && sw->resume)
        try_submit(sw);
}

static void kick(struct oa_sw *sw)
{
    uv_timer_start(&sw->kick, on_kick, 0, 0);
}

struct oa_sw *oa_sw_new(uv_loop_t *loop, const struct oa_sw_settings *s,
                        const struct oa_sw_ops *ops, void *ud, const struct oa_sw_runner *runner)
{
    struct oa_sw *sw = oa_calloc(1, sizeof(*sw));

    if (!sw)
        return NULL;
    sw->loop = loop;
    sw->set = *s;
    sw->ops = ops;
    sw->ud = ud;
    sw->runner = runner;
    sw->state = SW_IDLE;
    sw->since = time(NULL);
    sw->oom.comment = (char *)"out of memory";
    uv_timer_init(loop, &sw->timer);
    uv_timer_init(loop, &sw->kick);
    sw->timer.data = sw->kick.data = sw;
    return sw;
}

static void on_closed(uv_handle_t *h)
{
    struct oa_sw *sw = h->data;

    if (--sw->open_handles > 0)
        return;
    free_results(sw);
    oa_msg_recipe_free(sw->recipe);
    oa_msg_recipe_free(sw->retired);
    oa_msg_recipe_free(sw->pending);
    drop_outcome(sw);
    clear_done(sw);
    oa_free(sw);
}

void oa_sw_close(struct oa_sw *sw)
{
    if (!sw)
        return;
    assert(sw->state == SW_IDLE || sw->state == SW_STOPPED);
    sw->open_handles = 2;
    uv_close((uv_handle_t *)&sw->timer, on_closed);
    uv_close((uv_handle_t *)&sw->kick, on_closed);
}

void oa_sw_push_recipe(struct oa_sw *sw, struct oa_recipe *r)
{
    const struct oa_recipe *newest = sw->pending ? sw->pending : sw->recipe;

    if (sw->state == SW_STOPPED || sw->stop_requested) {
        oa_log(OA_LOG_NOTICE, "recipe version %lld arrived while stopping, ignoring",
               (long long)r->version);
        oa_msg_recipe_free(r);
        return;
    }
    if (!r->has_states && !newest) {
        oa_log(OA_LOG_WARNING, "recipe version %lld has no states and none ran before, ignoring",
               (long long)r->version);
        oa_msg_recipe_free(r);
        return;
    }
    if (newest && newest->version == r->version) {
        oa_log(OA_LOG_NOTICE, "recipe version %lld is already running, ignoring",
               (long long)r->version);
        oa_msg_recipe_free(r);
        return;
    }
    if (r->dup_id)
        oa_log(OA_LOG_WARNING,
               "recipe version %lld repeats the state id '%s'; reports follow the "
               "state order",
               (long long)r->version, r->dup_id);
    oa_msg_recipe_free(sw->pending);
    sw->pending = r;
    clear_done(sw);
    kick(sw);
}

void oa_sw_stop(struct oa_sw *sw, enum oa_stop_mode mode)
{
    static const char *const names[] = {"now", "wait", "end"};

    /* A stronger mode replaces a weaker one: end < wait < now. */
    if (sw->stop_requested &&
        !(mode == OA_STOP_NOW || (mode == OA_STOP_WAIT && sw->stop_mode == OA_STOP_END)))
        return;
    oa_log(OA_LOG_NOTICE, "stop requested (%s)", names[mode]);
    sw->stop_requested = true;
    sw->stop_mode = mode;
    kick(sw);
}

void oa_sw_resume(struct oa_sw *sw)
{
    sw->resume = true;
    kick(sw);
}

void oa_sw_wait_done(struct oa_sw *sw, int64_t version, const char *id)
{
    const struct oa_recipe *newest = sw->pending ? sw->pending : sw->recipe;
    char **done;

    if (!newest || newest->version != version) {
        oa_log(OA_LOG_NOTICE, "State for recipe version %lld, not the current one, ignoring",
               (long long)version);
        return;
    }
    if (is_done(sw, id))
        return;
    done = oa_realloc(sw->done, (sw->n_done + 1) * sizeof(*done));
    if (!done || !(done[sw->n_done] = oa_strdup(id))) {
        if (done)
            sw->done = done;
        oa_log(OA_LOG_WARNING, "cannot record the done wait '%s': out of memory", id);
        return;
    }
    sw->done = done;
    sw->n_done++;
    kick(sw);
}

void oa_sw_status(const struct oa_sw *sw, struct oa_sw_status *ret)
{
    const struct oa_recipe *r = sw->recipe;

    memset(ret, 0, sizeof(*ret));
    ret->state = state_names[sw->state];
    ret->since = sw->since;
    ret->next_round = sw->next_round;
    if (!r)
        return;
    ret->recipe_version = r->version;
    ret->n_states = r->n_states;
    ret->states = r->states;
    ret->results = sw->results;
    if (sw->state == SW_RUNNING || sw->state == SW_REPORTING || sw->state == SW_WAITING ||
        sw->state == SW_STOPPING) {
        ret->has_current = true;
        ret->index = sw->index;
        ret->id = r->states[sw->index].id;
        ret->module = r->states[sw->index].module;
    }
}

int64_t oa_sw_waiting_version(const struct oa_sw *sw)
{
    return sw->state == SW_WAITING ? sw->recipe->version : 0;
}

bool oa_sw_stopped(const struct oa_sw *sw)
{
    return sw->state == SW_STOPPED;
}

const char *oa_sw_state_name(const struct oa_sw *sw)
{
    return state_names[sw->state];
}
