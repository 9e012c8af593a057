/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The blocking side of the self-update (update.h), in processes of their
 * own: `opsagent exec-update`, the child the agent starts for an
 * AgentUpdate, and `opsagent rollback-check`, systemd's ExecStartPre run
 * with the previous binary. exec-update downloads, verifies and installs in
 * that order and stops at the first failure, removing EXE.new: the running
 * binary is only ever replaced by one rename of a verified payload.
 */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtins.h"
#include "cfg.h"
#include "childio.h"
#include "digest.h"
#include "err.h"
#include "exec.h"
#include "fetch.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "parse.h"

#define REQUEST_MAX (64u << 10)
#define VERSION_OUTPUT_MAX 4096

struct request {
    char *version, *url, *key, *exe, *state_dir;
    char *ca_file, *proxy, *no_proxy; /* may be NULL */
    uint64_t deadline_ms;
};

struct paths {
    char new_exe[PATH_MAX];
    char prev[PATH_MAX];
    char marker[PATH_MAX];
};

static void request_done(struct request *rq)
{
    char **fields[] = {&rq->version,   &rq->url,     &rq->key,   &rq->exe,
                       &rq->state_dir, &rq->ca_file, &rq->proxy, &rq->no_proxy};

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        oa_free(*fields[i]);
        *fields[i] = NULL;
    }
}

/* A string member; optional ones may be absent or null. */
static int take_string(const struct oa_json *root, const char *key, bool required, char **ret)
{
    const struct oa_json *v = oa_json_get(root, key);

    if ((!v || v->type == OA_JSON_NULL) && !required)
        return 0;
    if (!v || v->type != OA_JSON_STRING || v->len == 0 || strlen(v->u.str) != v->len)
        return OA_ESCHEMA;
    *ret = oa_strdup(v->u.str);
    return *ret ? 0 : -ENOMEM;
}

static int parse_request(const char *text, size_t len, struct request *rq, char *why, size_t wlen)
{
    static const char *const required[] = {"version", "url", "key", "exe", "state_dir"};
    static const char *const optional[] = {"ca_file", "proxy", "no_proxy"};
    char **req_out[] = {&rq->version, &rq->url, &rq->key, &rq->exe, &rq->state_dir};
    char **opt_out[] = {&rq->ca_file, &rq->proxy, &rq->no_proxy};
    const struct oa_json_limits limits = {4, 64, NULL};
    const struct oa_json *dl;
    struct oa_json *root = NULL;
    int r = oa_json_parse(text, len, &limits, &root, why, wlen);

    if (r == 0 && root->type != OA_JSON_OBJECT)
        r = OA_ESCHEMA;
    for (size_t i = 0; r == 0 && i < 5; i++)
        if ((r = take_string(root, required[i], true, req_out[i])) == OA_ESCHEMA)
            snprintf(why, wlen, "\"%s\" must be a non-empty string", required[i]);
    for (size_t i = 0; r == 0 && i < 3; i++)
        if ((r = take_string(root, optional[i], false, opt_out[i])) == OA_ESCHEMA)
            snprintf(why, wlen, "\"%s\" must be a string or null", optional[i]);
    dl = r == 0 ? oa_json_get(root, "deadline_ms") : NULL;
    if (r == 0 && (!dl || dl->type != OA_JSON_NUMBER ||
                   oa_parse_u64(dl->u.str, UINT32_MAX, &rq->deadline_ms) < 0)) {
        snprintf(why, wlen, "\"deadline_ms\" must be a number of milliseconds");
        r = OA_ESCHEMA;
    }
    oa_json_free(root);
    return r;
}

static struct oa_fetch_opts fetch_opts(const struct request *rq, size_t max_bytes)
{
    struct oa_fetch_opts o = {rq->ca_file, rq->proxy, rq->no_proxy, max_bytes,
                              OA_UPDATE_FETCH_TIMEOUT_MS};
    return o;
}

/* Downloads the payload into a fresh EXE.new (0700, nobody else's file). */
static int fetch_payload(const struct request *rq, const char *path, int *ret_fd,
                         struct oa_outcome *out)
{
    struct oa_fetch_opts o = fetch_opts(rq, OA_UPDATE_PAYLOAD_MAX);
    char why[1024], shown[OA_FETCH_SHOWN_MAX];
    int fd, r;

    if (strncmp(rq->url, "https://", 8) != 0) {
        oa_outcome_set(out, false, false, "%s is not an https:// URL",
                       oa_fetch_shown_url(rq->url, shown, sizeof(shown)));
        return -EINVAL;
    }
    (void)unlink(path);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);
    if (fd < 0 || fchmod(fd, 0700) < 0) {
        r = -errno;
        oa_outcome_set(out, false, false, "cannot create %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return r;
    }
    *ret_fd = fd;
    r = oa_fetch_fd(rq->url, &o, fd, why, sizeof(why));
    if (r < 0) {
        oa_outcome_set(out, false, false, "%s", why);
    } else if (fsync(fd) < 0) {
        r = -errno;
        oa_outcome_set(out, false, false, "cannot write %s: %s", path, strerror(-r));
    }
    return r;
}

