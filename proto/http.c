/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client side of HTTP/1.1 that the agent needs, sans-I/O: it writes the
 * WebSocket upgrade, proxy CONNECT and plain requests into a buffer and
 * parses the response with http-parser, stopping exactly at the end of the
 * header block so the bytes after it (WebSocket frames, or TLS after
 * CONNECT) stay with the caller, or at the end of the body when the caller
 * asked for it. It owns the strings it keeps from a response; the body
 * goes to the caller's callback piece by piece and is never stored here.
 * It never touches a socket.
 */
#include "http.h"

#include <errno.h>
#include <http_parser.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "mem.h"

/* RFC 6455 §1.3. */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_RAW 16
/* Longest key accepted by oa_http_ws_accept; ours are 24 bytes. */
#define WS_KEY_MAX 64

/* The parser state behind oa_http_response.parser. */
struct parser {
    http_parser hp;
    http_parser_settings settings;
    struct oa_http_response *r;
    struct oa_buf reason; /* the status line's reason phrase */
    struct oa_buf name;   /* the header name being read */
    struct oa_buf value;  /* its value, possibly in several pieces */
    bool in_value;
};

static void set_err(char *reterr, size_t errlen, const char *msg)
{
    if (reterr && errlen > 0)
        snprintf(reterr, errlen, "%s", msg);
}

int oa_http_ws_key(struct oa_rng *rng, char key[OA_HTTP_WS_KEY_LEN + 1])
{
    unsigned char raw[WS_KEY_RAW];
    size_t olen;
    int r;

    r = oa_rng_bytes(rng, raw, sizeof(raw));
    if (r < 0)
        return r;
    if (mbedtls_base64_encode((unsigned char *)key, OA_HTTP_WS_KEY_LEN + 1, &olen, raw,
                              sizeof(raw)) != 0)
        return -EINVAL;
    return 0;
}

int oa_http_ws_accept(const char *key, char accept[OA_HTTP_WS_ACCEPT_LEN + 1])
{
    unsigned char in[WS_KEY_MAX + sizeof(WS_GUID)];
    unsigned char digest[20];
    size_t klen = strlen(key), olen;

    if (klen > WS_KEY_MAX)
        return -EINVAL;
    memcpy(in, key, klen);
    memcpy(in + klen, WS_GUID, sizeof(WS_GUID) - 1);
    if (mbedtls_sha1_ret(in, klen + sizeof(WS_GUID) - 1, digest) != 0)
        return -EINVAL;
    if (mbedtls_base64_encode((unsigned char *)accept, OA_HTTP_WS_ACCEPT_LEN + 1, &olen, digest,
                              sizeof(digest)) != 0)
        return -EINVAL;
    return 0;
}

/* Text that goes into a request line or a header must not be able to end it
 * or add another: no controls, no spaces, no DEL. */
static bool is_token_text(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return false;
    return true;
}

/* RFC 9110 §5.6.2: tchar. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar(s[i]))
            return false;
    return true;
}

/* "host:port" or "[v6]:port" for CONNECT; "host", "[v6]" or either with
 * ":port" for Host. */
