/* SPDX-License-Identifier: Apache-2.0 */
/* One state in one child process, and the judgement of its outcome. */
#include "staterun.h"

#include <errno.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "cfg.h"
#include "child.h"
#include "common_sources.h"
#include "err.h"
#include "exec.h"
#include "log.h"
#include "mem.h"
#include "parse.h"
#include "modrepo.h"
#include "modules.h"
#include "runas.h"
#include "staterun_cmd.h"
#include "sw.h"

struct oa_state_outcome *oa_state_outcome_new(bool result, const char *comment)
{
    struct oa_state_outcome *o = oa_calloc(1, sizeof(*o));

    if (!o)
        return NULL;
    o->result = result;
    if (comment && !(o->comment = oa_strdup(comment))) {
        oa_free(o);
        return NULL;
    }
    return o;
}

void oa_state_outcome_free(struct oa_state_outcome *o)
{
    if (!o)
        return;
    oa_free(o->comment);
    oa_free(o->output);
    oa_free(o);
}

static char **child_env(void);

/* The children's environment is clean, so the agent's proxy settings are
 * passed on in the request instead. */
static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    return v && v[0] ? v : getenv(b);
}

struct oa_staterun_cfg oa_staterun_cfg_from(const struct oa_cfg *cfg, const char *self_exe,
                                            bool dry_run)
{
    struct oa_staterun_cfg rc = {
        .self_exe = self_exe,
        .dry_run = dry_run,
        .watch_dir = cfg->watch_dir,
        .state_timeout_ms = cfg->state_timeout_ms,
        .kill_grace_ms = cfg->kill_grace_ms,
        .output_limit = cfg->output_limit,
        .mod_root = cfg->mod_root,
        .mod_name = cfg->mod_name,
        .mod_bootstrap = cfg->mod_bootstrap,
        .agent_version = cfg->version,
        .modules_dir = cfg->modules_dir,
        .state_dir = cfg->state_dir,
        .ca_file = cfg->ca_file,
        .proxy = cfg->proxy && cfg->proxy[0] ? cfg->proxy : env_first("https_proxy", "HTTPS_PROXY"),
        .no_proxy = env_first("no_proxy", "NO_PROXY"),
    };
    return rc;
}

int oa_staterun_init(struct oa_staterun *r, uv_loop_t *loop, const struct oa_staterun_cfg *cfg)
{
    char why[256];

    memset(r, 0, sizeof(*r));
    r->loop = loop;
    r->cfg = *cfg;
    /* Built once: looking up HOME reads /etc/passwd. */
    r->env = child_env();
    if (!r->env)
        return -ENOMEM;
    r->self_ok = oa_runas_lookup(NULL, NULL, &r->self, why, sizeof(why)) == 0;
    if (!r->self_ok)
        oa_debug("staterun: linux.cmd runs through exec-state only: %s", why);
    return 0;
}

void oa_staterun_done(struct oa_staterun *r)
{
    oa_runas_env_free(r->env);
    r->env = NULL;
    if (r->self_ok)
        oa_runas_done(&r->self);
    r->self_ok = false;
    oa_staterun_cmd_free(r->cmd);
    r->cmd = NULL;
    oa_free(r->context);
    r->context = NULL;
}

/* The environment of every state child: PATH, LANG=C.UTF-8 and the agent
 * user's HOME, never the agent's own environment (design.md). Passed on
 * from the agent's environment when set: sanitizer options, so that test
 * builds keep their settings, pip's index settings, so that an instance
 * without PyPI can name a mirror for common.pip.package (an Environment=
 * line in a drop-in of the unit), and Node.js's extra CA certificates, so
 * that common.npm.package works behind a TLS-intercepting proxy. */
