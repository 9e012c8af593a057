/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS client of the agent: mbedTLS behind about ten functions, without
 * I/O. mbedTLS's bio callbacks work on two in-memory buffers owned here: the
 * ciphertext the caller fed (on_recv hands it out and says WANT_READ when it
 * runs dry) and the ciphertext to send (on_send appends to it, and
 * oa_tls_take_output hands it over). A config owns the trusted CAs and the
 * mbedtls_ssl_config; a session owns its mbedtls_ssl_context and both
 * buffers. This module never touches a socket and does not log; no mbedTLS
 * code leaves it: each becomes OA_ETLS (or an errno code) with mbedTLS's own
 * text in the caller's reterr.
 */
#include "tls.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/pem.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "err.h"
#include "mem.h"

/* A CA bundle is a few hundred KiB; a file far larger is the wrong file. */
#define CA_FILE_MAX (16u << 20)
/* First size of the input buffer: one full record (16 KiB + overhead). */
#define IN_FIRST (32u << 10)
/* Buffer memory kept once drained; larger buffers are freed. */
#define KEEP_MAX (64u << 10)

static const char *const system_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine */
    "/etc/pki/tls/certs/ca-bundle.crt",   /* RHEL, Fedora, CentOS */
    "/etc/ssl/cert.pem",                  /* LibreSSL's default, OpenBSD */
};

struct oa_tls_config {
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    bool insecure;
};

struct oa_tls {
    mbedtls_ssl_context ssl;
    /* Fed ciphertext: in[in_start, in_end) is not yet read by mbedTLS. */
    unsigned char *in;
    size_t in_start, in_end, in_alloc;
    /* Ciphertext for the socket. Only the caller's writes make it grow. */
    struct oa_buf out;
    int io_err; /* on_send could not grow out */
    /* The first bytes the peer sent, to recognise a server that is not
     * speaking TLS at all (a plain HTTP port). */
    unsigned char head[8];
    size_t head_len;
    bool established;
    bool failed; /* after a fatal error only oa_tls_free is useful */
};

static void set_err(char *reterr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *reterr, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!reterr || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(reterr, errlen, fmt, ap);
    va_end(ap);
}

static bool is_alloc_failure(int code)
{
    return code == MBEDTLS_ERR_SSL_ALLOC_FAILED || code == MBEDTLS_ERR_X509_ALLOC_FAILED ||
           code == MBEDTLS_ERR_PEM_ALLOC_FAILED;
}

