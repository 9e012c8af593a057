/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test server and CONNECT proxy of test_httpc.c, which includes this
 * file (it is not a test of its own and is not built alone). Both run in
 * the test process on the test's libuv loop and listen on 127.0.0.1 port 0.
 * The server answers by path from a script and speaks TLS through raw
 * mbedTLS over the same sockets; the proxy checks Proxy-Authorization when
 * told to and relays bytes both ways. The group setup makes a throw-away
 * PKI with the openssl command line: a trusted CA, a rogue CA, and a
 * "localhost" certificate from each. Everything here allocates with plain
 * malloc, so that the allocation-failure test only fails the client's
 * allocations, and everything is closed by env_free.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "rng.h"
#include "tls.h"

extern char **environ;

#define MAX_REQUESTS 32

/* ---- the group: certificates, RNG, TLS configurations ---- */

struct group {
    char dir[64];
    struct oa_rng *rng;
    struct oa_tls_config *tls; /* trusts ca */
};

static const char openssl_cnf[] = "[req]\n"
                                  "distinguished_name = dn\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = unused\n"
                                  "[ca]\n"
                                  "basicConstraints = critical,CA:TRUE\n"
                                  "keyUsage = critical,keyCertSign,cRLSign\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "[localhost]\n"
                                  "basicConstraints = critical,CA:FALSE\n"
                                  "keyUsage = critical,digitalSignature\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = DNS:localhost\n";

static void path_of(const struct group *g, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", g->dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

/* Runs openssl with argv (no shell), its output going to openssl.log. */
static int run_openssl(const struct group *g, char *const argv[])
{
    posix_spawn_file_actions_t fa;
    char log[256];
    pid_t pid;
    int status, r;

    path_of(g, "openssl.log", log, sizeof(log));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    r = posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -1;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "openssl %s failed, see %s\n", argv[1], log);
        return -1;
    }
    return 0;
}

/* name.key and name.crt for CN cn with the extensions of section ext,
 * signed by issuer (made before) or self-signed. */
