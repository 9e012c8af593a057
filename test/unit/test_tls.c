/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/tls.h, the sans-I/O TLS client. The group setup makes
 * a throw-away PKI with the openssl command line in a temporary directory: a
 * trusted CA, an untrusted ("rogue") CA, and server certificates for
 * localhost, for another name and for an IP address. The server side is raw
 * mbedTLS over in-memory queues in this file; the tests pump bytes between
 * it and oa_tls, whole or one byte at a time.
 *
 * Covered: handshake and data both ways (records over 16 KiB, one-byte
 * feeding), wrong CA, wrong name, IP literals (mbedTLS 2.28 ignores IP
 * SANs), insecure mode, close_notify both ways, a declined renegotiation, CA
 * files that are missing, not PEM, empty, a directory or the system bundle,
 * a TLS 1.1 server, garbage instead of a ServerHello, oversize input, and
 * every allocation failing in turn.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "buf.h"
#include "err.h"
#include "mem.h"
#include "rng.h"
#include "tls.h"

extern char **environ;

struct fixture {
    char dir[64];
    struct oa_rng *rng;
};

/* A byte queue of the test server, on plain malloc so that the allocation
 * failure test only fails the allocations of the code under test. */
struct queue {
    unsigned char *p;
    size_t off, len, cap;
};

struct server {
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    struct queue in;  /* from the client */
    struct queue out; /* to the client */
    bool done;
    int err;
};

/* The extensions of each kind of certificate, one section each. */
#define LEAF_USAGE                                                                                 \
    "basicConstraints = critical,CA:FALSE\n"                                                       \
    "keyUsage = critical,digitalSignature\n"                                                       \
    "extendedKeyUsage = serverAuth\n"
static const char openssl_cnf[] = "[req]\n"
                                  "distinguished_name = dn\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = unused\n"
                                  "[ca]\n"
                                  "basicConstraints = critical,CA:TRUE\n"
                                  "keyUsage = critical,keyCertSign,cRLSign\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "[localhost]\n" LEAF_USAGE "subjectAltName = DNS:localhost\n"
                                  "[other]\n" LEAF_USAGE "subjectAltName = DNS:other.example\n"
                                  "[ipsan]\n" LEAF_USAGE "subjectAltName = IP:127.0.0.1\n"
                                  "[ipdns]\n" LEAF_USAGE "subjectAltName = DNS:127.0.0.1\n";

/* ---- files and the openssl command line ---- */

static void path_of(const struct fixture *f, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", f->dir, name);

    assert_true(n > 0 && (size_t)n < len);
}

static void write_file(const struct fixture *f, const char *name, const void *data, size_t len)
{
    char path[256];
    FILE *fp;

    path_of(f, name, path, sizeof(path));
    fp = fopen(path, "we");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Runs openssl with argv (no shell), its output going to openssl.log. */
static int run_openssl(const struct fixture *f, char *const argv[])
{
    posix_spawn_file_actions_t fa;
    char log[256];
    pid_t pid;
    int status, r;

    path_of(f, "openssl.log", log, sizeof(log));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    r = posix_spawnp(&pid, "openssl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0) {
        fprintf(stderr, "cannot run openssl: %s\n", strerror(r));
        return -1;
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "openssl %s failed, see %s\n", argv[1], log);
        return -1;
    }
    return 0;
}

/* Makes name.key and name.crt for subject CN cn with the extensions of
 * section ext, signed by issuer (a name made before) or self-signed. */