/* Reads a regular file into b. Returns 0 or a negative errno. */
static int read_file(const char *path, struct oa_buf *b)
{
    char chunk[16384];
    struct stat st;
    ssize_t n;
    int fd, r = 0;

    /* O_NONBLOCK: a FIFO given by mistake must not hang the start-up. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        r = -errno;
    else if (S_ISDIR(st.st_mode))
        r = -EISDIR;
    else if (!S_ISREG(st.st_mode))
        r = -EINVAL;
    while (r == 0) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : 0;
            break;
        }
        r = oa_buf_append(b, chunk, (size_t)n);
        if (r == OA_ETOOBIG)
            r = -EFBIG;
    }
    close(fd);
    return r;
}

/* Adds the certificates of one PEM (or DER) file to cfg->ca. */
static int load_ca(struct oa_tls_config *cfg, const char *path, char *reterr, size_t errlen)
{
    struct oa_buf b;
    char why[160];
    int r;

    oa_buf_init(&b, CA_FILE_MAX);
    r = read_file(path, &b);
    if (r < 0) {
        set_err(reterr, errlen, "CA file %s: %s", path, strerror(-r));
        goto done;
    }
    if (b.len == 0) {
        set_err(reterr, errlen, "CA file %s: the file is empty, no certificate in it", path);
        r = OA_ETLS;
        goto done;
    }
    /* mbedTLS recognises PEM only with the final NUL counted. For a bundle it
     * returns how many certificates it could not parse (an algorithm it lacks),
     * which is fine as long as one parsed; a negative code means none did. */
    r = mbedtls_x509_crt_parse(&cfg->ca, (const unsigned char *)b.data, b.len + 1);
    if (is_alloc_failure(r)) {
        set_err(reterr, errlen, "CA file %s: out of memory", path);
        r = -ENOMEM;
    } else if (r < 0) {
        mbedtls_strerror(r, why, sizeof(why));
        set_err(reterr, errlen, "CA file %s: no usable certificate in it (%s)", path, why);
        r = OA_ETLS;
    } else {
        r = 0;
    }
done:
    oa_buf_done(&b);
    return r;
}

static int load_system_ca(struct oa_tls_config *cfg, char *reterr, size_t errlen)
{
    size_t i;
    int r;

    for (i = 0; i < sizeof(system_bundles) / sizeof(system_bundles[0]); i++) {
        r = load_ca(cfg, system_bundles[i], reterr, errlen);
        if (r != -ENOENT)
            return r;
    }
    set_err(reterr, errlen, "no system CA bundle (looked for %s, %s and %s); set ca_file",
            system_bundles[0], system_bundles[1], system_bundles[2]);
    return -ENOENT;
}

int oa_tls_config_new(struct oa_rng *rng, const char *ca_file, bool insecure,
                      struct oa_tls_config **ret, char *reterr, size_t errlen)
{
    struct oa_tls_config *cfg = oa_calloc(1, sizeof(*cfg));
    char why[160];
    int r;

    if (!cfg) {
        set_err(reterr, errlen, "out of memory");
        return -ENOMEM;
    }
    mbedtls_ssl_config_init(&cfg->conf);
    mbedtls_x509_crt_init(&cfg->ca);
    cfg->insecure = insecure;

    r = ca_file ? load_ca(cfg, ca_file, reterr, errlen) : load_system_ca(cfg, reterr, errlen);
    /* Insecure mode never consults the CAs, so a host without a bundle is
     * fine; an explicit ca_file that fails is still a configuration error. */
    if (r == -ENOENT && !ca_file && insecure)
        r = 0;
    if (r < 0)
        goto fail;

    r = mbedtls_ssl_config_defaults(&cfg->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0) {
        mbedtls_strerror(r, why, sizeof(why));
        set_err(reterr, errlen, "TLS settings: %s", why);
        r = is_alloc_failure(r) ? -ENOMEM : OA_ETLS;
        goto fail;
    }
    /* design.md, Security rules: TLS 1.2 at least, verification on unless
     * the explicit switch says otherwise. The cipher suites stay mbedTLS's
     * defaults. */
    mbedtls_ssl_conf_min_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_authmode(&cfg->conf,
                              insecure ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&cfg->conf, &cfg->ca, NULL);
    mbedtls_ssl_conf_rng(&cfg->conf, oa_rng_mbedtls, rng);
    *ret = cfg;
    return 0;

fail:
    oa_tls_config_free(cfg);
    return r;
}

void oa_tls_config_free(struct oa_tls_config *cfg)
{
    if (!cfg)
        return;
    mbedtls_ssl_config_free(&cfg->conf);
    mbedtls_x509_crt_free(&cfg->ca);
    oa_free(cfg);
}

bool oa_tls_config_insecure(const struct oa_tls_config *cfg)
{
    return cfg->insecure;
}

/* Forgets the drained input, giving back the memory of a large burst. */
static void drop_input(struct oa_tls *t)
{
    t->in_start = t->in_end = 0;
    if (t->in_alloc > KEEP_MAX) {
        oa_free(t->in);
        t->in = NULL;
        t->in_alloc = 0;
    }
}

static int on_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct oa_tls *t = ctx;
    size_t n = t->in_end - t->in_start;

    if (n == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n > len)
        n = len;
    if (n > INT_MAX)
        n = INT_MAX;
    memcpy(buf, t->in + t->in_start, n);
    t->in_start += n;
    if (t->in_start == t->in_end)
        drop_input(t);
    return (int)n;
}

static int on_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct oa_tls *t = ctx;
    int r;

    if (len > INT_MAX)
        len = INT_MAX;
    r = oa_buf_append(&t->out, buf, len);
    if (r < 0) {
        t->io_err = r;
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    }
    return (int)len;
}

