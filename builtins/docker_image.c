/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image modules of modules.md §11: linux.docker.pulled (pull every
 * round; a new image id stops the containers that use it, so that a later
 * linux.docker.running recreates them), linux.docker.built (build when the
 * image is missing, forced, or its Dockerfile changed) and
 * linux.docker.pushed (commit a container when asked, push every round;
 * new layers stop the dependent containers). They run in the exec-state
 * child and drive the docker CLI with argv arrays (docker.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "docker.h"
#include "err.h"
#include "fsutil.h"
#include "modules.h"
#include "watch.h"

int oa_docker_pull(struct oa_docker *d, const struct oa_docker_creds *cr, const char *ref,
                   char *const *containers, size_t n, struct oa_buf *comment, bool *changed)
{
    const char *pull[] = {"pull", ref, NULL}, *prune[] = {"image", "prune", "-f", NULL};
    char before[DOCKER_ID_MAX] = "", after[DOCKER_ID_MAX], s1[32], s2[32];
    int had = 0, r;

    if (d->live && (had = oa_docker_image_id(d, ref, before)) < 0) {
        oa_docker_note(comment, "cannot inspect the image %s: %s", ref, d->why);
        return had;
    }
    if (cr->user && (r = oa_docker_login(d, ref, cr->user, cr->password)) < 0) {
        oa_docker_note(comment, "%s", d->why);
        return r;
    }
    if (d->ctx->dry_run) {
        /* Whether the registry has a newer image is only known by pulling. */
        if (had)
            oa_docker_note(comment, "would pull %s to look for a newer image (now %s)", ref,
                           oa_docker_short_id(before, s1, sizeof(s1)));
        else
            oa_docker_note(comment, "would pull %s", ref);
        *changed |= !had;
        return 0;
    }
    if ((r = oa_docker_action(d, pull, true, NULL, NULL)) < 0) {
        oa_docker_note(comment, "cannot pull %s: %s", ref, d->why);
        return r;
    }
    if ((r = oa_docker_image_id(d, ref, after)) <= 0) {
        oa_docker_note(comment, "pulled %s, but docker has no image by that name: %s", ref,
                       r < 0 ? d->why : "not found");
        return r < 0 ? r : -ENOENT;
    }
    oa_docker_short_id(after, s1, sizeof(s1));
    if (strcmp(before, after) == 0) {
        oa_docker_note(comment, "%s is up to date (%s)", ref, s1);
        return 0;
    }
    *changed = true;
    if (had)
        oa_docker_note(comment, "pulled a new %s (%s, was %s)", ref, s1,
                       oa_docker_short_id(before, s2, sizeof(s2)));
    else
        oa_docker_note(comment, "pulled %s (%s)", ref, s1);
    if ((r = oa_docker_stop_containers(d, containers, n, comment)) < 0)
        return r;
    /* The image the tag pointed to before is now dangling. Its removal is
     * housekeeping: a failure does not fail the state. */
    if (oa_docker_action(d, prune, false, NULL, NULL) < 0)
        printf("could not remove the dangling images: %s\n", d->why);
    return 0;
}

static const struct oa_param_spec pulled_params[] = {
    {"repo", OA_PT_LINE, OA_PF_REQUIRED}, {"tag", OA_PT_LINE, 0},   {"username", OA_PT_LINE, 0},
    {"password", OA_PT_LINE, 0},          {"email", OA_PT_LINE, 0}, {"containers", OA_PT_ARRAY, 0},
};

static int pulled_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                      struct oa_outcome *out)
{
    const struct oa_pvalue *containers = oa_params_get(p, "containers");
    char ref[DOCKER_REF_MAX];
    struct oa_docker_creds cr;
    struct oa_docker d;
    struct oa_buf comment;
    bool changed = false;
    int r;

    if (!oa_docker_ref_valid("repo", oa_params_str(p, "repo"), out) ||
        !oa_docker_ref_valid("tag", oa_params_str(p, "tag"), out) ||
        !oa_docker_names_valid(p, "containers", out) || oa_docker_creds_read(p, &cr, out) < 0)
        return 0;
    if (!oa_docker_ref(oa_params_str(p, "repo"), oa_params_str(p, "tag"), ref, sizeof(ref))) {
        oa_outcome_set(out, false, false, "parameter 'repo': the image name is too long");
        return 0;
    }
    if (oa_docker_open(&d, ctx, out) < 0)
        return 0;
    oa_buf_init(&comment, DOCKER_COMMENT_MAX);
    r = oa_docker_pull(&d, &cr, ref, containers->items, containers->n, &comment, &changed);
    if (r == 0 && !changed && !d.changed && !ctx->dry_run)
        (void)oa_buf_puts(&comment, ", no changes");
    oa_docker_outcome(&d, out, r == 0, changed, &comment);
    oa_buf_done(&comment);
    oa_docker_close(&d);
    return 0;
}

const struct oa_module oa_mod_linux_docker_pulled = {
    .name = "linux.docker.pulled",
    .params = pulled_params,
    .n_params = sizeof(pulled_params) / sizeof(pulled_params[0]),
    .run = pulled_run,
};

static const struct oa_param_spec built_params[] = {
    {"tag", OA_PT_LINE, OA_PF_REQUIRED},
    {"path", OA_PT_LINE, OA_PF_REQUIRED},
    {"containers", OA_PT_ARRAY, 0},
    {"force", OA_PT_BOOL, 0},
};

