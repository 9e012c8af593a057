/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket: a libuv pipe server on the agent's loop, and the
 * blocking client used by `opsagent status` and `opsagent stop`.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "json.h"
#include "log.h"
#include "mem.h"

#define MAX_REQUEST 4096
#define CLIENT_TIMEOUT_MS 5000

struct client {
    struct oa_ctl *ctl;
    uv_pipe_t pipe;
    uv_timer_t timer;
    uv_write_t write_req;
    struct oa_buf in;
    char *reply;
    char scratch[MAX_REQUEST];
    unsigned open_handles;
    bool answered;
    struct client *next;
};

struct oa_ctl {
    uv_loop_t *loop;
    uv_pipe_t server;
    const struct oa_ctl_ops *ops;
    void *ud;
    char *path;
    struct client *clients;
    bool closing;
    unsigned open_handles; /* the server and every client */
};

static int socket_path(const char *runtime_dir, const char *name, char *buf, size_t len)
{
    if ((size_t)snprintf(buf, len, "%s/%s", runtime_dir, name) >= len)
        return -ENAMETOOLONG;
    return 0;
}

int oa_ctl_lock(const char *runtime_dir, char *reterr, size_t errlen)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int fd;

    if (mkdir(runtime_dir, 0700) < 0 && errno != EEXIST) {
        snprintf(reterr, errlen, "cannot create the runtime dir %s: %s", runtime_dir,
                 strerror(errno));
        return -errno;
    }
    if (socket_path(runtime_dir, OA_CTL_LOCK, path, sizeof(path)) < 0) {
        snprintf(reterr, errlen, "the runtime dir path %s is too long", runtime_dir);
        return -ENAMETOOLONG;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(reterr, errlen, "cannot open the lock file %s: %s", path, strerror(errno));
        return -errno;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK)
            snprintf(reterr, errlen,
                     "another opsagent is running with the runtime dir %s (it holds %s)",
                     runtime_dir, path);
        else
            snprintf(reterr, errlen, "cannot lock %s: %s", path, strerror(err));
        return -err;
    }
    return fd;
}

/* ---- the server ---- */

static void release(struct oa_ctl *ctl)
{
    if (--ctl->open_handles > 0 || !ctl->closing)
        return;
    oa_free(ctl->path);
    oa_free(ctl);
}

static void unlink_client(struct client *c)
{
    struct client **p = &c->ctl->clients;

    while (*p && *p != c)
        p = &(*p)->next;
    if (*p)
        *p = c->next;
}

static void on_client_closed(uv_handle_t *h)
{
    struct client *c = h->data;
    struct oa_ctl *ctl = c->ctl;

    if (--c->open_handles > 0)
        return;
    oa_buf_done(&c->in);
    oa_free(c->reply);
    oa_free(c);
    release(ctl);
}

static void close_client(struct client *c)
{
    if (uv_is_closing((uv_handle_t *)&c->pipe))
        return;
    unlink_client(c);
    uv_close((uv_handle_t *)&c->pipe, on_client_closed);
    uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
    close_client(req->data);
}

static void answer(struct client *c, struct oa_buf *reply)
{
    uv_buf_t b;

    c->answered = true;
    uv_read_stop((uv_stream_t *)&c->pipe);
    if (oa_buf_append(reply, "\n", 1) < 0 || !(c->reply = oa_buf_steal(reply, NULL))) {
        close_client(c);
        return;
    }
    b = uv_buf_init(c->reply, (unsigned)strlen(c->reply));
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0)
        close_client(c);
}

static bool parse_mode(const char *s, enum oa_stop_mode *ret)
{
    static const char *const names[] = {
        [OA_STOP_NOW] = "now", [OA_STOP_WAIT] = "wait", [OA_STOP_END] = "end"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *ret = (enum oa_stop_mode)i;
            return true;
        }
    }
    return false;
}

static void handle_request(struct client *c)
{
    struct oa_ctl *ctl = c->ctl;
    struct oa_json *req = NULL;
    const struct oa_json *cmd, *mode;
    enum oa_stop_mode m = OA_STOP_NOW;
    struct oa_buf out;
    int r;

    oa_buf_init(&out, SIZE_MAX);
    if (oa_json_parse(c->in.data, c->in.len, NULL, &req, NULL, 0) < 0 ||
        !(cmd = oa_json_get(req, "cmd")) || cmd->type != OA_JSON_STRING) {
        r = oa_buf_puts(&out, "{\"ok\":false,\"error\":\"expected {\\\"cmd\\\": ...}\"}");
    } else if (strcmp(cmd->u.str, "status") == 0) {
        r = oa_buf_puts(&out, "{\"ok\":true,");
        if (r == 0)
            r = ctl->ops->status(ctl->ud, &out);
        if (r == 0)
            r = oa_buf_puts(&out, "}");
    } else if (strcmp(cmd->u.str, "stop") == 0 &&
               (!(mode = oa_json_get(req, "mode")) ||
                (mode->type == OA_JSON_STRING && parse_mode(mode->u.str, &m)))) {
        r = oa_buf_puts(&out, "{\"ok\":true}");
        ctl->ops->stop(ctl->ud, m);
    } else {
        r = oa_buf_puts(&out, "{\"ok\":false,\"error\":\"unknown command or mode\"}");
    }
    oa_json_free(req);
    if (r < 0)
        close_client(c);
    else
        answer(c, &out);
    oa_buf_done(&out);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct client *c = h->data;
    *buf = uv_buf_init(c->scratch, sizeof(c->scratch));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct client *c = s->data;
    char *nl;

    if (n < 0) {
        close_client(c);
        return;
    }
    if (n == 0 || c->answered)
        return;
    if (oa_buf_append(&c->in, buf->base, (size_t)n) < 0) {
        oa_log(OA_LOG_WARNING, "control socket: a request over %d bytes, ignoring", MAX_REQUEST);
        close_client(c);
        return;
    }
    if ((nl = memchr(c->in.data, '\n', c->in.len))) {
        c->in.len = (size_t)(nl - c->in.data);
        handle_request(c);
    }
}