static int make_cert(const struct fixture *f, const char *name, const char *cn, const char *ext,
                     const char *issuer)
{
    char cnf[256], key[256], crt[256], subj[128], ca_crt[256], ca_key[256], ca[64];
    char *argv[32];
    int n = 0;

    path_of(f, "openssl.cnf", cnf, sizeof(cnf));
    snprintf(ca, sizeof(ca), "%s.key", name);
    path_of(f, ca, key, sizeof(key));
    snprintf(ca, sizeof(ca), "%s.crt", name);
    path_of(f, ca, crt, sizeof(crt));
    snprintf(subj, sizeof(subj), "/CN=%s", cn);
    argv[n++] = "openssl";
    argv[n++] = "req";
    argv[n++] = "-x509";
    argv[n++] = "-config";
    argv[n++] = cnf;
    argv[n++] = "-extensions";
    argv[n++] = (char *)ext;
    argv[n++] = "-newkey";
    argv[n++] = "ec";
    argv[n++] = "-pkeyopt";
    argv[n++] = "ec_paramgen_curve:P-256";
    argv[n++] = "-nodes";
    argv[n++] = "-keyout";
    argv[n++] = key;
    argv[n++] = "-out";
    argv[n++] = crt;
    argv[n++] = "-days";
    argv[n++] = "2";
    argv[n++] = "-subj";
    argv[n++] = subj;
    if (issuer) {
        snprintf(ca, sizeof(ca), "%s.crt", issuer);
        path_of(f, ca, ca_crt, sizeof(ca_crt));
        snprintf(ca, sizeof(ca), "%s.key", issuer);
        path_of(f, ca, ca_key, sizeof(ca_key));
        argv[n++] = "-CA";
        argv[n++] = ca_crt;
        argv[n++] = "-CAkey";
        argv[n++] = ca_key;
    }
    argv[n] = NULL;
    return run_openssl(f, argv);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int group_setup(void **state)
{
    static const char badpem[] = "-----BEGIN CERTIFICATE-----\n"
                                 "bm90IGEgY2VydGlmaWNhdGU=\n"
                                 "-----END CERTIFICATE-----\n";
    static const char notpem[] = "hello, this is not a certificate\n";
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    *state = f;
    if (oa_rng_new(&f->rng) != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/oa-test-tls-XXXXXX");
    if (!mkdtemp(f->dir)) {
        f->dir[0] = '\0';
        return -1;
    }
    write_file(f, "openssl.cnf", openssl_cnf, strlen(openssl_cnf));
    if (make_cert(f, "ca", "opsagent test CA", "ca", NULL) < 0 ||
        make_cert(f, "rogueca", "rogue CA", "ca", NULL) < 0 ||
        make_cert(f, "srv", "localhost", "localhost", "ca") < 0 ||
        make_cert(f, "rogue", "localhost", "localhost", "rogueca") < 0 ||
        make_cert(f, "other", "other.example", "other", "ca") < 0 ||
        make_cert(f, "ip", "server by IP", "ipsan", "ca") < 0 ||
        make_cert(f, "ipdns", "server by IP", "ipdns", "ca") < 0)
        return -1;
    write_file(f, "notpem.txt", notpem, strlen(notpem));
    write_file(f, "empty.crt", "", 0);
    write_file(f, "badpem.crt", badpem, strlen(badpem));
    return 0;
}

static int group_teardown(void **state)
{
    struct fixture *f = *state;

    if (!f)
        return 0;
    if (f->dir[0])
        nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    oa_rng_free(f->rng);
    free(f);
    return 0;
}

/* ---- the in-memory test server ---- */

static void queue_push(struct queue *q, const void *data, size_t len)
{
    if (q->off == q->len)
        q->off = q->len = 0;
    if (q->len + len > q->cap) {
        q->cap = (q->len + len) * 2;
        q->p = realloc(q->p, q->cap);
        assert_non_null(q->p);
    }
    if (len)
        memcpy(q->p + q->len, data, len);
    q->len += len;
}

static size_t queue_pending(const struct queue *q)
{
    return q->len - q->off;
}

static int srv_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct queue *q = &((struct server *)ctx)->in;
    size_t n = queue_pending(q);

    if (n == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n > len)
        n = len;
    memcpy(buf, q->p + q->off, n);
    q->off += n;
    return (int)n;
}

static int srv_send(void *ctx, const unsigned char *buf, size_t len)
{
    queue_push(&((struct server *)ctx)->out, buf, len);
    return (int)len;
}

/* A server presenting name.crt. max_minor 0: mbedTLS's default versions;
 * else the highest TLS minor version it may speak (2 is TLS 1.1). */
static struct server *server_new(const struct fixture *f, const char *name, int max_minor,
                                 bool renegotiation)
{
    struct server *s = calloc(1, sizeof(*s));
    char file[64], path[256];

    assert_non_null(s);
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_init(&s->ssl);
    mbedtls_x509_crt_init(&s->crt);
    mbedtls_pk_init(&s->key);
    snprintf(file, sizeof(file), "%s.crt", name);
    path_of(f, file, path, sizeof(path));
    assert_int_equal(mbedtls_x509_crt_parse_file(&s->crt, path), 0);
    snprintf(file, sizeof(file), "%s.key", name);
    path_of(f, file, path, sizeof(path));
    assert_int_equal(mbedtls_pk_parse_keyfile(&s->key, path, NULL), 0);
    assert_int_equal(mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT),
                     0);
    mbedtls_ssl_conf_rng(&s->conf, oa_rng_mbedtls, f->rng);
    assert_int_equal(mbedtls_ssl_conf_own_cert(&s->conf, &s->crt, &s->key), 0);
    if (max_minor) {
        mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                     MBEDTLS_SSL_MINOR_VERSION_1);
        mbedtls_ssl_conf_max_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3, max_minor);
    }
    if (renegotiation)
        mbedtls_ssl_conf_renegotiation(&s->conf, MBEDTLS_SSL_RENEGOTIATION_ENABLED);
    assert_int_equal(mbedtls_ssl_setup(&s->ssl, &s->conf), 0);
    mbedtls_ssl_set_bio(&s->ssl, s, srv_send, srv_recv, NULL);
    return s;
}

