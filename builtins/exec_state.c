/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `opsagent exec-state`: the child side of the child-process protocol
 * (design.md). Reads one request from stdin, validates the parameters with
 * the module's schema, runs the module and writes the result on fd 3. It
 * runs in its own process group, which the agent kills on a timeout.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builtins.h"
#include "child.h"
#include "childio.h"
#include "err.h"

/* A request holds one state; the backend's messages are at most 16 MiB by
 * default, so this bounds any state it can send. */
#define REQUEST_MAX (64u << 20)

static void run_request(const struct oa_child_request *req, struct oa_outcome *out)
{
    const struct oa_module *m = oa_builtins_find(req->module);
    struct oa_run_ctx ctx = {req->id,      req->dry_run, req->watch_dir, req->state_dir,
                             req->ca_file, req->proxy,   req->no_proxy};
    struct oa_params params;
    struct oa_buf warnings;

    if (!m) {
        oa_outcome_set(out, false, false, "unknown module '%s'", req->module);
        return;
    }
    if (m->in_agent || !m->run) {
        oa_outcome_set(out, false, false, "module '%s' runs inside the agent, not as a child",
                       req->module);
        return;
    }
    oa_buf_init(&warnings, 4096);
    if (oa_params_parse(m->params, m->n_params, req->parameter, &params, &warnings, out->comment,
                        sizeof(out->comment)) < 0) {
        out->result = false;
        oa_buf_done(&warnings);
        return;
    }
    if (warnings.len)
        fputs(warnings.data, stdout);
    oa_buf_done(&warnings);
    m->run(&ctx, &params, out);
    oa_params_done(&params);
}

int oa_builtins_exec_state(void)
{
    struct oa_outcome out = {0};
    struct oa_child_request req;
    struct oa_buf in;
    int result_fd = oa_childio_result_fd(), r, status;

    oa_buf_init(&in, REQUEST_MAX);
    r = oa_childio_read_all(STDIN_FILENO, &in);
    if (r < 0) {
        oa_outcome_set(&out, false, false, "cannot read the request on stdin: %s", oa_strerror(r));
        status = 2;
    } else if (oa_child_decode_request(in.data ? in.data : "", in.len, &req, out.comment,
                                       sizeof(out.comment)) < 0) {
        char reason[sizeof(out.comment)];
        memcpy(reason, out.comment, sizeof(reason));
        oa_outcome_set(&out, false, false, "invalid request on stdin: %.1900s", reason);
        status = 2;
    } else {
        run_request(&req, &out);
        oa_child_request_done(&req);
        status = out.result ? 0 : 1;
    }
    oa_buf_done(&in);
    fflush(stdout);
    oa_childio_write_result(result_fd, &out);
    return status;
}