static void on_client_timeout(uv_timer_t *t)
{
    close_client(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct oa_ctl *ctl = server->data;
    struct client *c;

    if (status < 0 || ctl->closing)
        return;
    c = oa_calloc(1, sizeof(*c));
    if (!c)
        return;
    c->ctl = ctl;
    oa_buf_init(&c->in, MAX_REQUEST);
    uv_pipe_init(ctl->loop, &c->pipe, 0);
    uv_timer_init(ctl->loop, &c->timer);
    c->pipe.data = c->timer.data = c;
    c->open_handles = 2;
    ctl->open_handles++;
    c->next = ctl->clients;
    ctl->clients = c;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        close_client(c);
        return;
    }
    uv_timer_start(&c->timer, on_client_timeout, CLIENT_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_server_closed(uv_handle_t *h)
{
    release(h->data);
}

int oa_ctl_start(uv_loop_t *loop, const char *runtime_dir, const struct oa_ctl_ops *ops, void *ud,
                 struct oa_ctl **ret, char *reterr, size_t errlen)
{
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct oa_ctl *ctl;
    mode_t old_mask;
    int r;

    if (socket_path(runtime_dir, OA_CTL_SOCKET, path, sizeof(path)) < 0) {
        snprintf(reterr, errlen, "the runtime dir path %s is too long for a socket", runtime_dir);
        return -ENAMETOOLONG;
    }
    if (!(ctl = oa_calloc(1, sizeof(*ctl))) || !(ctl->path = oa_strdup(path))) {
        oa_free(ctl);
        return -ENOMEM;
    }
    ctl->loop = loop;
    ctl->ops = ops;
    ctl->ud = ud;
    uv_pipe_init(loop, &ctl->server, 0);
    ctl->server.data = ctl;
    ctl->open_handles = 1;
    /* The caller holds the lock: a socket file here was left by an agent
     * that died. */
    if (unlink(path) == 0)
        oa_log(OA_LOG_NOTICE, "replaced the stale control socket %s", path);
    old_mask = umask(0177); /* the socket is created 0600 */
    r = uv_pipe_bind(&ctl->server, path);
    umask(old_mask);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&ctl->server, 8, on_connection);
    if (r < 0) {
        snprintf(reterr, errlen, "cannot listen on %s: %s", path, uv_strerror(r));
        ctl->closing = true;
        uv_close((uv_handle_t *)&ctl->server, on_server_closed);
        return r;
    }
    oa_debug("ctl: listening on %s", path);
    *ret = ctl;
    return 0;
}

void oa_ctl_close(struct oa_ctl *ctl)
{
    if (!ctl || ctl->closing)
        return;
    ctl->closing = true;
    while (ctl->clients)
        close_client(ctl->clients);
    (void)unlink(ctl->path);
    uv_close((uv_handle_t *)&ctl->server, on_server_closed);
}

/* ---- the client ---- */

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_reply(int fd, int timeout_ms, struct oa_buf *reply)
{
    char chunk[4096];

    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, timeout_ms);
        ssize_t n;

        if (r == 0)
            return -ETIMEDOUT;
        if (r < 0 && errno != EINTR)
            return -errno;
        if (r < 0)
            continue;
        n = read(fd, chunk, sizeof(chunk));
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0 && (r = oa_buf_append(reply, chunk, (size_t)n)) < 0)
            return r;
    }
}

int oa_ctl_request(const char *runtime_dir, const char *request, int timeout_ms,
                   struct oa_buf *reply, char *reterr, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd, r;

    if (socket_path(runtime_dir, OA_CTL_SOCKET, sa.sun_path, sizeof(sa.sun_path)) < 0) {
        snprintf(reterr, errlen, "the runtime dir path %s is too long", runtime_dir);
        return -ENAMETOOLONG;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        r = -errno;
        snprintf(reterr, errlen, "no agent is running (nothing listens on %s: %s)", sa.sun_path,
                 strerror(-r));
        close(fd);
        return r;
    }
    r = send_all(fd, request, strlen(request));
    if (r == 0)
        r = send_all(fd, "\n", 1);
    if (r == 0)
        r = read_reply(fd, timeout_ms, reply);
    if (r < 0)
        snprintf(reterr, errlen, "talking to the agent on %s: %s", sa.sun_path,
                 r == -ETIMEDOUT ? "no answer in time" : oa_strerror(r));
    close(fd);
    return r;
}