int oa_tls_new(struct oa_tls_config *cfg, const char *host, struct oa_tls **ret)
{
    struct oa_tls *t;
    int r;

    /* Without a host name mbedTLS 2.28 silently skips the name check. */
    if (!host || !*host)
        return OA_ETLS;
    t = oa_calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    mbedtls_ssl_init(&t->ssl);
    oa_buf_init(&t->out, SIZE_MAX);
    r = mbedtls_ssl_setup(&t->ssl, &cfg->conf);
    /* The host is both the SNI and the name the certificate must carry.
     * mbedTLS 2.28 compares it with the dNSName SANs only (with the CN when
     * the certificate has no SAN at all) and ignores iPAddress SANs. So an
     * IP literal is sent as SNI (RFC 6066 forbids that; servers ignore it)
     * and is accepted only when a dNSName SAN, or the CN of a certificate
     * without SANs, spells the same text ("192.0.2.1"); a certificate with
     * just the IP SAN 192.0.2.1 fails with a CN mismatch. */
    if (r == 0)
        r = mbedtls_ssl_set_hostname(&t->ssl, host);
    if (r != 0) {
        oa_tls_free(t);
        return is_alloc_failure(r) ? -ENOMEM : OA_ETLS;
    }
    mbedtls_ssl_set_bio(&t->ssl, t, on_send, on_recv, NULL);
    *ret = t;
    return 0;
}

void oa_tls_free(struct oa_tls *t)
{
    if (!t)
        return;
    mbedtls_ssl_free(&t->ssl);
    oa_free(t->in);
    oa_buf_done(&t->out);
    oa_free(t);
}

/* Makes room for len more bytes after in_end (len fits under the cap). The
 * unread bytes move to the front only when the end of the buffer is
 * reached, never once per record; a caller that reads until 0 after each
 * feed leaves nothing to move (mbedTLS keeps a partial record itself). */
static int make_room(struct oa_tls *t, size_t len)
{
    size_t pending = t->in_end - t->in_start, alloc;
    unsigned char *p;

    if (t->in_start > 0) {
        memmove(t->in, t->in + t->in_start, pending);
        t->in_start = 0;
        t->in_end = pending;
        if (len <= t->in_alloc - pending)
            return 0;
    }
    alloc = t->in_alloc ? t->in_alloc : IN_FIRST;
    while (alloc < pending + len)
        alloc *= 2;
    if (alloc > OA_TLS_MAX_INPUT)
        alloc = OA_TLS_MAX_INPUT;
    p = oa_realloc(t->in, alloc);
    if (!p)
        return -ENOMEM;
    t->in = p;
    t->in_alloc = alloc;
    return 0;
}

int oa_tls_feed(struct oa_tls *t, const void *data, size_t len)
{
    size_t head;
    int r;

    if (len > OA_TLS_MAX_INPUT - (t->in_end - t->in_start))
        return OA_ETOOBIG;
    if (len == 0)
        return 0;
    if (len > t->in_alloc - t->in_end && (r = make_room(t, len)) < 0)
        return r;
    memcpy(t->in + t->in_end, data, len);
    t->in_end += len;
    head = sizeof(t->head) - t->head_len;
    head = head < len ? head : len;
    memcpy(t->head + t->head_len, data, head);
    t->head_len += head;
    return 0;
}

/* Whether the peer's first bytes are text, e.g. "HTTP/1.1" or "SSH-2.0-":
 * a TLS record starts with a content type byte from 20 to 24. */
static bool head_is_text(const struct oa_tls *t)
{
    size_t i;

    for (i = 0; i < t->head_len; i++) {
        if (t->head[i] < 0x20 || t->head[i] > 0x7e)
            return false;
    }
    return t->head_len > 0;
}

/* mbedTLS gives one capitalised line per problem; this makes them one
 * lower-case list separated by "; " for the middle of a sentence. */
static void join_lines(const char *in, char *out, size_t outlen)
{
    bool start = true;
    size_t o = 0;

    for (; *in && o + 3 < outlen; in++) {
        if (*in == '\n') {
            if (in[1]) {
                out[o++] = ';';
                out[o++] = ' ';
            }
            start = true;
            continue;
        }
        out[o++] = start ? (char)tolower((unsigned char)*in) : *in;
        start = false;
    }
    out[o] = '\0';
}