static char **child_env(void)
{
    static const char *const passed[] = {"ASAN_OPTIONS",       "UBSAN_OPTIONS",  "LSAN_OPTIONS",
                                         "PIP_INDEX_URL",      "PIP_FIND_LINKS", "PIP_NO_INDEX",
                                         "NODE_EXTRA_CA_CERTS"};
    enum { FIXED = 3, PASSED = sizeof(passed) / sizeof(passed[0]) };
    struct passwd *pw = getpwuid(geteuid());
    char **env = oa_calloc(FIXED + PASSED + 1, sizeof(*env));
    char *entries[FIXED + PASSED];
    size_t n = 0, k = 0;

    if (!env)
        return NULL;
    entries[k++] = oa_runas_env_entry("PATH", OA_RUNAS_PATH);
    entries[k++] = oa_runas_env_entry("LANG", "C.UTF-8");
    entries[k++] = oa_runas_env_entry("HOME", pw && pw->pw_dir[0] ? pw->pw_dir : "/");
    for (size_t i = 0; i < PASSED; i++) {
        const char *v = getenv(passed[i]);
        if (v)
            entries[k++] = oa_runas_env_entry(passed[i], v);
    }
    for (size_t i = 0; i < k; i++)
        if (entries[i])
            env[n++] = entries[i];
    if (n < k) {
        oa_runas_env_free(env);
        return NULL;
    }
    return env;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return oa_strdup(text);
}

/* The comment and result of a finished child, per design.md: the fd 3
 * result when it wrote one, else its exit status. A comment of the agent's
 * own (not the module's) gets the run's context in front, if it has one. */
static void judge(const struct oa_staterun *r, const struct oa_exec_outcome *x,
                  struct oa_state_outcome *o)
{
    struct oa_child_result res;
    char why[512], dur[32];
    char *own;

    o->result = false;
    if (x->spawn_error < 0) {
        o->comment =
            format("cannot start the state's child process: %s", uv_strerror(x->spawn_error));
    } else if (x->timed_out) {
        o->comment =
            format("timed out after %s", oa_format_duration(r->timeout_ms, dur, sizeof(dur)));
    } else if (x->killed) {
        o->comment = format("killed: the agent was told to stop now");
    } else if (x->result_too_big) {
        o->comment =
            format("the module's result on fd 3 is larger than %d bytes", OA_CHILD_RESULT_MAX);
    } else if (x->result) {
        if (oa_child_decode_result(x->result, x->result_len, &res, why, sizeof(why)) < 0) {
            o->comment = format("the module wrote an invalid result on fd 3: %s", why);
        } else {
            o->result = res.result;
            o->changed = res.changed;
            o->comment = res.comment ? res.comment : oa_strdup("");
            return;
        }
    } else if (x->term_signal) {
        o->comment = format("killed by signal %d (%s)", x->term_signal, strsignal(x->term_signal));
    } else {
        o->result = x->exit_status == 0;
        o->comment = format("exited with status %lld", (long long)x->exit_status);
    }
    if (r->context && o->comment && !o->result) {
        own = o->comment;
        o->comment = format("%s: %s", r->context, own);
        oa_free(own);
    }
}

static void on_exec_done(struct oa_exec_outcome *x, void *ud)
{
    struct oa_staterun *r = ud;
    struct oa_state_outcome *o = oa_calloc(1, sizeof(*o));

    r->current = NULL;
    if (o && x) {
        if (!r->cmd || !oa_staterun_cmd_outcome(r->cmd, x, o)) {
            judge(r, x, o);
            o->output = x->output;
            o->output_len = x->output_len;
            x->output = NULL;
        }
        o->duration_ms = x->duration_ms;
    }
    oa_staterun_cmd_free(r->cmd);
    r->cmd = NULL;
    if (o && !o->comment) {
        oa_state_outcome_free(o);
        o = NULL;
    }
    oa_exec_outcome_free(x);
    oa_free(r->context);
    r->context = NULL;
    if (!o)
        o = oa_state_outcome_new(false, "out of memory");
    /* Even that may fail; the worker treats NULL as a failed state. */
    r->cb(o, r->cb_ud);
}

