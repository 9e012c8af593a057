/* SPDX-License-Identifier: Apache-2.0 */
#include "staterun_cmd.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "buf.h"
#include "builtins.h"
#include "linux_cmd.h"
#include "mem.h"
#include "modules.h"

struct cmd_in_agent {
    struct oa_params params; /* the plan points into them */
    struct oa_cmd_plan plan;
    struct oa_buf warnings; /* "ignoring unknown parameter" lines, as exec-state prints them */
};

void oa_staterun_cmd_free(struct cmd_in_agent *c)
{
    if (!c)
        return;
    oa_cmd_plan_done(&c->plan);
    oa_params_done(&c->params);
    oa_buf_done(&c->warnings);
    oa_free(c);
}

bool oa_staterun_cmd_plan(struct oa_staterun *r, const struct oa_state *st,
                          const struct oa_json *param, struct oa_exec_spec *spec)
{
    const struct oa_staterun_cfg *cfg = &r->cfg;
    struct oa_run_ctx ctx = {st->id,       cfg->dry_run, cfg->watch_dir, cfg->state_dir,
                             cfg->ca_file, cfg->proxy,   cfg->no_proxy};
    const struct oa_module *m = &oa_mod_linux_cmd;
    struct oa_outcome out = {0};
    struct cmd_in_agent *c;

    if (cfg->dry_run || !r->self_ok || !(c = oa_calloc(1, sizeof(*c))))
        return false;
    oa_buf_init(&c->warnings, 4096);
    if (oa_params_parse(m->params, m->n_params, param, &c->params, &c->warnings, out.comment,
                        sizeof(out.comment)) < 0) {
        oa_buf_done(&c->warnings);
        oa_free(c);
        return false;
    }
    if (!oa_cmd_parent_may_run(&c->params) || !oa_cmd_check(&ctx, &c->params, &out) ||
        oa_cmd_plan(&ctx, &c->params, &r->self, &c->plan, &out) != 1) {
        oa_staterun_cmd_free(c);
        return false;
    }
    spec->file = c->plan.argv[0];
    spec->argv = c->plan.argv;
    spec->env = c->plan.env;
    spec->cwd = c->plan.cwd;
    r->cmd = c;
    return true;
}

/* x->output with the warnings before it. */
static void prepend_warnings(const struct cmd_in_agent *c, struct oa_exec_outcome *x,
                             struct oa_state_outcome *o)
{
    size_t n = c->warnings.len;
    char *both;

    o->output = x->output;
    o->output_len = x->output_len;
    x->output = NULL;
    if (!n || !(both = oa_malloc(n + o->output_len + 1)))
        return;
    memcpy(both, c->warnings.data, n);
    memcpy(both + n, o->output ? o->output : "", o->output_len);
    both[n + o->output_len] = '\0';
    oa_free(o->output);
    o->output = both;
    o->output_len += n;
}

bool oa_staterun_cmd_outcome(const struct cmd_in_agent *c, struct oa_exec_outcome *x,
                             struct oa_state_outcome *o)
{
    struct oa_outcome out = {0};

    if (x->timed_out || x->killed)
        return false;
    if (x->spawn_error < 0)
        oa_cmd_start_failed(&c->plan, -x->spawn_error, &out);
    else
        oa_cmd_finish(&c->plan,
                      x->term_signal ? W_EXITCODE(0, x->term_signal)
                                     : W_EXITCODE((int)x->exit_status & 0xff, 0),
                      &out);
    if (!(o->comment = oa_strdup(out.comment)))
        return true;
    o->result = out.result;
    o->changed = out.changed;
    prepend_warnings(c, x, o);
    return true;
}