static int make_cert(const struct group *g, const char *name, const char *cn, const char *ext,
                     const char *issuer)
{
    char cnf[256], key[256], crt[256], subj[128], ca_crt[256], ca_key[256], file[64];
    char *argv[32] = {"openssl",
                      "req",
                      "-x509",
                      "-config",
                      cnf,
                      "-extensions",
                      (char *)ext,
                      "-newkey",
                      "ec",
                      "-pkeyopt",
                      "ec_paramgen_curve:P-256",
                      "-nodes",
                      "-keyout",
                      key,
                      "-out",
                      crt,
                      "-days",
                      "2",
                      "-subj",
                      subj};
    int n = 20;

    path_of(g, "openssl.cnf", cnf, sizeof(cnf));
    snprintf(file, sizeof(file), "%s.key", name);
    path_of(g, file, key, sizeof(key));
    snprintf(file, sizeof(file), "%s.crt", name);
    path_of(g, file, crt, sizeof(crt));
    snprintf(subj, sizeof(subj), "/CN=%s", cn);
    if (issuer) {
        snprintf(file, sizeof(file), "%s.crt", issuer);
        path_of(g, file, ca_crt, sizeof(ca_crt));
        snprintf(file, sizeof(file), "%s.key", issuer);
        path_of(g, file, ca_key, sizeof(ca_key));
        argv[n++] = "-CA";
        argv[n++] = ca_crt;
        argv[n++] = "-CAkey";
        argv[n++] = ca_key;
    }
    argv[n] = NULL;
    return run_openssl(g, argv);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int group_setup(void **state)
{
    struct group *g = calloc(1, sizeof(*g));
    char path[256], err[256];
    FILE *fp;

    if (!g)
        return -1;
    *state = g;
    snprintf(g->dir, sizeof(g->dir), "/tmp/oa-test-httpc-XXXXXX");
    if (!mkdtemp(g->dir) || oa_rng_new(&g->rng) != 0) {
        g->dir[0] = '\0';
        return -1;
    }
    path_of(g, "openssl.cnf", path, sizeof(path));
    if (!(fp = fopen(path, "we")) || fputs(openssl_cnf, fp) < 0 || fclose(fp) != 0)
        return -1;
    if (make_cert(g, "ca", "opsagent test CA", "ca", NULL) < 0 ||
        make_cert(g, "rogueca", "rogue CA", "ca", NULL) < 0 ||
        make_cert(g, "srv", "localhost", "localhost", "ca") < 0 ||
        make_cert(g, "rogue", "localhost", "localhost", "rogueca") < 0)
        return -1;
    path_of(g, "ca.crt", path, sizeof(path));
    if (oa_tls_config_new(g->rng, path, false, &g->tls, err, sizeof(err)) != 0) {
        fprintf(stderr, "TLS configuration: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    struct group *g = *state;

    if (!g)
        return 0;
    if (g->dir[0])
        nftw(g->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    oa_tls_config_free(g->tls);
    oa_rng_free(g->rng);
    free(g);
    return 0;
}

/* ---- plain-malloc bytes and writes ---- */

struct bytes {
    char *p;
    size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        b->cap = (b->len + len + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void bytes_drop(struct bytes *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    b->p[b->len] = '\0';
}

struct wreq {
    uv_write_t req;
    char data[];
};

static void on_raw_written(uv_write_t *req, int status)
{
    free(req->data);
}

static void raw_write(uv_stream_t *s, const void *data, size_t len)
{
    struct wreq *w;
    uv_buf_t b;

    if (len == 0 || uv_is_closing((uv_handle_t *)s))
        return;
    w = malloc(sizeof(*w) + len);
    assert_non_null(w);
    memcpy(w->data, data, len);
    w->req.data = w;
    b = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, s, &b, 1, on_raw_written) < 0)
        free(w);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char rbuf[65536]; /* read callbacks never overlap */
    *buf = uv_buf_init(rbuf, sizeof(rbuf));
}

/* ---- the test server ---- */

struct env;

struct server {
    struct env *env;
    uv_tcp_t listener;
    int port;
    bool tls;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
};

struct sconn {
    struct server *srv;
    uv_tcp_t tcp;
    struct bytes in;    /* ciphertext not yet taken by mbedTLS */
    struct bytes plain; /* request bytes not yet answered */
    mbedtls_ssl_context ssl;
    bool tls_up, answered, closing;
    int handles;     /* tcp and drip until closed */
    uv_timer_t drip; /* sends `slow` one byte per tick */
    struct bytes slow;
    size_t slow_off;
    struct sconn *next;
};

struct pconn;

struct env {
    uv_loop_t loop;
    struct group *g;
    struct server srv[2]; /* [0] http, [1] https */
    struct sconn *conns;
    struct pconn *pconns;
    char *requests[MAX_REQUESTS]; /* the first requests (head and body) the server got */
    int n_requests;               /* all of them */
    uv_tcp_t proxy;
    int proxy_port;
    const char *proxy_auth; /* the Proxy-Authorization it wants, or NULL */
    char *connects[MAX_REQUESTS];
    int n_connects;
};

static void on_sconn_closed(uv_handle_t *h)
{
    struct sconn *c = h->data;

    if (--c->handles > 0)
        return;
    if (c->srv->tls)
        mbedtls_ssl_free(&c->ssl);
    free(c->in.p);
    free(c->plain.p);
    free(c->slow.p);
    free(c);
}

static void sconn_close(struct sconn *c)
{
    struct sconn **p;

    if (c->closing)
        return;
    c->closing = true;
    for (p = &c->srv->env->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    uv_close((uv_handle_t *)&c->tcp, on_sconn_closed);
    uv_close((uv_handle_t *)&c->drip, on_sconn_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct sconn *c = req->data;

    free(req);
    sconn_close(c);
}

/* Ends the answer: the server closes its side once everything is sent. */
static void sconn_finish(struct sconn *c)
{
    uv_shutdown_t *req = malloc(sizeof(*req));

    assert_non_null(req);
    req->data = c;
    if (c->closing || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(req);
        sconn_close(c);
    }
}

static void sconn_send(struct sconn *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    int r;

    if (!c->srv->tls) {
        raw_write((uv_stream_t *)&c->tcp, data, len);
        return;
    }
    while (len > 0 && (r = mbedtls_ssl_write(&c->ssl, p, len)) > 0) {
        p += r;
        len -= (size_t)r;
    }
}

static void sconn_printf(struct sconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sconn_printf(struct sconn *c, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(buf));
    sconn_send(c, buf, (size_t)n);
}

static void on_drip(uv_timer_t *t)
{
    struct sconn *c = t->data;

    sconn_send(c, c->slow.p + c->slow_off++, 1);
    if (c->slow_off == c->slow.len) {
        uv_timer_stop(t);
        sconn_finish(c);
    }
}

/* The value of header name in a request head, or NULL (static buffer). */
static const char *header(const char *head, const char *name)
{
    static char value[512];
    size_t nlen = strlen(name);

    for (const char *l = strstr(head, "\r\n"); l && l[2] != '\r'; l = strstr(l + 2, "\r\n"))
        if (strncasecmp(l + 2, name, nlen) == 0 && l[2 + nlen] == ':') {
            const char *v = l + 3 + nlen + strspn(l + 3 + nlen, " ");
            snprintf(value, sizeof(value), "%.*s", (int)strcspn(v, "\r"), v);
            return value;
        }
    return NULL;
}

static void answer_redirect(struct sconn *c, int status, const char *location)
{
    sconn_printf(c, "HTTP/1.1 %d Moved\r\nLocation: %s\r\nContent-Length: 7\r\n\r\nmoved\r\n",
                 status, location);
    sconn_finish(c);
}

static void answer_big(struct sconn *c, const char *path)
{
    char chunk[1000];

    memset(chunk, 'x', sizeof(chunk));
    if (strcmp(path, "/big-chunked") == 0)
        sconn_printf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    else if (strcmp(path, "/big-eof") == 0)
        sconn_printf(c, "HTTP/1.1 200 OK\r\n\r\n");
    else
        sconn_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", 20 * 1000);
    for (int i = 0; i < 20; i++) {
        if (strcmp(path, "/big-chunked") == 0)
            sconn_printf(c, "3e8\r\n");
        sconn_send(c, chunk, sizeof(chunk));
        if (strcmp(path, "/big-chunked") == 0)
            sconn_printf(c, "\r\n");
    }
    if (strcmp(path, "/big-chunked") == 0)
        sconn_printf(c, "0\r\n\r\n");
    sconn_finish(c);
}

/* The IMDSv2 look-alike: a PUT for a token, then the token as a header. */
static bool answer_imds(struct sconn *c, const char *method, const char *path, const char *head)
{
    const char *ttl = header(head, "X-aws-ec2-metadata-token-ttl-seconds");
    const char *token;

    if (strcmp(path, "/latest/api/token") == 0) {
        if (strcmp(method, "PUT") != 0 || !ttl || strcmp(ttl, "21600") != 0)
            sconn_printf(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        else
            sconn_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nAQAEtoken");
    } else if (strcmp(path, "/latest/meta-data/instance-id") == 0) {
        token = header(head, "X-aws-ec2-metadata-token");
        if (!token || strcmp(token, "AQAEtoken") != 0)
            sconn_printf(c, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
        else
            sconn_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\ni-0123456789abcdef0");
    } else {
        return false;
    }
    sconn_finish(c);
    return true;
}

static void answer_slow(struct sconn *c)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nX-Slow: yes\r\nContent-Length: 4\r\n\r\nslow";

    bytes_add(&c->slow, text, sizeof(text) - 1);
    uv_timer_start(&c->drip, on_drip, 1, 1);
}

static void answer_huge_header(struct sconn *c)
{
    char line[1000];

    memset(line, 'a', sizeof(line));
    sconn_printf(c, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i < 20; i++) {
        sconn_printf(c, "X-Filler-%d: ", i);
        sconn_send(c, line, sizeof(line));
        sconn_printf(c, "\r\n");
    }
    sconn_printf(c, "Content-Length: 0\r\n\r\n");
    sconn_finish(c);
}

/* Echo: the method, the request head's header lines and the body. */
static void answer_echo(struct sconn *c, const char *method, const char *head, const char *body,
                        size_t blen)
{
    const char *lines = strstr(head, "\r\n") + 2;
    size_t hlen = strlen(lines);

    sconn_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s\n",
                 strlen(method) + 1 + hlen + 4 + blen, method);
    sconn_send(c, lines, hlen);
    sconn_send(c, "\r\n\r\n", 4);
    sconn_send(c, body, blen);
    sconn_finish(c);
}

static bool answer_fixed(struct sconn *c, const char *path)
{
    static const struct {
        const char *path, *text;
    } fixed[] = {
        {"/cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"},
        {"/chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n1\r\n \r\n5;ext=1\r\nworld\r\n0\r\nTrailer: x\r\n\r\n"},
        {"/eof", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"},
        {"/404", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"},
        {"/empty", "HTTP/1.1 204 No Content\r\n\r\n"},
        {"/continue", "HTTP/1.1 100 Continue\r\n\r\n"
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
        {"/cut", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"},
        {"/cut-head", "HTTP/1.1 200 OK\r\nContent-Le"},
        {"/garbage", "HELLO THERE\r\n\r\n"},
        {"/bad-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
    };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (strcmp(path, fixed[i].path) == 0) {
            sconn_send(c, fixed[i].text, strlen(fixed[i].text));
            sconn_finish(c);
            return true;
        }
    return false;
}

static void answer(struct sconn *c, const char *method, const char *path, const char *query,
                   const char *head, const char *body, size_t blen)
{
    char loc[128];
    int n = 0;

    if (answer_fixed(c, path) || answer_imds(c, method, path, head))
        return;
    if (sscanf(path, "/chain%d", &n) == 1 && n > 0) {
        /* 3: 301 to an absolute URL, 2: 302 to a path, 1: 307 relative. */
        if (n == 3)
            snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/chain2", c->srv->port);
        else
            snprintf(loc, sizeof(loc), n == 2 ? "/chain1" : "cl?from=1");
        answer_redirect(c, n == 3 ? 301 : n == 2 ? 302 : 307, loc);
    } else if (strcmp(path, "/loop") == 0) {
        answer_redirect(c, 302, "/loop");
    } else if (strcmp(path, "/to") == 0 && strchr(query, '&')) {
        /* /to?STATUS&LOCATION */
        int status = 0;

        assert_int_equal(sscanf(query, "%d&", &status), 1);
        answer_redirect(c, status, strchr(query, '&') + 1);
    } else if (strncmp(path, "/big", 4) == 0) {
        answer_big(c, path);
    } else if (strcmp(path, "/slow") == 0) {
        answer_slow(c);
    } else if (strcmp(path, "/huge-header") == 0) {
        answer_huge_header(c);
    } else if (strcmp(path, "/echo") == 0) {
        answer_echo(c, method, head, body, blen);
    } else if (strcmp(path, "/silent") != 0) {
        sconn_printf(c, "HTTP/1.1 500 No Route\r\nContent-Length: 0\r\n\r\n");
        sconn_finish(c);
    }
}

/* Takes one whole request (head and Content-Length body) from c->plain. */
static void serve(struct sconn *c)
{
    struct env *e = c->srv->env;
    char *end = strstr(c->plain.p ? c->plain.p : "", "\r\n\r\n"), method[16], path[512];
    char *query;
    const char *cl;
    size_t head_len, blen;

    if (c->answered || !end)
        return;
    head_len = (size_t)(end - c->plain.p) + 4;
    *end = '\0';
    cl = header(c->plain.p, "Content-Length");
    blen = 0;
    if (cl)
        assert_int_equal(sscanf(cl, "%zu", &blen), 1);
    *end = '\r';
    if (c->plain.len < head_len + blen)
        return;
    c->answered = true;
    /* All are counted; the first MAX_REQUESTS are kept. */
    if (e->n_requests < MAX_REQUESTS)
        assert_non_null(e->requests[e->n_requests] = strndup(c->plain.p, head_len + blen));
    e->n_requests++;
    assert_int_equal(sscanf(c->plain.p, "%15s %511s", method, path), 2);
    query = path + strcspn(path, "?");
    if (*query)
        *query++ = '\0';
    *end = '\0';
    answer(c, method, path, query, c->plain.p, end + 4, blen);
}

static int srv_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct sconn *c = ctx;

    raw_write((uv_stream_t *)&c->tcp, buf, len);
    return (int)len;
}

static int srv_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct sconn *c = ctx;
    size_t n = c->in.len < len ? c->in.len : len;

    if (n == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    memcpy(buf, c->in.p, n);
    bytes_drop(&c->in, n);
    return (int)n;
}

/* TLS input: the handshake, then plaintext for serve(). */
static void tls_input(struct sconn *c, const char *data, size_t len)
{
    unsigned char buf[4096];
    int r;

    bytes_add(&c->in, data, len);
    if (!c->tls_up) {
        r = mbedtls_ssl_handshake(&c->ssl);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
            return;
        if (r != 0) {
            sconn_close(c); /* e.g. the client refused our certificate */
            return;
        }
        c->tls_up = true;
    }
    while ((r = mbedtls_ssl_read(&c->ssl, buf, sizeof(buf))) > 0)
        bytes_add(&c->plain, buf, (size_t)r);
    serve(c);
}

static void on_sconn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct sconn *c = s->data;

    if (n < 0) {
        sconn_close(c);
    } else if (n > 0 && c->srv->tls) {
        tls_input(c, buf->base, (size_t)n);
    } else if (n > 0) {
        bytes_add(&c->plain, buf->base, (size_t)n);
        serve(c);
    }
}

static void on_connection(uv_stream_t *l, int status)
{
    struct server *srv = l->data;
    struct sconn *c = calloc(1, sizeof(*c));

    assert_int_equal(status, 0);
    assert_non_null(c);
    c->srv = srv;
    c->handles = 2;
    uv_tcp_init(l->loop, &c->tcp);
    uv_timer_init(l->loop, &c->drip);
    c->tcp.data = c->drip.data = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    c->next = srv->env->conns;
    srv->env->conns = c;
    if (srv->tls) {
        mbedtls_ssl_init(&c->ssl);
        assert_int_equal(mbedtls_ssl_setup(&c->ssl, &srv->conf), 0);
        mbedtls_ssl_set_bio(&c->ssl, c, srv_send, srv_recv, NULL);
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_sconn_read);
}

static int listen_on(uv_loop_t *loop, uv_tcp_t *t, void *data, uv_connection_cb cb)
{
    struct sockaddr_in addr;
    struct sockaddr_storage got;
    int len = sizeof(got);

    uv_ip4_addr("127.0.0.1", 0, &addr);
    assert_int_equal(uv_tcp_init(loop, t), 0);
    t->data = data;
    assert_int_equal(uv_tcp_bind(t, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)t, 16, cb), 0);
    assert_int_equal(uv_tcp_getsockname(t, (struct sockaddr *)&got, &len), 0);
    return ntohs(((struct sockaddr_in *)&got)->sin_port);
}

/* The https server presents name.crt ("srv" or "rogue"). */
static void server_tls_setup(struct server *s, const struct group *g, const char *name)
{
    char file[64], path[256];

    mbedtls_ssl_config_init(&s->conf);
    mbedtls_x509_crt_init(&s->crt);
    mbedtls_pk_init(&s->key);
    snprintf(file, sizeof(file), "%s.crt", name);
    path_of(g, file, path, sizeof(path));
    assert_int_equal(mbedtls_x509_crt_parse_file(&s->crt, path), 0);
    snprintf(file, sizeof(file), "%s.key", name);
    path_of(g, file, path, sizeof(path));
    assert_int_equal(mbedtls_pk_parse_keyfile(&s->key, path, NULL), 0);
    assert_int_equal(mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT),
                     0);
    mbedtls_ssl_conf_rng(&s->conf, oa_rng_mbedtls, g->rng);
    assert_int_equal(mbedtls_ssl_conf_own_cert(&s->conf, &s->crt, &s->key), 0);
}

/* ---- the CONNECT proxy ---- */

struct pconn {
    struct env *env;
    uv_tcp_t down, up; /* to the client, to the target */
    uv_connect_t connect;
    struct bytes head;
    bool tunnel, up_open, closing;
    int handles;
    struct pconn *next;
};

static void on_pconn_closed(uv_handle_t *h)
{
    struct pconn *p = h->data;

    if (--p->handles == 0) {
        free(p->head.p);
        free(p);
    }
}

static void pconn_close(struct pconn *p)
{
    struct pconn **q;

    if (p->closing)
        return;
    p->closing = true;
    for (q = &p->env->pconns; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            break;
        }
    if (!uv_is_closing((uv_handle_t *)&p->down))
        uv_close((uv_handle_t *)&p->down, on_pconn_closed);
    if (p->up_open && !uv_is_closing((uv_handle_t *)&p->up))
        uv_close((uv_handle_t *)&p->up, on_pconn_closed);
}

static void on_up_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct pconn *p = s->data;

    if (n < 0)
        pconn_close(p);
    else
        raw_write((uv_stream_t *)&p->down, buf->base, (size_t)n);
}

static void on_up_connected(uv_connect_t *req, int status)
{
    struct pconn *p = req->data;
    static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

    if (status < 0) {
        raw_write((uv_stream_t *)&p->down, "HTTP/1.1 502 Bad Gateway\r\n\r\n", 28);
        pconn_close(p);
        return;
    }
    p->tunnel = true;
    raw_write((uv_stream_t *)&p->down, ok, sizeof(ok) - 1);
    uv_read_start((uv_stream_t *)&p->up, on_alloc, on_up_read);
}

/* The CONNECT request: checks the credentials, then dials the target (any
 * host name means 127.0.0.1 here). */
static void proxy_request(struct pconn *p)
{
    struct env *e = p->env;
    char target[300], *colon;
    const char *auth;
    struct sockaddr_in addr;
    int port = 0;

    assert_int_equal(sscanf(p->head.p, "CONNECT %299s HTTP/1.1", target), 1);
    auth = header(p->head.p, "Proxy-Authorization");
    assert_true(e->n_connects < MAX_REQUESTS);
    assert_non_null(e->connects[e->n_connects++] = strdup(p->head.p));
    if (e->proxy_auth && (!auth || strcmp(auth, e->proxy_auth) != 0)) {
        raw_write((uv_stream_t *)&p->down, "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
                  47);
        pconn_close(p);
        return;
    }
    colon = strrchr(target, ':');
    assert_int_equal(sscanf(colon + 1, "%d", &port), 1);
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_init(p->down.loop, &p->up);
    p->up.data = p;
    p->up_open = true;
    p->handles++;
    p->connect.data = p;
    assert_int_equal(uv_tcp_connect(&p->connect, &p->up, (struct sockaddr *)&addr, on_up_connected),
                     0);
}

static void on_down_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct pconn *p = s->data;

    if (n < 0) {
        pconn_close(p);
    } else if (p->tunnel) {
        raw_write((uv_stream_t *)&p->up, buf->base, (size_t)n);
    } else if (!p->up_open) {
        bytes_add(&p->head, buf->base, (size_t)n);
        if (strstr(p->head.p, "\r\n\r\n"))
            proxy_request(p);
    }
}

static void on_proxy_connection(uv_stream_t *l, int status)
{
    struct pconn *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    p->env = l->data;
    uv_tcp_init(l->loop, &p->down);
    p->down.data = p;
    p->handles = 1;
    p->next = p->env->pconns;
    p->env->pconns = p;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&p->down), 0);
    uv_read_start((uv_stream_t *)&p->down, on_alloc, on_down_read);
}

/* ---- per test: the loop, the servers, the proxy ---- */

static struct env *env_new(void **state, const char *tls_cert)
{
    struct env *e = calloc(1, sizeof(*e));

    assert_non_null(e);
    e->g = *state;
    assert_int_equal(uv_loop_init(&e->loop), 0);
    for (int i = 0; i < 2; i++) {
        e->srv[i].env = e;
        e->srv[i].tls = i == 1;
        e->srv[i].port = listen_on(&e->loop, &e->srv[i].listener, &e->srv[i], on_connection);
    }
    server_tls_setup(&e->srv[1], e->g, tls_cert ? tls_cert : "srv");
    e->proxy_port = listen_on(&e->loop, &e->proxy, e, on_proxy_connection);
    return e;
}

static void on_watchdog(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void show_handle(uv_handle_t *h, void *arg)
{
    fprintf(stderr, "left open: %s handle %p%s\n", uv_handle_type_name(uv_handle_get_type(h)),
            (void *)h, uv_is_active(h) ? " (active)" : "");
}

/* Closes everything the server side has open and checks that the loop is
 * then empty: the client must have closed all of its own handles. */
static void env_free(struct env *e)
{
    uv_timer_t watchdog;

    while (e->conns)
        sconn_close(e->conns);
    while (e->pconns)
        pconn_close(e->pconns);
    uv_close((uv_handle_t *)&e->srv[0].listener, NULL);
    uv_close((uv_handle_t *)&e->srv[1].listener, NULL);
    uv_close((uv_handle_t *)&e->proxy, NULL);
    /* Bounded, so that a handle the client forgot fails the test instead of
     * hanging it. */
    uv_timer_init(&e->loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 2000, 0);
    uv_unref((uv_handle_t *)&watchdog);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&e->loop, UV_RUN_NOWAIT);
    uv_walk(&e->loop, show_handle, NULL);
    assert_int_equal(uv_loop_close(&e->loop), 0);
    mbedtls_ssl_config_free(&e->srv[1].conf);
    mbedtls_x509_crt_free(&e->srv[1].crt);
    mbedtls_pk_free(&e->srv[1].key);
    for (int i = 0; i < e->n_requests && i < MAX_REQUESTS; i++)
        free(e->requests[i]);
    for (int i = 0; i < e->n_connects; i++)
        free(e->connects[i]);
    free(e);
}