/* Spawns spec's program with the runner's limits. */
static int spawn(struct oa_staterun *r, struct oa_exec_spec *spec, uint64_t timeout_ms,
                 oa_staterun_cb cb, void *ud, char *reterr, size_t errlen)
{
    int ret;

    spec->timeout_ms = timeout_ms;
    spec->kill_grace_ms = r->cfg.kill_grace_ms;
    spec->output_limit = r->cfg.output_limit;
    r->cb = cb;
    r->cb_ud = ud;
    r->timeout_ms = timeout_ms;
    ret = oa_exec_start(r->loop, spec, on_exec_done, r, &r->current);
    if (ret < 0) {
        snprintf(reterr, errlen, "cannot start the child process: %s", oa_strerror(ret));
        oa_staterun_cmd_free(r->cmd);
        r->cmd = NULL;
    }
    return ret;
}

/* Spawns one child with the request on stdin and fd 3 for the result. */
static int spawn_child(struct oa_staterun *r, char **argv, const struct oa_buf *req,
                       uint64_t timeout_ms, oa_staterun_cb cb, void *ud, char *reterr,
                       size_t errlen)
{
    struct oa_exec_spec spec = {argv[0], argv, r->env, NULL, req->data, req->len, 0, 0, 0, true};

    return spawn(r, &spec, timeout_ms, cb, ud, reterr, errlen);
}

/* An executable named like the module in the repository's modules/ folder
 * or in modules_dir wins over the built-in (design.md). */
static const char *external_module(const struct oa_staterun *r, const char *module, char *buf,
                                   size_t len)
{
    char repo_modules[4096];
    const char *dirs[2];
    size_t n = 0;

    if (r->cfg.mod_root && r->cfg.mod_name &&
        (size_t)snprintf(repo_modules, sizeof(repo_modules), "%s/%s/modules", r->cfg.mod_root,
                         r->cfg.mod_name) < sizeof(repo_modules))
        dirs[n++] = repo_modules;
    if (r->cfg.modules_dir)
        dirs[n++] = r->cfg.modules_dir;
    return oa_modrepo_find_module(dirs, n, module, buf, len);
}

int oa_staterun_start(struct oa_staterun *r, const struct oa_state *st, oa_staterun_cb cb, void *ud,
                      char *reterr, size_t errlen)
{
    const struct oa_module *m = oa_builtins_find(st->module);
    char path[4096];
    const char *ext = external_module(r, st->module, path, sizeof(path));
    char *argv[] = {(char *)(ext ? ext : r->cfg.self_exe), ext ? NULL : (char *)"exec-state", NULL};
    struct oa_exec_spec spec = {0};
    const struct oa_json *param = st->parameter;
    struct oa_json *parsed = NULL;
    uint64_t timeout_ms;
    struct oa_buf req;
    int ret;

    if (!m && !ext) {
        snprintf(reterr, errlen, "unknown module '%s'", st->module);
        return -ENOENT;
    }
    /* A recipe holds parameters as their text (msg.h); the agent needs the
     * tree for the timeout and a linux.cmd it runs itself. The text parsed
     * once already, so only memory can run out here. */
    if (param->type == OA_JSON_RAW) {
        ret = oa_json_parse(param->u.str, param->len, NULL, &parsed, reterr, errlen);
        if (ret < 0)
            return ret;
        param = parsed;
    }
    timeout_ms = oa_builtins_timeout_ms(ext ? NULL : m, param, r->cfg.state_timeout_ms);
    if (ext)
        oa_debug("staterun: %s runs the external module %s", st->id, ext);
    else if (m == &oa_mod_linux_cmd && oa_staterun_cmd_plan(r, st, param, &spec)) {
        oa_json_free(parsed); /* the plan holds copies */
        return spawn(r, &spec, timeout_ms, cb, ud, reterr, errlen);
    }
    oa_json_free(parsed);
    oa_buf_init(&req, SIZE_MAX);
    ret = oa_child_encode_request(st,
                                  &(struct oa_child_settings){r->cfg.dry_run, r->cfg.watch_dir,
                                                              r->cfg.state_dir, r->cfg.ca_file,
                                                              r->cfg.proxy, r->cfg.no_proxy},
                                  &req);
    if (ret < 0)
        snprintf(reterr, errlen, "cannot prepare the state's request: %s", oa_strerror(ret));
    else
        ret = spawn_child(r, argv, &req, timeout_ms, cb, ud, reterr, errlen);
    oa_buf_done(&req);
    return ret;
}