static void server_free(struct server *s)
{
    if (!s)
        return;
    mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_x509_crt_free(&s->crt);
    mbedtls_pk_free(&s->key);
    free(s->in.p);
    free(s->out.p);
    free(s);
}

/* Everything the server can decrypt now, appended to q. Returns the last
 * mbedTLS code (WANT_READ when it simply ran dry). */
static int server_read(struct server *s, struct queue *q)
{
    unsigned char buf[4096];
    int r;

    while ((r = mbedtls_ssl_read(&s->ssl, buf, sizeof(buf))) > 0)
        queue_push(q, buf, (size_t)r);
    return r;
}

static void server_write(struct server *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    int r;

    while (len > 0) {
        r = mbedtls_ssl_write(&s->ssl, p, len);
        assert_true(r > 0);
        p += r;
        len -= (size_t)r;
    }
}

/* ---- pumping bytes between oa_tls and the server ---- */

/* Client output to the server. Returns the bytes moved or a negative code. */
static long to_server(struct oa_tls *c, struct server *s)
{
    struct oa_buf b;
    long n;
    int r;

    oa_buf_init(&b, SIZE_MAX);
    r = oa_tls_take_output(c, &b);
    n = r < 0 ? r : (long)b.len;
    if (r == 0)
        queue_push(&s->in, b.data, b.len);
    oa_buf_done(&b);
    return n;
}

/* Server output to the client, whole or one byte per oa_tls_feed. */
static int to_client(struct server *s, struct oa_tls *c, bool bytewise)
{
    size_t n = queue_pending(&s->out), step = bytewise ? 1 : n, i;
    int r = 0;

    for (i = 0; i < n && r == 0; i += step)
        r = oa_tls_feed(c, s->out.p + s->out.off + i, step);
    s->out.off = s->out.len;
    return r;
}

/* Steps the client handshake; bytewise, once per byte of input. */
static int client_step(struct oa_tls *c, struct server *s, bool bytewise, char *err, size_t len)
{
    size_t n = queue_pending(&s->out), i;
    int r;

    if (!bytewise || n == 0) {
        if ((r = to_client(s, c, false)) < 0)
            return r;
        return oa_tls_handshake(c, err, len);
    }
    for (i = 0; i < n; i++) {
        if ((r = oa_tls_feed(c, s->out.p + s->out.off + i, 1)) < 0)
            return r;
        r = oa_tls_handshake(c, err, len);
        if (r < 0)
            return r;
        /* The handshake completes with the very last byte, not before. */
        assert_int_equal(r, i + 1 < n ? OA_TLS_AGAIN : r);
    }
    s->out.off = s->out.len;
    return r;
}

/* Runs both handshakes until the client is done or fails, or nothing moves.
 * Returns the client's last result (OA_TLS_AGAIN when stalled). */
static int pump(struct oa_tls *c, struct server *s, bool bytewise, char *err, size_t errlen)
{
    int rc = OA_TLS_AGAIN, r, i;
    long sent;

    for (i = 0; i < 32; i++) {
        rc = client_step(c, s, bytewise, err, errlen);
        sent = to_server(c, s);
        if (sent < 0)
            return (int)sent;
        if (rc < 0)
            return rc;
        if (!s->done && s->err == 0) {
            r = mbedtls_ssl_handshake(&s->ssl);
            if (r == 0)
                s->done = true;
            else if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
                s->err = r;
        }
        if (rc == 0 && s->done)
            return 0;
        if (sent == 0 && queue_pending(&s->out) == 0)
            break;
    }
    return rc;
}

