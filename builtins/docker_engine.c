/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The docker engine made ready for a state (modules.md §1.6: a docker
 * engine installed and its daemon running; kernels are never installed),
 * and registry logins kept private to the state (§11: `docker login -u
 * <user> --password-stdin`).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docker.h"
#include "fsutil.h"
#include "prereq.h"
#include "tool.h"

/* How long a freshly started daemon gets to answer, and how often it is
 * asked. */
#ifndef DOCKER_START_WAIT_MS
#define DOCKER_START_WAIT_MS 30000
#endif
#define DOCKER_POLL_MS 250

static void add_done(struct oa_docker *d, const char *what)
{
    size_t n = strlen(d->done);

    snprintf(d->done + n, sizeof(d->done) - n, "%s%s", n ? "; " : "", what);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes path and everything under it; a missing path is fine. */
static void remove_tree(const char *path)
{
    if (oa_fs_exists(path))
        (void)nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* <state dir>/docker/tmp, emptied: a state killed on its timeout may have
 * left a login's credentials or an env file there. */
static int setup_tmp(struct oa_docker *d, struct oa_outcome *out)
{
    int r;

    if (!d->ctx->state_dir) {
        snprintf(d->tmp_dir, sizeof(d->tmp_dir), "/tmp");
        return 0;
    }
    if ((size_t)snprintf(d->tmp_dir, sizeof(d->tmp_dir), "%s/docker/tmp", d->ctx->state_dir) >=
        sizeof(d->tmp_dir)) {
        oa_outcome_set(out, false, false, "%s: the path is too long", d->ctx->state_dir);
        return -ENAMETOOLONG;
    }
    /* A dry run logs in nowhere and writes no env file: it needs none. */
    if (d->ctx->dry_run)
        return 0;
    remove_tree(d->tmp_dir);
    if ((r = oa_fs_mkdir_p(d->tmp_dir, 0700)) < 0) {
        oa_outcome_set(out, false, false, "cannot create %s: %s", d->tmp_dir, strerror(-r));
        return r;
    }
    return 0;
}

/* Asks the daemon for its version. Returns 0 when it answers. */
static int ping(struct oa_docker *d)
{
    const char *args[] = {"info", "--format", "{{.ServerVersion}}", NULL};
    struct oa_buf cap;
    int r;

    oa_buf_init(&cap, DOCKER_CAPTURE_MAX);
    r = oa_docker_query(d, args, &cap);
    oa_buf_done(&cap);
    return r;
}

/* The CLI's words when nothing listens on the daemon's socket. */
static bool daemon_down(const char *why)
{
    return strstr(why, "Cannot connect to the Docker daemon") ||
           strstr(why, "Is the docker daemon running");
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The command that starts the docker service on this host, into argv
 * (room for 4). Returns false when there is none. */
static bool start_argv(const struct oa_docker *d, char *argv[4])
{
    char path[PATH_MAX];

    if (d->os.init == OA_INIT_SYSTEMD) {
        argv[0] = (char *)"systemctl", argv[1] = (char *)"start", argv[2] = (char *)"docker";
    } else if (oa_tool_which("service", path, sizeof(path))) {
        /* `service` also drives Upstart jobs. */
        argv[0] = (char *)"service", argv[1] = (char *)"docker", argv[2] = (char *)"start";
    } else if (oa_fs_exists("/etc/init.d/docker")) {
        argv[0] = (char *)"/etc/init.d/docker", argv[1] = (char *)"start", argv[2] = NULL;
    } else {
        return false;
    }
    argv[3] = NULL;
    return true;
}

static int start_daemon(struct oa_docker *d, struct oa_outcome *out)
{
    char *argv[4], why[256], st[64];
    int status, r;

    if (d->ctx->dry_run) {
        add_done(d, "would start the docker daemon");
        d->changed = true;
        return 0;
    }
    if (!start_argv(d, argv)) {
        oa_outcome_set(out, false, false,
                       "the docker daemon is not running, and no init system here can start it");
        return -ENOENT;
    }
    printf("+ %s %s%s%s\n", argv[0], argv[1], argv[2] ? " " : "", argv[2] ? argv[2] : "");
    if ((r = oa_tool_exec(argv, NULL, NULL, &status, why, sizeof(why))) == 0 &&
        !oa_tool_ok(status)) {
        snprintf(why, sizeof(why), "%s %s %s", argv[0], argv[1],
                 oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    }
    if (r < 0) {
        oa_outcome_set(out, false, false,
                       "the docker daemon is not running and cannot be started: %s", why);
        return r;
    }
    /* The service returns before the daemon listens on its socket. */
    for (long waited = 0; (r = ping(d)) < 0; waited += DOCKER_POLL_MS) {
        if (waited >= DOCKER_START_WAIT_MS || !daemon_down(d->why)) {
            oa_outcome_set(out, false, true,
                           "the docker daemon does not answer after its start: %s", d->why);
            return r;
        }
        pause_ms(DOCKER_POLL_MS);
    }
    add_done(d, "started the docker daemon");
    d->changed = true;
    d->live = true;
    return 0;
}

int oa_docker_open(struct oa_docker *d, const struct oa_run_ctx *ctx, struct oa_outcome *out)
{
    char what[128];
    bool installed;
    int r;

    *d = (struct oa_docker){.ctx = ctx};
    oa_osinfo_read(&d->os);
    if ((r = setup_tmp(d, out)) < 0)
        return r;
    r = oa_prereq_ensure(ctx, &d->os, "docker", DOCKER_DEB_PACKAGE, DOCKER_RPM_PACKAGE, &installed,
                         out);
    if (r < 0)
        return r;
    if (installed) {
        snprintf(what, sizeof(what), "%s %s", ctx->dry_run ? "would install" : "installed",
                 d->os.family == OA_OS_DEBIAN ? DOCKER_DEB_PACKAGE : DOCKER_RPM_PACKAGE);
        add_done(d, what);
        d->changed = true;
        if (ctx->dry_run)
            return 0;
    }
    if ((r = ping(d)) == 0) {
        d->live = true;
        return 0;
    }
    if (!daemon_down(d->why)) {
        oa_outcome_set(out, false, d->changed, "docker does not answer: %s", d->why);
        return r;
    }
    return start_daemon(d, out);
}

void oa_docker_close(struct oa_docker *d)
{
    if (d->config[0])
        remove_tree(d->config);
    d->config[0] = '\0';
}

/* text with every occurrence of secret replaced by "***", into b. */
static void redact(const char *text, const char *secret, struct oa_buf *b)
{
    size_t n = strlen(secret);
    const char *hit;

    while (n > 0 && (hit = strstr(text, secret))) {
        (void)oa_buf_append(b, text, (size_t)(hit - text));
        (void)oa_buf_puts(b, "***");
        text = hit + n;
    }
    (void)oa_buf_puts(b, text);
}

static int login_run(struct oa_docker *d, char *const argv[], const char *password, char *why,
                     size_t len)
{
    struct oa_buf cap, shown;
    int status, r;

    oa_buf_init(&cap, DOCKER_CAPTURE_MAX);
    oa_buf_init(&shown, 2 * DOCKER_CAPTURE_MAX);
    r = oa_docker_exec(argv, password, &cap, NULL, NULL, &status, why, len);
    redact(cap.data ? cap.data : "", password, &shown);
    if (shown.len)
        printf("%s%s", shown.data, shown.data[shown.len - 1] == '\n' ? "" : "\n");
    if (r == 0 && !oa_tool_ok(status)) {
        char st[64];
        oa_docker_last_line(shown.data ? shown.data : "", why, len);
        if (!why[0])
            snprintf(why, len, "docker login %s", oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    }
    oa_buf_done(&cap);
    oa_buf_done(&shown);
    return r;
}

int oa_docker_login(struct oa_docker *d, const char *ref, const char *user, const char *password)
{
    char registry[256], why[DOCKER_LINE_MAX];
    const char *where;
    int r;

    oa_docker_registry(ref, registry, sizeof(registry));
    where = registry[0] ? registry : "Docker Hub";
    if (d->ctx->dry_run || !d->live) {
        printf("would log in to %s as %s\n", where, user);
        return 0;
    }
    if ((size_t)snprintf(d->config, sizeof(d->config), "%s/%slogin-XXXXXX", d->tmp_dir,
                         d->ctx->state_dir ? "" : "opsagent-docker-") >= sizeof(d->config) ||
        !mkdtemp(d->config)) {
        r = -errno;
        d->config[0] = '\0';
        snprintf(d->why, sizeof(d->why), "cannot create a docker client config in %.200s: %s",
                 d->tmp_dir, strerror(-r));
        return r;
    }
    /* The global option --config goes before the command. */
    char *argv[] = {(char *)"docker",
                    (char *)"--config",
                    d->config,
                    (char *)"login",
                    (char *)"-u",
                    (char *)user,
                    (char *)"--password-stdin",
                    registry[0] ? registry : NULL,
                    NULL};
    printf("+ docker --config %s login -u %s --password-stdin%s%s\n", d->config, user,
           registry[0] ? " " : "", registry);
    if ((r = login_run(d, argv, password, why, sizeof(why))) < 0) {
        snprintf(d->why, sizeof(d->why), "cannot log in to %.150s as %.100s: %.200s", where, user,
                 why);
        return r;
    }
    return 0;
}