static int verify_payload(const struct request *rq, int fd, struct oa_outcome *out)
{
    struct oa_fetch_opts o = fetch_opts(rq, OA_UPDATE_SIG_MAX);
    size_t n = strlen(rq->url);
    char *sig_url = oa_malloc(n + 5), why[1024];
    unsigned char hash[32];
    struct oa_buf sig;
    int r;

    if (!sig_url)
        return -ENOMEM;
    memcpy(sig_url, rq->url, n);
    memcpy(sig_url + n, ".sig", 5);
    oa_buf_init(&sig, OA_UPDATE_SIG_MAX);
    r = oa_fetch_buf(sig_url, &o, &sig, why, sizeof(why));
    if (r == 0 && (r = oa_digest_fd(fd, MBEDTLS_MD_SHA256, hash)) < 0)
        snprintf(why, sizeof(why), "cannot read the download back: %s", strerror(-r));
    if (r == 0)
        r = oa_update_verify(rq->key, hash, sig.data, sig.len, why, sizeof(why));
    if (r < 0)
        oa_outcome_set(out, false, false, "%s", why);
    oa_buf_done(&sig);
    oa_free(sig_url);
    return r;
}

static void on_version_done(struct oa_exec_outcome *o, void *ud)
{
    *(struct oa_exec_outcome **)ud = o;
}

/* Why a --version run failed, or NULL when it exited with 0. */
static const char *run_failure(const struct oa_exec_outcome *x, char *buf, size_t len)
{
    if (x->spawn_error < 0)
        snprintf(buf, len, "cannot run the new binary: %s", uv_strerror(x->spawn_error));
    else if (x->timed_out)
        snprintf(buf, len, "the new binary did not answer --version within %u s",
                 (unsigned)(OA_UPDATE_VERSION_TIMEOUT_MS / 1000));
    else if (x->term_signal)
        snprintf(buf, len, "the new binary was killed by signal %d (%s) running --version",
                 x->term_signal, strsignal(x->term_signal));
    else if (x->exit_status != 0)
        snprintf(buf, len, "the new binary exited with status %lld running --version",
                 (long long)x->exit_status);
    else
        return NULL;
    return buf;
}

/* Runs `NEW --version` (argv, bounded time and output) on a private loop. */
static int check_new_binary(const struct request *rq, const char *path, struct oa_outcome *out)
{
    char *argv[] = {(char *)path, (char *)"--version", NULL};
    struct oa_exec_spec spec = {.file = path,
                                .argv = argv,
                                .env = environ,
                                .timeout_ms = OA_UPDATE_VERSION_TIMEOUT_MS,
                                .kill_grace_ms = 1000,
                                .output_limit = VERSION_OUTPUT_MAX};
    struct oa_exec_outcome *x = NULL;
    char why[512];
    uv_loop_t loop;
    int r = uv_loop_init(&loop);

    if (r < 0) {
        oa_outcome_set(out, false, false, "cannot run the new binary: %s", uv_strerror(r));
        return r;
    }
    if (oa_exec_start(&loop, &spec, on_version_done, &x, NULL) == 0)
        uv_run(&loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&loop);
    if (!x)
        return -ENOMEM;
    if (run_failure(x, why, sizeof(why))) {
        oa_outcome_set(out, false, false, "%s", why);
        r = -EBADMSG;
    } else if ((r = oa_update_check_version(x->output, x->output_len, rq->version, why,
                                            sizeof(why))) < 0) {
        oa_outcome_set(out, false, false, "%s", why);
    }
    oa_exec_outcome_free(x);
    return r;
}

/* Keeps the running binary as EXE.prev, writes the marker, then renames
 * EXE.new over EXE: the one step that changes what runs. */
static int install(const struct request *rq, const struct paths *p, struct oa_outcome *out)
{
    /* The deadline starts with the new binary (oa_update_marker_start). */
    struct oa_update_marker m = {rq->version, (char *)OA_VERSION, 0, 0,
                                 (rq->deadline_ms + 999) / 1000};
    char why[1024];
    struct stat st;
    int r;

    if (stat(rq->exe, &st) < 0) {
        r = -errno;
        oa_outcome_set(out, false, false, "cannot read %s: %s", rq->exe, strerror(-r));
        return r;
    }
    if ((r = oa_update_copy_atomic(rq->exe, p->prev, why, sizeof(why))) < 0) {
        oa_outcome_set(out, false, false, "cannot keep the running binary: %s", why);
        return r;
    }
    if ((r = oa_update_marker_write(p->marker, &m, why, sizeof(why))) < 0) {
        oa_outcome_set(out, false, false, "cannot write the update marker: %s", why);
        return r;
    }
    /* The download was made 0700; the binary keeps the permissions it had. */
    if (chmod(p->new_exe, st.st_mode & 0777) < 0 || rename(p->new_exe, rq->exe) < 0) {
        r = -errno;
        oa_outcome_set(out, false, false, "cannot move %s over %s: %s", p->new_exe, rq->exe,
                       strerror(-r));
        (void)unlink(p->marker);
        return r;
    }
    oa_outcome_set(out, true, true, "installed opsagent %s over %s (was %s, kept as %s)",
                   rq->version, rq->exe, OA_VERSION, p->prev);
    return 0;
}