/* One run of linux.docker.built. */
struct build {
    const struct oa_run_ctx *ctx;
    const char *tag;
    char path[PATH_MAX];       /* the build context, without a trailing '/' */
    char dockerfile[PATH_MAX]; /* <path>/Dockerfile, always watched (§1.7) */
    bool force;
    struct oa_watch watch;
};

/* The reason to build, for the comment, or NULL when there is none. */
static const char *build_reason(const struct build *b, int had, char *buf, size_t len)
{
    if (!had)
        return "the image is missing";
    if (b->force)
        return "force";
    if (b->watch.fired)
        return oa_watch_describe(&b->watch, buf, len);
    return NULL;
}

static int build_image(struct build *b, struct oa_docker *d, const struct oa_pvalue *containers,
                       struct oa_buf *comment, bool *changed)
{
    const char *args[] = {"build", "--rm", "-t", b->tag, b->path, NULL};
    char before[DOCKER_ID_MAX] = "", after[DOCKER_ID_MAX], s1[32], why[1024];
    const char *reason;
    int had = 0, r;

    if (d->live && (had = oa_docker_image_id(d, b->tag, before)) < 0) {
        oa_docker_note(comment, "cannot inspect the image %s: %s", b->tag, d->why);
        return had;
    }
    if (!(reason = build_reason(b, had, why, sizeof(why)))) {
        oa_docker_note(comment, "the image %s is built (%s)", b->tag,
                       oa_docker_short_id(before, s1, sizeof(s1)));
        return 0;
    }
    if (b->ctx->dry_run) {
        oa_docker_note(comment, "would build %s from %s (%s)", b->tag, b->path, reason);
        *changed = true;
        return 0;
    }
    if ((r = oa_docker_action(d, args, false, NULL, NULL)) < 0) {
        oa_docker_note(comment, "cannot build %s from %s: %s", b->tag, b->path, d->why);
        return r;
    }
    if ((r = oa_docker_image_id(d, b->tag, after)) <= 0) {
        oa_docker_note(comment, "built %s, but docker has no image by that name: %s", b->tag,
                       r < 0 ? d->why : "not found");
        return r < 0 ? r : -ENOENT;
    }
    oa_docker_short_id(after, s1, sizeof(s1));
    if (strcmp(before, after) == 0) {
        /* Every step came from the cache: nothing changed on the host. */
        oa_docker_note(comment, "rebuilt %s from %s (%s): the image is the same (%s)", b->tag,
                       b->path, reason, s1);
        return 0;
    }
    *changed = true;
    oa_docker_note(comment, "built %s from %s (%s): %s", b->tag, b->path, reason, s1);
    return oa_docker_stop_containers(d, containers->items, containers->n, comment);
}

static int built_prepare(struct build *b, const struct oa_params *p, struct oa_outcome *out)
{
    const char *path = oa_params_str(p, "path");
    size_t len = strlen(path);
    struct oa_watch_list list;
    char *files[1] = {b->dockerfile};

    while (len > 1 && path[len - 1] == '/')
        len--;
    if (!oa_fs_is_absolute(path) ||
        (size_t)snprintf(b->path, sizeof(b->path), "%.*s", (int)len, path) >= sizeof(b->path) ||
        (size_t)snprintf(b->dockerfile, sizeof(b->dockerfile), "%s/Dockerfile",
                         strcmp(b->path, "/") ? b->path : "") >= sizeof(b->dockerfile)) {
        oa_outcome_set(out, false, false, "parameter 'path': '%.200s' is not an absolute path",
                       path);
        return OA_ESCHEMA;
    }
    if (!oa_fs_exists(b->dockerfile)) {
        oa_outcome_set(out, false, false, "%s does not exist", b->dockerfile);
        return -ENOENT;
    }
    if (!b->ctx->watch_dir) {
        printf("no watch directory: %s is not watched\n", b->dockerfile);
        return 0;
    }
    /* §1.7: the first sighting counts as a change. */
    list = (struct oa_watch_list){files, 1, false};
    if (oa_watch_compare(b->ctx->watch_dir, b->ctx->id, &list, true, &b->watch, out->comment,
                         sizeof(out->comment)) < 0) {
        out->result = false;
        return OA_ESCHEMA;
    }
    return 0;
}

static int built_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                     struct oa_outcome *out)
{
    struct build b = {.ctx = ctx, .tag = oa_params_str(p, "tag")};
    struct oa_docker d;
    struct oa_buf comment;
    bool changed = false;
    int r;

    b.force = oa_params_bool(p, "force", false);
    if (!oa_docker_ref_valid("tag", b.tag, out) || !oa_docker_names_valid(p, "containers", out) ||
        built_prepare(&b, p, out) < 0)
        goto done;
    if (oa_docker_open(&d, ctx, out) < 0)
        goto done;
    oa_buf_init(&comment, DOCKER_COMMENT_MAX);
    r = build_image(&b, &d, oa_params_get(p, "containers"), &comment, &changed);
    if (r == 0 && !changed && !d.changed)
        (void)oa_buf_puts(&comment, ", no changes");
    oa_docker_outcome(&d, out, r == 0, changed, &comment);
    /* Sums are stored only after success, so a failed build is retried. */
    if (out->result && !ctx->dry_run && ctx->watch_dir)
        (void)oa_watch_store_outcome(&b.watch, out);
    oa_buf_done(&comment);
    oa_docker_close(&d);
done:
    oa_watch_done(&b.watch);
    return 0;
}

const struct oa_module oa_mod_linux_docker_built = {
    .name = "linux.docker.built",
    .params = built_params,
    .n_params = sizeof(built_params) / sizeof(built_params[0]),
    .run = built_run,
};
