/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.docker.deploy (modules.md §11.5): the configuration files written
 * on the host and bind-mounted, the image pulled (linux.docker.pulled,
 * which stops the containers when it brought a new image), then the
 * containers kept running (linux.docker.running). The watch and rerun of
 * §1.7 and §1.8 happen in the same invocation: the host copies' sums are
 * compared after they were written, a change restarts the containers that
 * run, and the sums are stored after success. Runs in the exec-state
 * child; the docker CLI with argv arrays (docker.h).
 */
#include "docker_run.h"
#include "modules.h"

static const struct oa_param_spec deploy_params[] = {OA_DOCKER_RUN_PARAMS};

static int deploy(struct oa_docker *d, struct oa_docker_run *r, const struct oa_docker_creds *cr,
                  struct oa_buf *comment, bool *changed)
{
    char *containers[] = {(char *)r->container};
    bool pulled = false;
    int rc;

    if ((rc = oa_docker_files_write(r, comment, changed)) < 0 ||
        (rc = oa_docker_pull(d, cr, r->image, containers, 1, comment, &pulled)) < 0)
        return rc;
    *changed |= pulled;
    r->pulled_first = true;
    return oa_docker_running(d, r, comment, changed);
}

static int deploy_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                      struct oa_outcome *out)
{
    struct oa_docker_creds cr;
    struct oa_docker_run r;
    struct oa_docker d;
    struct oa_buf comment;
    bool changed = false;
    int rc;

    if (oa_docker_run_parse(ctx, p, &r, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return 0;
    }
    if (oa_docker_creds_read(p, &cr, out) == 0 && oa_docker_open(&d, ctx, out) == 0) {
        oa_buf_init(&comment, DOCKER_COMMENT_MAX);
        rc = deploy(&d, &r, &cr, &comment, &changed);
        if (rc == 0 && !changed && !d.changed && !ctx->dry_run)
            (void)oa_buf_puts(&comment, ", no changes");
        oa_docker_outcome(&d, out, rc == 0, changed, &comment);
        oa_buf_done(&comment);
        oa_docker_close(&d);
    }
    oa_docker_run_done(&r);
    return 0;
}

const struct oa_module oa_mod_linux_docker_deploy = {
    .name = "linux.docker.deploy",
    .params = deploy_params,
    .n_params = sizeof(deploy_params) / sizeof(deploy_params[0]),
    .run = deploy_run,
};