static int make_paths(const struct request *rq, struct paths *p, struct oa_outcome *out)
{
    if ((size_t)snprintf(p->new_exe, sizeof(p->new_exe), "%s.new", rq->exe) < sizeof(p->new_exe) &&
        (size_t)snprintf(p->prev, sizeof(p->prev), "%s.prev", rq->exe) < sizeof(p->prev) &&
        (size_t)snprintf(p->marker, sizeof(p->marker), "%s/" OA_UPDATE_MARKER_NAME, rq->state_dir) <
            sizeof(p->marker))
        return 0;
    oa_outcome_set(out, false, false, "the paths of %s are too long", rq->exe);
    return -ENAMETOOLONG;
}

static void run_update(const struct request *rq, struct oa_outcome *out)
{
    struct paths p;
    int fd = -1, r;

    if (make_paths(rq, &p, out) < 0)
        return;
    r = fetch_payload(rq, p.new_exe, &fd, out);
    if (r == 0)
        r = verify_payload(rq, fd, out);
    /* Closed before it runs: a file open for writing cannot be executed. */
    if (fd >= 0)
        close(fd);
    if (r == 0)
        r = check_new_binary(rq, p.new_exe, out);
    if (r == 0)
        r = install(rq, &p, out);
    if (r < 0) {
        if (r == -ENOMEM && !out->comment[0])
            oa_outcome_set(out, false, false, "out of memory");
        out->result = false;
        (void)unlink(p.new_exe);
    }
}

int oa_update_exec_child(void)
{
    struct oa_outcome out = {0};
    struct request rq = {0};
    struct oa_buf in;
    char why[512];
    int result_fd = oa_childio_result_fd(), r, status = 2;

    oa_buf_init(&in, REQUEST_MAX);
    r = oa_childio_read_all(STDIN_FILENO, &in);
    if (r < 0)
        oa_outcome_set(&out, false, false, "cannot read the request on stdin: %s", oa_strerror(r));
    else if (parse_request(in.data ? in.data : "", in.len, &rq, why, sizeof(why)) != 0)
        oa_outcome_set(&out, false, false, "invalid request on stdin: %s", why);
    else {
        run_update(&rq, &out);
        status = out.result ? 0 : 1;
    }
    request_done(&rq);
    oa_buf_done(&in);
    fflush(stdout);
    oa_childio_write_result(result_fd, &out);
    return status;
}

/* EXE and EXE.prev from the binary running rollback-check, which is
 * EXE.prev under systemd (ExecStartPre) and may be EXE by hand. */
static int prev_paths(const char *self_exe, char *exe, char *prev, size_t len)
{
    size_t n = strlen(self_exe);

    if (n >= len)
        return -ENAMETOOLONG;
    if (n > 5 && strcmp(self_exe + n - 5, ".prev") == 0) {
        snprintf(exe, len, "%.*s", (int)(n - 5), self_exe);
        snprintf(prev, len, "%s", self_exe);
        return 0;
    }
    snprintf(exe, len, "%s", self_exe);
    return (size_t)snprintf(prev, len, "%s.prev", self_exe) < len ? 0 : -ENAMETOOLONG;
}

int oa_update_rollback_check(const struct oa_cfg *cfg, const char *self_exe)
{
    char exe[PATH_MAX], prev[PATH_MAX], marker[PATH_MAX], msg[2048];
    int r;

    if (prev_paths(self_exe, exe, prev, sizeof(exe)) < 0 ||
        (size_t)snprintf(marker, sizeof(marker), "%s/" OA_UPDATE_MARKER_NAME, cfg->state_dir) >=
            sizeof(marker)) {
        oa_log(OA_LOG_ERR, "rollback-check: the paths of %s are too long", self_exe);
        return 1;
    }
    r = oa_update_check_attempt(marker, exe, prev, time(NULL), msg, sizeof(msg));
    if (r == OA_UPDATE_NONE)
        oa_debug("rollback-check: no update pending (%s)", marker);
    else if (r == OA_UPDATE_COUNTED)
        oa_log(OA_LOG_NOTICE, "%s", msg);
    else
        oa_log(OA_LOG_ERR, "%s", msg);
    return r < 0 ? 1 : 0;
}
