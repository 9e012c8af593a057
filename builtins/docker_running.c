/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.docker.running (modules.md §11.3): containers made from a local
 * image (never pulled), kept running, recreated when stopped, forced, or
 * when the parameter set changed since the last round (its fingerprint is
 * kept under <state dir>/docker/<state id>, §1.12), restarted when a
 * watched file changed (§1.7: `watch`, and the host copies of `files`;
 * the first sighting is a baseline). Leftover numbered containers are
 * stopped. The work is shared with linux.docker.deploy. Runs in the
 * exec-state child; the docker CLI with argv arrays (docker.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docker_run.h"
#include "err.h"
#include "fsutil.h"
#include "mem.h"
#include "modules.h"

/* One run of the container set. */
struct runs {
    struct oa_docker *d;
    struct oa_docker_run *r;
    struct oa_buf *comment;
    bool *changed;
    struct oa_docker_ps ps;
    struct oa_watch watch;
    bool fired;              /* restart the containers that run */
    bool params_changed;     /* the fingerprint differs from the stored one */
    char fp_path[PATH_MAX];  /* "" without a state dir */
    char env_file[PATH_MAX]; /* made for the first `docker run` that needs it */
    struct oa_buf fine;      /* containers left as they were */
};

static int read_small(const char *path, char *buf, size_t len)
{
    struct oa_buf b;
    int r;

    oa_buf_init(&b, len - 1);
    r = oa_fs_read_file(path, &b);
    snprintf(buf, len, "%s", r == 0 && b.data ? b.data : "");
    buf[strcspn(buf, " \r\n")] = '\0';
    oa_buf_done(&b);
    return r;
}

int oa_docker_files_write(struct oa_docker_run *r, struct oa_buf *comment, bool *changed)
{
    char why[512], dir[PATH_MAX];
    int rc;

    for (size_t i = 0; i < r->n_files; i++) {
        struct oa_docker_file *f = &r->files[i];
        size_t len = strlen(f->content);
        struct oa_buf now;
        oa_buf_init(&now, len + 1);
        rc = oa_fs_read_file(f->host, &now);
        f->differs =
            rc < 0 || now.len != len || memcmp(now.data ? now.data : "", f->content, len) != 0;
        oa_buf_done(&now);
        if (!f->differs)
            continue;
        *changed = true;
        if (r->ctx->dry_run) {
            oa_docker_note(comment, "would write the host copy of %s", f->path);
            continue;
        }
        why[0] = '\0';
        snprintf(dir, sizeof(dir), "%s", f->host);
        if ((rc = oa_fs_mkdir_p(dirname(dir), 0700)) < 0)
            snprintf(why, sizeof(why), "%.200s: %s", dir, strerror(-rc));
        else
            rc = oa_fs_write_atomic(f->host, f->content, len, 0644, 0, 0, why, sizeof(why));
        if (rc < 0) {
            oa_docker_note(comment, "cannot write the host copy of %s: %s", f->path, why);
            return rc;
        }
        printf("wrote %s\n", f->host);
        oa_docker_note(comment, "wrote the host copy of %s", f->path);
    }
    return 0;
}

/* §11.3 step 1: compares the fingerprint with the stored one; the first
 * round only stores it (the original did the same). */
static int check_fingerprint(struct runs *s)
{
    const struct oa_run_ctx *ctx = s->r->ctx;
    char stored[80];

    if (!ctx->state_dir) {
        printf("no state directory: a change of the parameters is not detected\n");
        return 0;
    }
    if (!ctx->id[0] || strchr(ctx->id, '/') || strstr(ctx->id, "..") ||
        (size_t)snprintf(s->fp_path, sizeof(s->fp_path), "%s/docker/%s", ctx->state_dir, ctx->id) >=
            sizeof(s->fp_path)) {
        oa_docker_note(s->comment, "state id '%.100s' cannot name a file", ctx->id);
        return OA_ESCHEMA;
    }
    if (read_small(s->fp_path, stored, sizeof(stored)) == 0 && stored[0])
        s->params_changed = strcmp(stored, s->r->fingerprint) != 0;
    return 0;
}

/* §1.7: `watch` and the host copies of `files`; the first sighting is a
 * baseline. In a dry run the copies are not written, so a copy that would
 * change counts as changed. */
static int compare_watch(struct runs *s)
{
    const struct oa_docker_run *r = s->r;
    size_t n = r->watch.n + r->n_files;
    char **files, why[1024];
    int rc;

    if (n == 0 && !r->watch.always)
        return 0;
    if (n > 0 && !r->ctx->watch_dir) {
        printf("no watch directory: the watched files are not watched\n");
        return 0;
    }
    if (!(files = oa_calloc(n + 1, sizeof(*files))))
        return -ENOMEM;
    for (size_t i = 0; i < r->watch.n; i++)
        files[i] = r->watch.files[i];
    for (size_t i = 0; i < r->n_files; i++)
        files[r->watch.n + i] = r->files[i].host;
    struct oa_watch_list list = {files, n, r->watch.always};
    rc = oa_watch_compare(r->ctx->watch_dir, r->ctx->id, &list, false, &s->watch, why, sizeof(why));
    oa_free(files);
    if (rc < 0) {
        oa_docker_note(s->comment, "%s", why);
        return rc;
    }
    s->fired = s->watch.fired;
    for (size_t i = 0; r->ctx->dry_run && i < r->n_files; i++)
        s->fired |= r->files[i].differs && oa_fs_exists(r->files[i].host);
    return 0;
}

/* §11.3 step 2: numbered containers no longer wanted are stopped (not
 * removed, as the original did). */
static int stop_leftovers(struct runs *s)
{
    const struct oa_docker_run *r = s->r;
    char name[DOCKER_NAME_MAX];
    struct oa_buf stopped;
    int rc = 0;

    oa_buf_init(&stopped, DOCKER_COMMENT_MAX);
    for (size_t i = r->count ? 0 : 1; i < r->count + 10000 && rc == 0; i++) {
        if (i > 0 && i <= r->count)
            continue;
        if (i == 0)
            snprintf(name, sizeof(name), "%s", r->container);
        else
            snprintf(name, sizeof(name), "%s_%zu", r->container, i);
        int st = oa_docker_ps_find(&s->ps, name);
        if (st < 0 && i > 0)
            break;
        if (st != 1)
            continue;
        const char *args[] = {"stop", name, NULL};
        if (!r->ctx->dry_run && (rc = oa_docker_action(s->d, args, false, NULL, NULL)) < 0)
            oa_docker_note(s->comment, "cannot stop the leftover container %s: %s", name,
                           s->d->why);
        else
            (void)oa_buf_printf(&stopped, "%s%s", stopped.len ? ", " : "", name);
    }
    if (stopped.len) {
        *s->changed = true;
        oa_docker_note(s->comment, "%s the leftover %s %s",
                       r->ctx->dry_run ? "would stop" : "stopped",
                       strchr(stopped.data, ',') ? "containers" : "container", stopped.data);
    }
    oa_buf_done(&stopped);
    return rc;
}

/* The env file of `docker run --env-file`: the values stay out of argv
 * (which every local user can read in ps). 0600, removed after the run. */
static int make_env_file(struct runs *s)
{
    const struct oa_docker_run *r = s->r;
    struct oa_buf text;
    int fd = -1, rc = 0;

    if ((size_t)snprintf(s->env_file, sizeof(s->env_file), "%s/%senv-XXXXXX", s->d->tmp_dir,
                         r->ctx->state_dir ? "" : "opsagent-docker-") >= sizeof(s->env_file))
        rc = -ENAMETOOLONG;
    else if ((fd = mkostemp(s->env_file, O_CLOEXEC)) < 0)
        rc = -errno;
    if (rc < 0) {
        oa_docker_note(s->comment, "cannot create an env file in %s: %s", s->d->tmp_dir,
                       strerror(-rc));
        s->env_file[0] = '\0';
        return rc;
    }
    oa_buf_init(&text, SIZE_MAX);
    for (size_t i = 0; i < r->n_env && rc == 0; i++)
        rc = oa_buf_printf(&text, "%s=%s\n", r->env[i].key, r->env[i].value);
    if (rc == 0 && (fchmod(fd, 0600) < 0 || write(fd, text.data, text.len) != (ssize_t)text.len))
        rc = -errno;
    close(fd);
    oa_buf_done(&text);
    if (rc < 0)
        oa_docker_note(s->comment, "cannot write the env file %s: %s", s->env_file, strerror(-rc));
    return rc;
}

/* Removes what is there under name and runs container i. */
static int create(struct runs *s, size_t i, bool exists, const char *reason)
{
    const char *name = s->r->names[i], *rm[] = {"rm", "-f", name, NULL};
    struct oa_docker_args a;
    int rc;

    *s->changed = true;
    if (s->r->ctx->dry_run) {
        oa_docker_note(s->comment, "would %s container %s from %s%s%s%s",
                       exists ? "recreate" : "start", name, s->r->image, reason ? " (" : "",
                       reason ? reason : "", reason ? ")" : "");
        return 0;
    }
    if (exists && (rc = oa_docker_action(s->d, rm, false, NULL, NULL)) < 0) {
        oa_docker_note(s->comment, "cannot remove the container %s: %s", name, s->d->why);
        return rc;
    }
    if (s->r->n_env && !s->env_file[0] && (rc = make_env_file(s)) < 0)
        return rc;
    if ((rc = oa_docker_run_args(s->r, i, s->r->n_env ? s->env_file : NULL, &a)) < 0) {
        oa_docker_note(s->comment, "out of memory");
        return rc;
    }
    rc = oa_docker_action(s->d, a.argv, false, NULL, NULL);
    oa_docker_args_done(&a);
    if (rc < 0) {
        oa_docker_note(s->comment, "cannot start the container %s from %s: %s", name, s->r->image,
                       s->d->why);
        return rc;
    }
    oa_docker_note(s->comment, "%s container %s from %s%s%s%s", exists ? "recreated" : "started",
                   name, s->r->image, reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
    return 0;
}

/* §11.3 step 4: a restart, and a new container when it fails. */
static int restart(struct runs *s, size_t i)
{
    const char *name = s->r->names[i], *args[] = {"restart", name, NULL};

    *s->changed = true;
    if (s->r->ctx->dry_run) {
        oa_docker_note(s->comment, "would restart container %s", name);
        return 0;
    }
    if (oa_docker_action(s->d, args, false, NULL, NULL) == 0) {
        oa_docker_note(s->comment, "restarted container %s", name);
        return 0;
    }
    printf("the restart of %s failed (%s): recreating it\n", name, s->d->why);
    return create(s, i, true, "its restart failed");
}

static int handle(struct runs *s, size_t i)
{
    const struct oa_docker_run *r = s->r;
    int st = oa_docker_ps_find(&s->ps, r->names[i]);

    if (st == 1 && !r->force && !s->params_changed) {
        if (s->fired)
            return restart(s, i);
        (void)oa_buf_printf(&s->fine, "%s%s", s->fine.len ? ", " : "", r->names[i]);
        return 0;
    }
    return create(s, i, st >= 0,
                  st == 0    ? "it was stopped"
                  : st < 0   ? NULL
                  : r->force ? "force"
                             : "its parameters changed");
}

static int apply(struct runs *s)
{
    char id[DOCKER_ID_MAX], why[1024];
    int rc;

    if ((rc = check_fingerprint(s)) < 0 || (rc = compare_watch(s)) < 0)
        return rc;
    if (s->d->live && !(s->r->ctx->dry_run && s->r->pulled_first)) {
        /* §11.3 step 3: no implicit pull. */
        if ((rc = oa_docker_image_id(s->d, s->r->image, id)) <= 0) {
            if (rc == 0)
                oa_docker_note(s->comment, "image %s does not exist", s->r->image);
            else
                oa_docker_note(s->comment, "cannot inspect the image %s: %s", s->r->image,
                               s->d->why);
            return rc < 0 ? rc : -ENOENT;
        }
    }
    if (s->d->live) {
        if ((rc = oa_docker_ps_read(s->d, &s->ps)) < 0) {
            oa_docker_note(s->comment, "cannot list the containers: %s", s->d->why);
            return rc;
        }
    }
    if (s->fired && oa_watch_describe(&s->watch, why, sizeof(why))[0])
        oa_docker_note(s->comment, "%s", why);
    if ((rc = stop_leftovers(s)) < 0)
        return rc;
    /* Every container is attempted (§1.3); the first failure is kept. */
    for (size_t i = 0; i < s->r->n_names; i++) {
        int one = handle(s, i);
        rc = rc < 0 ? rc : one;
    }
    if (s->fine.len)
        oa_docker_note(s->comment, "%s %s %s running",
                       strchr(s->fine.data, ',') ? "containers" : "container", s->fine.data,
                       strchr(s->fine.data, ',') ? "are" : "is");
    return rc;
}

/* After success, outside a dry run: the fingerprint and the watch sums. */
static int store(struct runs *s)
{
    char why[1024], dir[PATH_MAX];
    int rc;

    if (s->fp_path[0]) {
        snprintf(dir, sizeof(dir), "%s", s->fp_path);
        if ((rc = oa_fs_mkdir_p(dirname(dir), 0700)) < 0) {
            oa_docker_note(s->comment, "cannot create %s: %s", dir, strerror(-rc));
            return rc;
        }
        if ((rc = oa_fs_write_atomic(s->fp_path, s->r->fingerprint, strlen(s->r->fingerprint), 0600,
                                     (uid_t)-1, (gid_t)-1, why, sizeof(why))) < 0) {
            oa_docker_note(s->comment, "cannot store the parameters' fingerprint: %s", why);
            return rc;
        }
    }
    if (s->watch.n && (rc = oa_watch_store(&s->watch, why, sizeof(why))) < 0) {
        oa_docker_note(s->comment, "%s", why);
        return rc;
    }
    return 0;
}

int oa_docker_running(struct oa_docker *d, struct oa_docker_run *r, struct oa_buf *comment,
                      bool *changed)
{
    struct runs s = {.d = d, .r = r, .comment = comment, .changed = changed};
    int rc;

    oa_buf_init(&s.fine, DOCKER_COMMENT_MAX);
    rc = apply(&s);
    if (s.env_file[0])
        (void)unlink(s.env_file);
    if (rc == 0 && !r->ctx->dry_run)
        rc = store(&s);
    oa_buf_done(&s.fine);
    oa_docker_ps_done(&s.ps);
    oa_watch_done(&s.watch);
    return rc;
}

static const struct oa_param_spec running_params[] = {OA_DOCKER_RUN_PARAMS};

static int running_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                       struct oa_outcome *out)
{
    struct oa_docker_run r;
    struct oa_docker d;
    struct oa_buf comment;
    bool changed = false;
    int rc;

    if (oa_docker_run_parse(ctx, p, &r, out->comment, sizeof(out->comment)) < 0) {
        out->result = false;
        return 0;
    }
    /* module.json lists them, but this module never pulls (§11.3). */
    if (oa_params_str(p, "username") || oa_params_str(p, "password") || oa_params_str(p, "email"))
        printf("ignoring 'username', 'password' and 'email': linux.docker.running never "
               "pulls\n");
    if (oa_docker_open(&d, ctx, out) == 0) {
        oa_buf_init(&comment, DOCKER_COMMENT_MAX);
        rc = oa_docker_files_write(&r, &comment, &changed);
        if (rc == 0)
            rc = oa_docker_running(&d, &r, &comment, &changed);
        if (rc == 0 && !changed && !d.changed && !ctx->dry_run)
            (void)oa_buf_puts(&comment, ", no changes");
        oa_docker_outcome(&d, out, rc == 0, changed, &comment);
        oa_buf_done(&comment);
        oa_docker_close(&d);
    }
    oa_docker_run_done(&r);
    return 0;
}

const struct oa_module oa_mod_linux_docker_running = {
    .name = "linux.docker.running",
    .params = running_params,
    .n_params = sizeof(running_params) / sizeof(running_params[0]),
    .run = running_run,
};
