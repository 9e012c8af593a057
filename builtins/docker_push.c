/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.docker.pushed (modules.md §11.4): commit a container into the
 * repository when `container` is given, then push it, every round. The
 * push's own report says whether the repository got anything new: a layer
 * "Pushed", or "Mounted from" another repository of the registry (rather
 * than "Layer already exists"). Only then are `dep_containers` stopped and
 * the state changed: a push that only sends a new manifest for the same
 * layers (a container committed again unchanged) changes nothing. Runs in the
 * exec-state child; the docker CLI with argv arrays (docker.h).
 */
#include <stdio.h>
#include <string.h>

#include "docker.h"
#include "modules.h"

static const struct oa_param_spec pushed_params[] = {
    {"repository", OA_PT_LINE, OA_PF_REQUIRED},
    {"container", OA_PT_LINE, 0},
    {"tag", OA_PT_LINE, 0},
    {"message", OA_PT_LINE, 0},
    {"author", OA_PT_LINE, 0},
    {"username", OA_PT_LINE, 0},
    {"password", OA_PT_LINE, 0},
    {"email", OA_PT_LINE, 0},
    {"dep_containers", OA_PT_ARRAY, 0},
};

/* What `docker push` reported, line by line. */
struct push_report {
    size_t uploaded;            /* layers "Pushed" */
    char digest[DOCKER_ID_MAX]; /* "sha256:…" of the manifest, or "" */
};

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return n > 0;
}

/* "5f70bf18a086: Pushed" and "latest: digest: sha256:<64 hex> size: 528". */
static void on_push_line(void *arg, const char *line)
{
    struct push_report *rep = arg;
    const char *colon = strchr(line, ':'), *dg;

    if (colon && is_hex(line, (size_t)(colon - line)) &&
        (strcmp(colon, ": Pushed") == 0 || strncmp(colon, ": Mounted from ", 15) == 0))
        rep->uploaded++;
    if ((dg = strstr(line, "digest: sha256:")) && is_hex(dg + 15, 64))
        snprintf(rep->digest, sizeof(rep->digest), "%.71s", dg + 8);
}

/* One run of the state. */
struct push {
    const char *ref;       /* repository:tag */
    const char *container; /* NULL: push the image as it is */
    const char *message, *author;
    const struct oa_pvalue *deps;
};

/* The thing pushed must exist: the container to commit, or the image. */
static int check_source(struct oa_docker *d, const struct push *ps, struct oa_buf *comment)
{
    char id[DOCKER_ID_MAX];
    struct oa_docker_ps list;
    int r;

    if (!d->live)
        return 0;
    if (!ps->container) {
        if ((r = oa_docker_image_id(d, ps->ref, id)) == 0)
            oa_docker_note(comment, "the image %s does not exist", ps->ref);
        else if (r < 0)
            oa_docker_note(comment, "cannot inspect the image %s: %s", ps->ref, d->why);
        return r == 1 ? 0 : r < 0 ? r : -1;
    }
    if ((r = oa_docker_ps_read(d, &list)) < 0) {
        oa_docker_note(comment, "cannot list the containers: %s", d->why);
        return r;
    }
    r = oa_docker_ps_find(&list, ps->container) < 0 ? -1 : 0;
    if (r < 0)
        oa_docker_note(comment, "the container %s does not exist", ps->container);
    oa_docker_ps_done(&list);
    return r;
}

static int commit(struct oa_docker *d, const struct push *ps, struct oa_buf *comment)
{
    const char *args[9];
    size_t n = 0;
    char id[DOCKER_ID_MAX], s1[32];
    int r;

    args[n++] = "commit";
    if (ps->message) {
        args[n++] = "-m";
        args[n++] = ps->message;
    }
    if (ps->author) {
        args[n++] = "-a";
        args[n++] = ps->author;
    }
    args[n++] = ps->container;
    args[n++] = ps->ref;
    args[n] = NULL;
    if ((r = oa_docker_action(d, args, false, NULL, NULL)) < 0 ||
        (r = oa_docker_image_id(d, ps->ref, id)) <= 0) {
        oa_docker_note(comment, "cannot commit the container %s as %s: %s", ps->container, ps->ref,
                       r == 0 ? "no image by that name afterwards" : d->why);
        return r < 0 ? r : -1;
    }
    oa_docker_note(comment, "committed the container %s as %s (%s)", ps->container, ps->ref,
                   oa_docker_short_id(id, s1, sizeof(s1)));
    return 0;
}