/* Marks the session failed and explains code. Returns OA_ETLS. */
static int fail(struct oa_tls *t, int code, char *reterr, size_t errlen)
{
    char info[512], why[512];
    uint32_t flags;

    t->failed = true;
    if (t->io_err || is_alloc_failure(code)) {
        set_err(reterr, errlen, "out of memory");
        return OA_ETLS;
    }
    if (code == MBEDTLS_ERR_SSL_INVALID_RECORD && !t->established && head_is_text(t)) {
        set_err(reterr, errlen, "the server does not speak TLS (its answer starts \"%.*s\")",
                (int)t->head_len, (const char *)t->head);
        return OA_ETLS;
    }
    if (code != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        mbedtls_strerror(code, why, sizeof(why));
        set_err(reterr, errlen, "%s", why);
        return OA_ETLS;
    }
    flags = mbedtls_ssl_get_verify_result(&t->ssl);
    if (flags == 0 || flags == UINT32_MAX ||
        mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags) <= 0) {
        set_err(reterr, errlen, "certificate verification failed");
        return OA_ETLS;
    }
    join_lines(info, why, sizeof(why));
    set_err(reterr, errlen, "certificate verification failed: %s", why);
    return OA_ETLS;
}

static int already_failed(char *reterr, size_t errlen)
{
    set_err(reterr, errlen, "the TLS session failed earlier");
    return OA_ETLS;
}

int oa_tls_handshake(struct oa_tls *t, char *reterr, size_t errlen)
{
    int r;

    if (t->failed)
        return already_failed(reterr, errlen);
    r = mbedtls_ssl_handshake(&t->ssl);
    if (r == 0) {
        t->established = true;
        return 0;
    }
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
        return OA_TLS_AGAIN;
    return fail(t, r, reterr, errlen);
}

ssize_t oa_tls_read(struct oa_tls *t, void *buf, size_t cap, char *reterr, size_t errlen)
{
    size_t before;
    int r;

    if (t->failed)
        return already_failed(reterr, errlen);
    if (cap > INT_MAX)
        cap = INT_MAX;
    /* Should mbedTLS stop with WANT_READ after a record that carried no
     * data while more input is left, go on as long as that input shrinks:
     * 0 must mean "feed me", or the caller would wait for nothing. */
    do {
        before = t->in_end - t->in_start;
        r = mbedtls_ssl_read(&t->ssl, buf, cap);
    } while (r == MBEDTLS_ERR_SSL_WANT_READ && t->in_end - t->in_start > 0 &&
             t->in_end - t->in_start < before);
    if (r > 0)
        return r;
    switch (r) {
    case 0: /* on_recv never reports an end of stream; nothing to return */
    case MBEDTLS_ERR_SSL_WANT_READ:
    case MBEDTLS_ERR_SSL_WANT_WRITE:
        return 0;
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
        set_err(reterr, errlen, "the peer closed the TLS session (close_notify)");
        return OA_ECLOSED;
    default:
        return fail(t, r, reterr, errlen);
    }
}

int oa_tls_write(struct oa_tls *t, const void *data, size_t len)
{
    const unsigned char *p = data;
    int r;

    if (t->failed || !t->established)
        return OA_ETLS;
    /* mbedtls_ssl_write takes at most one record per call. on_send never
     * says WANT_WRITE, so anything but progress is fatal. */
    while (len > 0) {
        r = mbedtls_ssl_write(&t->ssl, p, len > INT_MAX ? INT_MAX : len);
        if (r <= 0) {
            t->failed = true;
            if (t->io_err)
                return t->io_err;
            return is_alloc_failure(r) ? -ENOMEM : OA_ETLS;
        }
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

int oa_tls_close_notify(struct oa_tls *t)
{
    if (t->failed)
        return OA_ETLS;
    /* Before the handshake is over mbedTLS sends nothing and returns 0. */
    if (mbedtls_ssl_close_notify(&t->ssl) != 0) {
        t->failed = true;
        return OA_ETLS;
    }
    return 0;
}

int oa_tls_take_output(struct oa_tls *t, struct oa_buf *out)
{
    int r;

    if (t->out.len == 0)
        return 0;
    r = oa_buf_append(out, t->out.data, t->out.len);
    if (r < 0)
        return r;
    if (t->out.alloc > KEEP_MAX)
        oa_buf_done(&t->out);
    else
        oa_buf_reset(&t->out);
    return 0;
}