static int encode_prepare(const struct oa_staterun *r, const char *repo, const char *tag,
                          struct oa_buf *out)
{
    yajl_gen g = oa_json_gen_new();
    const unsigned char *text;
    size_t len;
    int ret;

    if (!g)
        return -ENOMEM;
    ret = yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    if (ret == 0)
        ret = oa_json_gen_key_str(g, "repo", repo);
    if (ret == 0)
        ret = oa_json_gen_key_str(g, "tag", tag);
    if (ret == 0)
        ret = oa_json_gen_key_str(g, "root", r->cfg.mod_root);
    if (ret == 0)
        ret = oa_json_gen_key_str(g, "name", r->cfg.mod_name);
    if (ret == 0)
        ret = oa_json_gen_key_str(g, "bootstrap", r->cfg.mod_bootstrap);
    if (ret == 0)
        ret = oa_json_gen_key_str(g, "agent_version", r->cfg.agent_version);
    if (ret == 0 && yajl_gen_map_close(g) == yajl_gen_status_ok &&
        yajl_gen_get_buf(g, &text, &len) == yajl_gen_status_ok)
        ret = oa_buf_append(out, text, len);
    yajl_gen_free(g);
    return ret;
}

int oa_staterun_prepare(struct oa_staterun *r, const char *repo, const char *tag, oa_staterun_cb cb,
                        void *ud, char *reterr, size_t errlen)
{
    char *argv[] = {(char *)r->cfg.self_exe, (char *)"exec-prepare", NULL};
    char shown[2048];
    struct oa_buf req;
    int ret;

    if (!r->cfg.mod_root || !r->cfg.mod_name) {
        snprintf(reterr, errlen, "no [module] root and name to sync the repository into");
        return -EINVAL;
    }
    oa_buf_init(&req, SIZE_MAX);
    ret = encode_prepare(r, repo, tag, &req);
    if (ret < 0)
        snprintf(reterr, errlen, "cannot prepare the request: %s", oa_strerror(ret));
    else
        ret = spawn_child(r, argv, &req, r->cfg.state_timeout_ms, cb, ud, reterr, errlen);
    oa_buf_done(&req);
    /* A timeout or a crash is told as the sync's, not the first state's. */
    if (ret == 0)
        r->context = format("Can't sync the module repository %s",
                            oa_common_sources_mask_url(repo, shown, sizeof(shown)));
    return ret;
}

void oa_staterun_kill(struct oa_staterun *r)
{
    if (r->current)
        oa_exec_kill(r->current);
}

static int runner_start(void *rud, const struct oa_state *st, oa_staterun_cb cb, void *cb_ud,
                        char *reterr, size_t errlen)
{
    return oa_staterun_start(rud, st, cb, cb_ud, reterr, errlen);
}

static void runner_kill(void *rud)
{
    oa_staterun_kill(rud);
}

static int runner_prepare(void *rud, const char *repo, const char *tag, oa_staterun_cb cb,
                          void *cb_ud, char *reterr, size_t errlen)
{
    return oa_staterun_prepare(rud, repo, tag, cb, cb_ud, reterr, errlen);
}

void oa_staterun_runner(struct oa_staterun *r, struct oa_sw_runner *ret)
{
    *ret = (struct oa_sw_runner){runner_start, runner_kill, runner_prepare, r};
}