/* A client config trusting ca_name.crt (NULL: the system bundle). */
static struct oa_tls_config *config(const struct fixture *f, const char *ca_name, bool insecure)
{
    struct oa_tls_config *cfg = NULL;
    char path[256], file[64], err[256] = "";

    if (ca_name) {
        snprintf(file, sizeof(file), "%s.crt", ca_name);
        path_of(f, file, path, sizeof(path));
    }
    assert_int_equal(
        oa_tls_config_new(f->rng, ca_name ? path : NULL, insecure, &cfg, err, sizeof(err)), 0);
    assert_non_null(cfg);
    return cfg;
}

static struct oa_tls *client(struct oa_tls_config *cfg, const char *host)
{
    struct oa_tls *c = NULL;

    assert_int_equal(oa_tls_new(cfg, host, &c), 0);
    assert_non_null(c);
    return c;
}

/* Fills p with a pattern that differs between records. */
static unsigned char *pattern(size_t len, unsigned seed)
{
    unsigned char *p = malloc(len);
    size_t i;

    assert_non_null(p);
    for (i = 0; i < len; i++)
        p[i] = (unsigned char)(i * 31 + seed + i / 251);
    return p;
}

/* Reads everything the client can decrypt into q; returns the last result
 * and counts the calls that returned data. */
static long client_read_all(struct oa_tls *c, struct queue *q, size_t cap, unsigned *calls)
{
    unsigned char buf[20000];
    char err[256];
    ssize_t n;

    assert_true(cap <= sizeof(buf));
    while ((n = oa_tls_read(c, buf, cap, err, sizeof(err))) > 0) {
        queue_push(q, buf, (size_t)n);
        if (calls)
            (*calls)++;
    }
    return (long)n;
}

/* A session with the server srv_name, handshake done (whole or bytewise). */
static void connect_ok(const struct fixture *f, const char *srv_name, struct oa_tls_config *cfg,
                       const char *host, bool bytewise, struct oa_tls **ret_c,
                       struct server **ret_s)
{
    char err[256] = "";
    struct server *s = server_new(f, srv_name, 0, false);
    struct oa_tls *c = client(cfg, host);
    int r = pump(c, s, bytewise, err, sizeof(err));

    if (r != 0)
        fail_msg("handshake: %d (%s), server %d", r, err, s->err);
    assert_true(s->done);
    *ret_c = c;
    *ret_s = s;
}

/* Expects the handshake with srv_name as host to fail; returns the reason. */
static void connect_fails(const struct fixture *f, const char *srv_name, int max_minor,
                          struct oa_tls_config *cfg, const char *host, char *err, size_t errlen)
{
    struct server *s = server_new(f, srv_name, max_minor, false);
    struct oa_tls *c = client(cfg, host);
    char again[128];

    err[0] = '\0';
    assert_int_equal(pump(c, s, false, err, errlen), OA_ETLS);
    assert_true(err[0] != '\0');
    /* The failure sticks, and the alert it queued can still be taken. */
    assert_int_equal(oa_tls_handshake(c, again, sizeof(again)), OA_ETLS);
    assert_int_equal(oa_tls_write(c, "x", 1), OA_ETLS);
    assert_true(to_server(c, s) >= 0);
    oa_tls_free(c);
    server_free(s);
}

/* ---- the tests ---- */