static int push(struct oa_docker *d, const struct oa_docker_creds *cr, const struct push *ps,
                struct oa_buf *comment, bool *changed)
{
    const char *args[] = {"push", ps->ref, NULL};
    struct push_report rep = {0};
    char s1[32];
    int r;

    if ((r = check_source(d, ps, comment)) < 0)
        return r;
    if (cr->user && (r = oa_docker_login(d, ps->ref, cr->user, cr->password)) < 0) {
        oa_docker_note(comment, "%s", d->why);
        return r;
    }
    if (d->ctx->dry_run) {
        if (ps->container)
            oa_docker_note(comment, "would commit the container %s as %s", ps->container, ps->ref);
        oa_docker_note(comment, "would push %s", ps->ref);
        *changed = true;
        return 0;
    }
    if (ps->container && (r = commit(d, ps, comment)) < 0)
        return r;
    if ((r = oa_docker_action(d, args, true, on_push_line, &rep)) < 0) {
        oa_docker_note(comment, "cannot push %s: %s", ps->ref, d->why);
        return r;
    }
    oa_docker_short_id(rep.digest[0] ? rep.digest : "unknown", s1, sizeof(s1));
    if (rep.uploaded == 0) {
        oa_docker_note(comment, "pushed %s: the registry had every layer (digest %s)", ps->ref, s1);
        return 0;
    }
    *changed = true;
    oa_docker_note(comment, "pushed %s: %zu new layer%s (digest %s)", ps->ref, rep.uploaded,
                   rep.uploaded == 1 ? "" : "s", s1);
    return oa_docker_stop_containers(d, ps->deps->items, ps->deps->n, comment);
}

static int pushed_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                      struct oa_outcome *out)
{
    struct push ps = {.container = oa_params_str(p, "container"),
                      .message = oa_params_str(p, "message"),
                      .author = oa_params_str(p, "author"),
                      .deps = oa_params_get(p, "dep_containers")};
    char ref[DOCKER_REF_MAX];
    struct oa_docker_creds cr;
    struct oa_docker d;
    struct oa_buf comment;
    bool changed = false;
    int r;

    if (!oa_docker_ref_valid("repository", oa_params_str(p, "repository"), out) ||
        !oa_docker_ref_valid("tag", oa_params_str(p, "tag"), out) ||
        !oa_docker_names_valid(p, "dep_containers", out) || oa_docker_creds_read(p, &cr, out) < 0)
        return 0;
    if (ps.container && !oa_docker_valid_name(ps.container)) {
        oa_outcome_set(out, false, false, "parameter 'container': '%.200s' is not a container name",
                       ps.container);
        return 0;
    }
    /* Without a tag, docker pushes :latest; the commit then makes that. */
    if (!(ps.ref = oa_docker_ref(oa_params_str(p, "repository"), oa_params_str(p, "tag"), ref,
                                 sizeof(ref)))) {
        oa_outcome_set(out, false, false, "parameter 'repository': the image name is too long");
        return 0;
    }
    if (oa_docker_open(&d, ctx, out) < 0)
        return 0;
    oa_buf_init(&comment, DOCKER_COMMENT_MAX);
    r = push(&d, &cr, &ps, &comment, &changed);
    if (r == 0 && !changed && !d.changed)
        (void)oa_buf_puts(&comment, ", no changes");
    oa_docker_outcome(&d, out, r == 0, changed, &comment);
    oa_buf_done(&comment);
    oa_docker_close(&d);
    return 0;
}

const struct oa_module oa_mod_linux_docker_pushed = {
    .name = "linux.docker.pushed",
    .params = pushed_params,
    .n_params = sizeof(pushed_params) / sizeof(pushed_params[0]),
    .run = pushed_run,
};