static int authority(char *buf, size_t size, const char *host, int port, bool with_port)
{
    bool v6 = strchr(host, ':') != NULL;
    int n;

    if (with_port)
        n = snprintf(buf, size, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
    else
        n = snprintf(buf, size, "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
    return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

int oa_http_upgrade_request(struct oa_buf *out, const char *host, int port, bool tls,
                            const char *path, const char *key)
{
    char auth[300];
    bool default_port = port == (tls ? 443 : 80);

    if (!is_token_text(host) || !is_token_text(path) || !is_token_text(key) || port <= 0 ||
        port > 65535)
        return -EINVAL;
    if (authority(auth, sizeof(auth), host, port, !default_port) < 0)
        return -EINVAL;
    /* One append, so that a failure leaves out as it was. */
    return oa_buf_printf(out,
                         "GET %s HTTP/1.1\r\n"
                         "Host: %s\r\n"
                         "Upgrade: websocket\r\n"
                         "Connection: Upgrade\r\n"
                         "Sec-WebSocket-Key: %s\r\n"
                         "Sec-WebSocket-Version: 13\r\n"
                         "User-Agent: opsagent/" OA_VERSION "\r\n"
                         "\r\n",
                         path, auth, key);
}

/* base64 of the user info, in memory the caller zeroes and frees. */
static int basic_credentials(const char *userinfo, char **ret)
{
    size_t n = strlen(userinfo), size = 4 * ((n + 2) / 3) + 1, olen;
    char *b = oa_malloc(size);

    if (!b)
        return -ENOMEM;
    if (mbedtls_base64_encode((unsigned char *)b, size, &olen, (const unsigned char *)userinfo,
                              n) != 0) {
        oa_free(b);
        return -EINVAL;
    }
    *ret = b;
    return 0;
}

int oa_http_connect_request(struct oa_buf *out, const char *host, int port, const char *userinfo)
{
    char auth[300];
    char *cred = NULL;
    int r;

    if (!is_token_text(host) || port <= 0 || port > 65535)
        return -EINVAL;
    if (authority(auth, sizeof(auth), host, port, true) < 0)
        return -EINVAL;
    if (userinfo && (r = basic_credentials(userinfo, &cred)) < 0)
        return r;
    r = oa_buf_printf(out,
                      "CONNECT %s HTTP/1.1\r\n"
                      "Host: %s\r\n"
                      "%s%s%s"
                      "User-Agent: opsagent/" OA_VERSION "\r\n"
                      "\r\n",
                      auth, auth, cred ? "Proxy-Authorization: Basic " : "", cred ? cred : "",
                      cred ? "\r\n" : "");
    if (cred) {
        explicit_bzero(cred, strlen(cred));
        oa_free(cred);
    }
    return r;
}

/* Headers the request writes itself. */
static const char *const own_headers[] = {"host", "content-length", "transfer-encoding",
                                          "connection", "user-agent"};

/* "Name: value" with a token name, not one of ours, and a value without
 * control characters but tab. */
static bool valid_header(const char *h)
{
    const char *colon = strchr(h, ':');
    size_t nlen;

    if (!colon || !is_token(h, (size_t)(colon - h)))
        return false;
    nlen = (size_t)(colon - h);
    for (size_t i = 0; i < sizeof(own_headers) / sizeof(own_headers[0]); i++)
        if (strlen(own_headers[i]) == nlen && strncasecmp(h, own_headers[i], nlen) == 0)
            return false;
    for (const char *v = colon + 1; *v; v++)
        if (((unsigned char)*v < ' ' && *v != '\t') || *v == 0x7f)
            return false;
    return true;
}

static bool valid_request(const struct oa_http_req *rq)
{
    if (!rq->method || !is_token(rq->method, strlen(rq->method)) || !is_token_text(rq->host) ||
        !is_token_text(rq->path) || rq->port <= 0 || rq->port > 65535 ||
        (rq->body_len > 0 && !rq->body))
        return false;
    for (const char *const *h = rq->headers; h && *h; h++)
        if (!valid_header(*h))
            return false;
    return true;
}

/* RFC 9110 §8.6: a request whose method gives the body a meaning says how
 * long it is, even when it is empty. */
static bool wants_length(const struct oa_http_req *rq)
{
    return rq->body_len > 0 || strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0 ||
           strcmp(rq->method, "PATCH") == 0;
}

int oa_http_request(struct oa_buf *out, const struct oa_http_req *rq)
{
    struct oa_buf b;
    char auth[300];
    int r;

    if (!valid_request(rq) ||
        authority(auth, sizeof(auth), rq->host, rq->port, rq->port != (rq->tls ? 443 : 80)) < 0)
        return -EINVAL;
    /* Built apart, then appended at once, so that a failure leaves out as
     * it was. */
    oa_buf_init(&b, out->max - out->len);
    r = oa_buf_printf(&b,
                      "%s %s HTTP/1.1\r\n"
                      "Host: %s\r\n"
                      "User-Agent: opsagent/" OA_VERSION "\r\n"
                      "Connection: close\r\n",
                      rq->method, rq->path, auth);
    for (const char *const *h = rq->headers; r == 0 && h && *h; h++)
        r = oa_buf_printf(&b, "%s\r\n", *h);
    if (r == 0 && wants_length(rq))
        r = oa_buf_printf(&b, "Content-Length: %zu\r\n", rq->body_len);
    if (r == 0)
        r = oa_buf_puts(&b, "\r\n");
    if (r == 0 && rq->body_len > 0)
        r = oa_buf_append(&b, rq->body, rq->body_len);
    if (r == 0)
        r = oa_buf_append(out, b.data, b.len);
    if (b.data)
        explicit_bzero(b.data, b.len); /* headers may hold a token */
    oa_buf_done(&b);
    return r;
}

/* Where a header's value goes, or NULL for the headers nobody needs. */
static char **header_slot(struct oa_http_response *r, const char *name)
{
    if (strcasecmp(name, "location") == 0)
        return &r->location;
    if (strcasecmp(name, "upgrade") == 0)
        return &r->upgrade;
    if (strcasecmp(name, "connection") == 0)
        return &r->connection;
    if (strcasecmp(name, "sec-websocket-accept") == 0)
        return &r->accept;
    return NULL;
}

/* Stores the header just read. A repeated header is joined to the first with
 * ", " (RFC 9110 §5.3), which is how a list header repeats. */
static int commit_header(struct parser *p)
{
    char **slot = p->name.len ? header_slot(p->r, p->name.data) : NULL;
    const char *v = p->value.data ? p->value.data : "";
    size_t vlen = p->value.len;
    char *joined;

    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (slot && !*slot) {
        *slot = oa_strndup(v, vlen);
    } else if (slot) {
        size_t old = strlen(*slot);
        joined = oa_realloc(*slot, old + 2 + vlen + 1);
        if (!joined)
            return -ENOMEM;
        memcpy(joined + old, ", ", 2);
        memcpy(joined + old + 2, v, vlen);
        joined[old + 2 + vlen] = '\0';
        *slot = joined;
    }
    if (slot && !*slot)
        return -ENOMEM;
    oa_buf_reset(&p->name);
    oa_buf_reset(&p->value);
    p->in_value = false;
    return 0;
}

static int fail(struct parser *p, int err)
{
    p->r->err = err;
    return -1;
}

static int on_status(http_parser *hp, const char *at, size_t len)
{
    struct parser *p = hp->data;
    int r = oa_buf_append(&p->reason, at, len);

    return r < 0 ? fail(p, r) : 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    struct parser *p = hp->data;
    int r = p->in_value ? commit_header(p) : 0;

    if (r == 0)
        r = oa_buf_append(&p->name, at, len);
    return r < 0 ? fail(p, r) : 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    struct parser *p = hp->data;
    int r = oa_buf_append(&p->value, at, len);

    p->in_value = true;
    return r < 0 ? fail(p, r) : 0;
}

static int on_headers_complete(http_parser *hp)
{
    struct parser *p = hp->data;
    int r = p->in_value ? commit_header(p) : 0;

    if (r < 0)
        return fail(p, r);
    p->r->status = (int)hp->status_code;
    p->r->headers_complete = true;
    /* 1: no body. A 101 or a 200 to CONNECT has none, and without
     * read_body the body of any other answer is never read: the caller
     * gives up on the connection. RFC 9110 §6.4.1: 1xx, 204 and 304 never
     * have one, whatever Content-Length says (http-parser 2.9 would read
     * it). */
    if (!p->r->on_body || hp->status_code / 100 == 1 || hp->status_code == 204 ||
        hp->status_code == 304)
        return 1;
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    struct parser *p = hp->data;
    int r = p->r->on_body(p->r->body_ud, at, len);

    return r < 0 ? fail(p, r) : 0;
}

static int on_message_complete(http_parser *hp)
{
    struct parser *p = hp->data;

    p->r->complete = true;
    /* Stop right after the header block: what follows is the next protocol. */
    http_parser_pause(hp, 1);
    return 0;
}

void oa_http_response_init(struct oa_http_response *r, size_t max_header)
{
    memset(r, 0, sizeof(*r));
    r->max_header = max_header ? max_header : OA_HTTP_MAX_HEADER;
}

void oa_http_response_done(struct oa_http_response *r)
{
    struct parser *p = r->parser;

    if (p) {
        oa_buf_done(&p->reason);
        oa_buf_done(&p->name);
        oa_buf_done(&p->value);
        oa_free(p);
    }
    oa_free(r->upgrade);
    oa_free(r->connection);
    oa_free(r->accept);
    oa_free(r->location);
    oa_free(r->field);
    oa_http_response_init(r, r->max_header);
}

/* The parser is allocated on the first feed: init cannot fail. */
static struct parser *parser_new(struct oa_http_response *r)
{
    struct parser *p = oa_calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    http_parser_init(&p->hp, HTTP_RESPONSE);
    p->hp.data = p;
    http_parser_settings_init(&p->settings);
    p->settings.on_status = on_status;
    p->settings.on_header_field = on_header_field;
    p->settings.on_header_value = on_header_value;
    p->settings.on_headers_complete = on_headers_complete;
    p->settings.on_body = on_body;
    p->settings.on_message_complete = on_message_complete;
    p->r = r;
    oa_buf_init(&p->reason, r->max_header);
    oa_buf_init(&p->name, r->max_header);
    oa_buf_init(&p->value, r->max_header);
    return p;
}

static ssize_t feed_error(struct oa_http_response *r, int err, const char *msg, char *reterr,
                          size_t errlen)
{
    r->err = err;
    set_err(reterr, errlen, msg);
    return err;
}

void oa_http_response_read_body(struct oa_http_response *r, oa_http_body_cb cb, void *ud)
{
    r->on_body = cb;
    r->body_ud = ud;
}

/* Runs http-parser on at most what the header block may still hold while
 * it is incomplete, on everything after. Returns bytes consumed or an
 * error; *capped tells whether the header cap cut the input. */
static ssize_t execute(struct oa_http_response *r, const char *data, size_t len, bool *capped,
                       char *reterr, size_t errlen)
{
    struct parser *p = r->parser;
    bool in_head = !r->headers_complete;
    size_t n = len, used;
    enum http_errno e;

    *capped = false;
    if (in_head) {
        size_t allowed = r->max_header - r->header_bytes;

        if (allowed == 0)
            return feed_error(r, OA_ETOOBIG, "the response's header block is too big", reterr,
                              errlen);
        /* (A length of 0 would tell http-parser the stream ended.) */
        if (n > allowed) {
            n = allowed;
            *capped = true;
        }
    }
    used = http_parser_execute(&p->hp, &p->settings, data, n);
    if (in_head)
        r->header_bytes += used;
    e = HTTP_PARSER_ERRNO(&p->hp);
    if (r->err)
        return feed_error(r, r->err, oa_strerror(r->err), reterr, errlen);
    if (e != HPE_OK && e != HPE_PAUSED)
        return feed_error(r, OA_EPROTO, http_errno_description(e), reterr, errlen);
    return (ssize_t)used;
}

ssize_t oa_http_response_feed(struct oa_http_response *r, const char *data, size_t len,
                              char *reterr, size_t errlen)
{
    size_t off = 0;
    bool capped;

    if (r->err)
        return feed_error(r, r->err, oa_strerror(r->err), reterr, errlen);
    if (r->complete || len == 0)
        return 0;
    if (!r->parser && !(r->parser = parser_new(r)))
        return -ENOMEM;
    /* Never hand the parser more than the header block may still hold; the
     * body (when it is read) goes on in a second round. */
    while (off < len && !r->complete) {
        ssize_t used = execute(r, data + off, len - off, &capped, reterr, errlen);

        if (used < 0)
            return used;
        off += (size_t)used;
        if (!r->headers_complete && capped)
            return feed_error(r, OA_ETOOBIG, "the response's header block is too big", reterr,
                              errlen);
        if (used == 0)
            break;
    }
    return (ssize_t)off;
}

int oa_http_response_finish(struct oa_http_response *r, char *reterr, size_t errlen)
{
    struct parser *p = r->parser;

    if (r->err)
        return (int)feed_error(r, r->err, oa_strerror(r->err), reterr, errlen);
    if (r->complete)
        return 0;
    /* A length of 0 tells http-parser the stream ended: a body read until
     * the end is complete now; anything else is cut short. */
    if (p && r->headers_complete) {
        http_parser_execute(&p->hp, &p->settings, NULL, 0);
        if (r->err)
            return (int)feed_error(r, r->err, oa_strerror(r->err), reterr, errlen);
        if (r->complete)
            return 0;
    }
    set_err(reterr, errlen,
            r->headers_complete ? "the connection closed before the end of the body"
                                : "the connection closed before the end of the header block");
    return OA_EPROTO;
}

/* Whether the comma-separated list holds token, compared without case. */
static bool has_token(const char *list, const char *token)
{
    size_t tlen = strlen(token);

    while (list && *list) {
        size_t len;

        list += strspn(list, ", \t");
        len = strcspn(list, ",");
        while (len > 0 && (list[len - 1] == ' ' || list[len - 1] == '\t'))
            len--;
        if (len == tlen && strncasecmp(list, token, len) == 0)
            return true;
        list += strcspn(list, ",");
    }
    return false;
}

void oa_http_response_reason(const struct oa_http_response *r, char *buf, size_t size)
{
    const struct parser *p = r->parser;
    size_t n = 0;

    if (p && p->reason.data)
        for (; n < p->reason.len && n + 1 < size; n++) {
            unsigned char c = (unsigned char)p->reason.data[n];
            buf[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
    buf[n] = '\0';
}

int oa_http_check_upgrade(const struct oa_http_response *r, const char *key, char *reterr,
                          size_t errlen)
{
    char want[OA_HTTP_WS_ACCEPT_LEN + 1], reason[64];

    if (!r->complete) {
        set_err(reterr, errlen, "the backend's answer to the upgrade is incomplete");
        return OA_EPROTO;
    }
    if (r->status != 101) {
        oa_http_response_reason(r, reason, sizeof(reason));
        if (reterr && errlen > 0)
            snprintf(reterr, errlen,
                     "the backend answered %d%s%s instead of 101 Switching Protocols", r->status,
                     reason[0] ? " " : "", reason);
        return OA_EPROTO;
    }
    if (!r->upgrade || strcasecmp(r->upgrade, "websocket") != 0) {
        set_err(reterr, errlen, "the backend's 101 lacks the header Upgrade: websocket");
        return OA_EPROTO;
    }
    if (!has_token(r->connection, "upgrade")) {
        set_err(reterr, errlen, "the backend's 101 lacks the header Connection: upgrade");
        return OA_EPROTO;
    }
    if (!r->accept) {
        set_err(reterr, errlen, "the backend's 101 lacks Sec-WebSocket-Accept");
        return OA_EPROTO;
    }
    if (oa_http_ws_accept(key, want) < 0 || strcmp(r->accept, want) != 0) {
        set_err(reterr, errlen, "the backend's Sec-WebSocket-Accept does not match our key");
        return OA_EPROTO;
    }
    return 0;
}