static void test_client_to_server(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    unsigned char *big = pattern(40000, 1), buf[16];
    struct queue got = {0};
    struct oa_buf small;
    struct oa_tls *c;
    struct server *s;

    assert_false(oa_tls_config_insecure(cfg));
    connect_ok(f, "srv", cfg, "localhost", false, &c, &s);
    /* Handshake done: further calls change nothing. */
    assert_int_equal(oa_tls_handshake(c, NULL, 0), 0);
    assert_int_equal(oa_tls_read(c, buf, 0, NULL, 0), 0);
    assert_int_equal(oa_tls_read(c, buf, sizeof(buf), NULL, 0), 0);

    /* A small message, and one over 16 KiB (three records). */
    assert_int_equal(oa_tls_write(c, "ping", 4), 0);
    assert_int_equal(oa_tls_write(c, big, 40000), 0);
    assert_int_equal(oa_tls_write(c, "", 0), 0);
    /* The output does not fit a small buffer: nothing is lost. */
    oa_buf_init(&small, 100);
    assert_int_equal(oa_tls_take_output(c, &small), OA_ETOOBIG);
    assert_int_equal(small.len, 0);
    oa_buf_done(&small);
    assert_true(to_server(c, s) > 40004 + 4 * 5);
    assert_int_equal(to_server(c, s), 0);
    assert_int_equal(server_read(s, &got), MBEDTLS_ERR_SSL_WANT_READ);
    assert_int_equal(queue_pending(&got), 40004);
    assert_memory_equal(got.p, "ping", 4);
    assert_memory_equal(got.p + 4, big, 40000);

    free(got.p);
    free(big);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

static void test_server_to_client(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    unsigned char *back = pattern(50000, 2);
    struct queue got = {0};
    unsigned calls = 0;
    struct oa_tls *c;
    struct server *s;

    connect_ok(f, "srv", cfg, "localhost", false, &c, &s);
    /* 50000 bytes arrive as four records, one per read. */
    server_write(s, back, 50000);
    assert_int_equal(to_client(s, c, false), 0);
    assert_int_equal(client_read_all(c, &got, 20000, &calls), 0);
    assert_int_equal(queue_pending(&got), 50000);
    assert_memory_equal(got.p, back, 50000);
    assert_int_equal(calls, 4);
    /* Nothing more to read, nothing to send. */
    assert_int_equal(client_read_all(c, &got, 100, NULL), 0);
    assert_int_equal(to_server(c, s), 0);

    /* A small read buffer gets a record in pieces. */
    got.off = got.len = 0;
    calls = 0;
    server_write(s, back, 1000);
    assert_int_equal(to_client(s, c, false), 0);
    assert_int_equal(client_read_all(c, &got, 7, &calls), 0);
    assert_int_equal(queue_pending(&got), 1000);
    assert_memory_equal(got.p, back, 1000);
    assert_int_equal(calls, (1000 + 6) / 7);

    free(got.p);
    free(back);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

static void test_one_byte_at_a_time(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    unsigned char *msg = pattern(20005, 3), buf[20000];
    struct queue got = {0};
    struct oa_tls *c;
    struct server *s;
    unsigned records = 0;
    size_t i, n;
    ssize_t r;

    connect_ok(f, "srv", cfg, "localhost", true, &c, &s);
    server_write(s, "hello", 5);
    server_write(s, msg, 20005);
    n = queue_pending(&s->out);
    for (i = 0; i < n; i++) {
        assert_int_equal(oa_tls_feed(c, s->out.p + s->out.off + i, 1), 0);
        while ((r = oa_tls_read(c, buf, sizeof(buf), NULL, 0)) > 0) {
            queue_push(&got, buf, (size_t)r);
            records++;
        }
        assert_int_equal(r, 0);
    }
    s->out.off = s->out.len;
    /* "hello", then 20005 bytes as a full record and the rest. */
    assert_int_equal(records, 3);
    assert_int_equal(queue_pending(&got), 20010);
    assert_memory_equal(got.p, "hello", 5);
    assert_memory_equal(got.p + 5, msg, 20005);

    free(got.p);
    free(msg);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

/* Feeding while earlier input is still unread moves the unread bytes to
 * the front of the buffer (or grows it); nothing may be lost or reordered. */
static void test_feed_between_partial_reads(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    unsigned char *msg = pattern(200000, 4), buf[100];
    struct queue got = {0};
    struct oa_tls *c;
    struct server *s;
    size_t sent = 0;
    ssize_t n;

    connect_ok(f, "srv", cfg, "localhost", false, &c, &s);
    while (sent < 200000) {
        server_write(s, msg + sent, 40000);
        sent += 40000;
        assert_int_equal(to_client(s, c, false), 0);
        /* One small read: one record leaves the buffer, the rest stays. */
        n = oa_tls_read(c, buf, sizeof(buf), NULL, 0);
        assert_int_equal(n, sizeof(buf));
        queue_push(&got, buf, (size_t)n);
    }
    assert_int_equal(client_read_all(c, &got, 20000, NULL), 0);
    assert_int_equal(queue_pending(&got), 200000);
    assert_memory_equal(got.p, msg, 200000);

    free(got.p);
    free(msg);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

static void test_wrong_ca(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    struct oa_tls *c;
    struct server *s;
    char err[256];

    connect_fails(f, "rogue", 0, cfg, "localhost", err, sizeof(err));
    assert_non_null(strstr(err, "certificate verification failed: "));
    assert_non_null(strstr(err, "not correctly signed by the trusted CA"));
    oa_tls_config_free(cfg);

    /* The rogue CA trusts its own server. */
    cfg = config(f, "rogueca", false);
    connect_ok(f, "rogue", cfg, "localhost", false, &c, &s);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

static void test_wrong_name(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    struct oa_tls *c = NULL;
    struct server *s;
    char err[256];

    connect_fails(f, "other", 0, cfg, "localhost", err, sizeof(err));
    assert_non_null(strstr(err, "certificate verification failed: "));
    assert_non_null(strstr(err, "Common Name (CN) does not match"));
    /* Case does not matter in DNS names. */
    connect_ok(f, "other", cfg, "OTHER.example", false, &c, &s);
    oa_tls_free(c);
    server_free(s);
    /* A host name is required: without one mbedTLS skips the check. */
    assert_int_equal(oa_tls_new(cfg, "", &c), OA_ETLS);
    assert_int_equal(oa_tls_new(cfg, NULL, &c), OA_ETLS);
    oa_tls_config_free(cfg);
}

static void test_ip_literal(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    struct oa_tls *c;
    struct server *s;
    char err[256];

    /* mbedTLS 2.28 ignores iPAddress SANs: a certificate for IP 127.0.0.1
     * does not match the host "127.0.0.1". */
    connect_fails(f, "ip", 0, cfg, "127.0.0.1", err, sizeof(err));
    assert_non_null(strstr(err, "Common Name (CN) does not match"));
    /* A dNSName SAN spelling the address does. */
    connect_ok(f, "ipdns", cfg, "127.0.0.1", false, &c, &s);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

static void test_insecure(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", true);
    struct oa_tls *c;
    struct server *s;

    assert_true(oa_tls_config_insecure(cfg));
    /* Neither the issuer nor the name is checked. */
    connect_ok(f, "rogue", cfg, "localhost", false, &c, &s);
    oa_tls_free(c);
    server_free(s);
    connect_ok(f, "other", cfg, "localhost", false, &c, &s);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

static void test_close_notify(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    struct queue got = {0};
    char err[256] = "";
    struct oa_tls *c;
    struct server *s;
    unsigned char buf[64];

    /* Data, then close_notify in the same feed: data first. */
    connect_ok(f, "srv", cfg, "localhost", false, &c, &s);
    server_write(s, "bye", 3);
    assert_int_equal(mbedtls_ssl_close_notify(&s->ssl), 0);
    assert_int_equal(to_client(s, c, false), 0);
    assert_int_equal(oa_tls_read(c, buf, sizeof(buf), err, sizeof(err)), 3);
    assert_memory_equal(buf, "bye", 3);
    assert_int_equal(oa_tls_read(c, buf, sizeof(buf), err, sizeof(err)), OA_ECLOSED);
    assert_non_null(strstr(err, "close_notify"));
    oa_tls_free(c);
    server_free(s);

    /* The client's close_notify reaches the server. */
    connect_ok(f, "srv", cfg, "localhost", false, &c, &s);
    assert_int_equal(oa_tls_close_notify(c), 0);
    assert_true(to_server(c, s) > 0);
    assert_int_equal(server_read(s, &got), MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
    oa_tls_free(c);
    server_free(s);

    /* Before the handshake there is nothing to close. */
    c = client(cfg, "localhost");
    assert_int_equal(oa_tls_close_notify(c), 0);
    assert_int_equal(oa_tls_write(c, "x", 1), OA_ETLS);
    oa_tls_free(c);
    free(got.p);
    oa_tls_config_free(cfg);
}

static void test_renegotiation_declined(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    struct server *s = server_new(f, "srv", 0, true);
    struct oa_tls *c = client(cfg, "localhost");
    unsigned char buf[64];
    char err[256] = "";
    int r;

    assert_int_equal(pump(c, s, false, err, sizeof(err)), 0);
    /* A HelloRequest followed by data in one feed: the client declines the
     * renegotiation (an alert to send) and still returns the data. */
    r = mbedtls_ssl_renegotiate(&s->ssl);
    assert_true(r == 0 || r == MBEDTLS_ERR_SSL_WANT_READ);
    server_write(s, "after", 5);
    assert_int_equal(to_client(s, c, false), 0);
    assert_int_equal(oa_tls_read(c, buf, sizeof(buf), err, sizeof(err)), 5);
    assert_memory_equal(buf, "after", 5);
    assert_int_equal(oa_tls_read(c, buf, sizeof(buf), err, sizeof(err)), 0);
    assert_true(to_server(c, s) > 0);
    oa_tls_free(c);
    server_free(s);
    oa_tls_config_free(cfg);
}

static void expect_config_error(const struct fixture *f, const char *name, int want,
                                const char *text)
{
    struct oa_tls_config *cfg = NULL;
    char path[256], err[512] = "";

    path_of(f, name, path, sizeof(path));
    assert_int_equal(oa_tls_config_new(f->rng, path, false, &cfg, err, sizeof(err)), want);
    assert_null(cfg);
    if (!strstr(err, path) || !strstr(err, text))
        fail_msg("reason \"%s\" lacks the path or \"%s\"", err, text);
    /* Insecure mode does not excuse an explicit ca_file. */
    assert_int_equal(oa_tls_config_new(f->rng, path, true, &cfg, err, sizeof(err)), want);
}

static void test_ca_file_errors(void **state)
{
    const struct fixture *f = *state;

    expect_config_error(f, "nope.crt", -ENOENT, "No such file or directory");
    expect_config_error(f, "", -EISDIR, "Is a directory");
    expect_config_error(f, "notpem.txt", OA_ETLS, "no usable certificate");
    expect_config_error(f, "badpem.crt", OA_ETLS, "no usable certificate");
    expect_config_error(f, "empty.crt", OA_ETLS, "empty");
    /* A private key is no certificate either. */
    expect_config_error(f, "ca.key", OA_ETLS, "no usable certificate");
}

static void test_system_bundle(void **state)
{
    static const char *const bundles[] = {"/etc/ssl/certs/ca-certificates.crt",
                                          "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"};
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = NULL;
    char err[512] = "";
    bool any = false;
    size_t i;
    int r;

    for (i = 0; i < 3; i++)
        any = any || access(bundles[i], F_OK) == 0;
    r = oa_tls_config_new(f->rng, NULL, false, &cfg, err, sizeof(err));
    if (any) {
        if (r != 0)
            fail_msg("system bundle: %d (%s)", r, err);
    } else {
        assert_int_equal(r, -ENOENT);
        assert_non_null(strstr(err, "no system CA bundle"));
    }
    oa_tls_config_free(cfg);
    /* Insecure mode needs no bundle at all. */
    cfg = config(f, NULL, true);
    oa_tls_config_free(cfg);
    oa_tls_config_free(NULL);
    oa_tls_free(NULL);
}

static void test_tls11_refused(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", true);
    char err[256];

    /* Even without verification, TLS 1.2 is the minimum. */
    connect_fails(f, "srv", MBEDTLS_SSL_MINOR_VERSION_2, cfg, "localhost", err, sizeof(err));
    assert_non_null(strstr(err, "min/max"));
    oa_tls_config_free(cfg);
}

static void test_garbage_server_hello(void **state)
{
    static const char http[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    unsigned char noise[2048];
    struct oa_buf out;
    char err[256] = "";
    struct oa_tls *c;
    int i, r;

    /* A plain HTTP answer to the ClientHello. */
    c = client(cfg, "localhost");
    assert_int_equal(oa_tls_handshake(c, err, sizeof(err)), OA_TLS_AGAIN);
    assert_int_equal(oa_tls_feed(c, http, strlen(http)), 0);
    assert_int_equal(oa_tls_handshake(c, err, sizeof(err)), OA_ETLS);
    assert_string_equal(err, "the server does not speak TLS (its answer starts \"HTTP/1.1\")");
    oa_tls_free(c);

    /* Random bytes, some behind a plausible handshake record header: no
     * crash, only "more" or a failure. */
    oa_buf_init(&out, SIZE_MAX);
    for (i = 0; i < 200; i++) {
        size_t len = 1 + oa_rng_below(f->rng, sizeof(noise));

        assert_int_equal(oa_rng_bytes(f->rng, noise, len), 0);
        if (i % 2 && len > 5)
            memcpy(noise, "\x16\x03\x03", 3);
        c = client(cfg, "localhost");
        assert_int_equal(oa_tls_handshake(c, err, sizeof(err)), OA_TLS_AGAIN);
        assert_int_equal(oa_tls_feed(c, noise, len), 0);
        r = oa_tls_handshake(c, err, sizeof(err));
        assert_true(r == OA_TLS_AGAIN || r == OA_ETLS);
        assert_int_equal(oa_tls_take_output(c, &out), 0);
        oa_buf_reset(&out);
        oa_tls_free(c);
    }
    oa_buf_done(&out);
    oa_tls_config_free(cfg);
}

static void test_oversize_input(void **state)
{
    const struct fixture *f = *state;
    struct oa_tls_config *cfg = config(f, "ca", false);
    unsigned char *junk = calloc(1, OA_TLS_MAX_INPUT + 1);
    struct queue got = {0};
    struct oa_tls *c;
    struct server *s;
    char err[256];
    int round;

    assert_non_null(junk);
    c = client(cfg, "localhost");
    assert_int_equal(oa_tls_feed(c, junk, OA_TLS_MAX_INPUT + 1), OA_ETOOBIG);
    assert_int_equal(oa_tls_feed(c, junk, OA_TLS_MAX_INPUT - 10), 0);
    assert_int_equal(oa_tls_feed(c, junk, 10), 0);
    assert_int_equal(oa_tls_feed(c, junk, 1), OA_ETOOBIG);
    assert_int_equal(oa_tls_feed(c, junk, 0), 0);
    /* Zeros are no TLS record. */
    assert_int_equal(oa_tls_handshake(c, err, sizeof(err)), OA_ETLS);
    oa_tls_free(c);

    /* The cap counts unread bytes: after reading, there is room again. */
    connect_ok(f, "srv", cfg, "localhost", false, &c, &s);
    for (round = 0; round < 3; round++) {
        server_write(s, junk, 700000);
        assert_int_equal(to_client(s, c, false), 0);
        assert_int_equal(client_read_all(c, &got, 16384, NULL), 0);
    }
    assert_int_equal(queue_pending(&got), 3 * 700000);
    free(got.p);
    oa_tls_free(c);
    server_free(s);
    free(junk);
    oa_tls_config_free(cfg);
}

/* One full session with the k-th allocation failing: each step either works
 * or fails cleanly. Returns true when no allocation failed. */
static bool session_with_failure(const struct fixture *f, unsigned long k)
{
    struct oa_tls_config *cfg = NULL;
    struct oa_tls *c = NULL;
    struct server *s = server_new(f, "srv", 0, false);
    char path[256], err[256] = "";
    unsigned char buf[64];
    bool clean;
    int r;

    path_of(f, "ca.crt", path, sizeof(path));
    oa_mem_fail_after(k);
    r = oa_tls_config_new(f->rng, path, false, &cfg, err, sizeof(err));
    if (r == 0)
        r = oa_tls_new(cfg, "localhost", &c);
    if (r == 0)
        r = pump(c, s, false, err, sizeof(err));
    if (r == 0 && (r = oa_tls_write(c, "ping", 4)) == 0 && to_server(c, s) < 0)
        r = -ENOMEM;
    if (r == 0) {
        server_write(s, "pong", 4);
        if ((r = to_client(s, c, false)) == 0 &&
            (r = (int)oa_tls_read(c, buf, sizeof(buf), err, sizeof(err))) == 4)
            r = 0;
    }
    clean = oa_mem_count() < k;
    oa_mem_fail_after(0);
    if (clean)
        assert_int_equal(r, 0);
    else if (r != -ENOMEM && !(r == OA_ETLS && strstr(err, "out of memory")))
        fail_msg("allocation %lu failed: %d (%s)", k, r, err);
    oa_tls_free(c);
    oa_tls_config_free(cfg);
    server_free(s);
    return clean;
}

static void test_allocation_failures(void **state)
{
    unsigned long k;

    for (k = 1; k < 1000; k++) {
        if (session_with_failure(*state, k))
            break;
    }
    assert_true(k > 3 && k < 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_to_server),
        cmocka_unit_test(test_server_to_client),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_feed_between_partial_reads),
        cmocka_unit_test(test_wrong_ca),
        cmocka_unit_test(test_wrong_name),
        cmocka_unit_test(test_ip_literal),
        cmocka_unit_test(test_insecure),
        cmocka_unit_test(test_close_notify),
        cmocka_unit_test(test_renegotiation_declined),
        cmocka_unit_test(test_ca_file_errors),
        cmocka_unit_test(test_system_bundle),
        cmocka_unit_test(test_tls11_refused),
        cmocka_unit_test(test_garbage_server_hello),
        cmocka_unit_test(test_oversize_input),
        cmocka_unit_test(test_allocation_failures),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
