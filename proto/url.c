/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URL parsing on http-parser's http_parser_parse_url, restricted to the four
 * schemes the agent speaks (ws, wss, http, https), and the no_proxy rules.
 * This module owns the strings of a struct oa_url; it resolves nothing and
 * opens nothing: it only looks at text.
 */
#include "url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "mem.h"

/* The metadata service of every major cloud; never reached through a proxy. */
#define METADATA_HOST "169.254.169.254"

struct scheme {
    const char *name;
    int port;
    bool tls;
};

static const struct scheme schemes[] = {
    {"ws", 80, false},
    {"wss", 443, true},
    {"http", 80, false},
    {"https", 443, true},
};

static void set_err(char *reterr, size_t errlen, const char *msg)
{
    if (reterr && errlen > 0)
        snprintf(reterr, errlen, "%s", msg);
}

static const struct scheme *find_scheme(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (strlen(schemes[i].name) == len && strncasecmp(schemes[i].name, s, len) == 0)
            return &schemes[i];
    return NULL;
}

static bool has_field(const struct http_parser_url *u, int f)
{
    return (u->field_set & (1u << f)) && u->field_data[f].len > 0;
}

/* http_parser_parse_url says only "no"; point at the likely part. */
static const char *failure_reason(const char *s, const struct http_parser_url *u)
{
    const char *after;

    if (!has_field(u, UF_SCHEMA) ||
        strncmp(s + u->field_data[UF_SCHEMA].off + u->field_data[UF_SCHEMA].len, "://", 3) != 0)
        return "not an absolute URL";
    if (!has_field(u, UF_HOST))
        return "no host";
    after = s + u->field_data[UF_HOST].off + u->field_data[UF_HOST].len;
    if (*after == ']')
        after++;
    if (*after == ':')
        return "bad port";
    return "not a valid URL";
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes len bytes of s into a new string; NULL with *bad set when
 * an escape is malformed or decodes to NUL. */
static char *percent_decode(const char *s, size_t len, bool *bad)
{
    char *d = oa_malloc(len + 1);
    size_t j = 0;

    *bad = false;
    if (!d)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;

        if (s[i] != '%') {
            d[j++] = s[i];
            continue;
        }
        hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
        lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo < 0 || (hi == 0 && lo == 0)) {
            *bad = true;
            oa_free(d);
            return NULL;
        }
        d[j++] = (char)(hi << 4 | lo);
        i += 2;
    }
    d[j] = '\0';
    return d;
}

static char *field_dup(const char *s, const struct http_parser_url *u, int f)
{
    return oa_strndup(s + u->field_data[f].off, u->field_data[f].len);
}

/* Path and query as sent in the request line; "/" when both are empty. */
static char *path_dup(const char *s, const struct http_parser_url *u)
{
    const char *path = has_field(u, UF_PATH) ? s + u->field_data[UF_PATH].off : "/";
    size_t plen = has_field(u, UF_PATH) ? u->field_data[UF_PATH].len : 1;
    size_t qlen = has_field(u, UF_QUERY) ? u->field_data[UF_QUERY].len : 0;
    char *d = oa_malloc(plen + (qlen ? qlen + 1 : 0) + 1);

    if (!d)
        return NULL;
    memcpy(d, path, plen);
    if (qlen) {
        d[plen] = '?';
        memcpy(d + plen + 1, s + u->field_data[UF_QUERY].off, qlen);
        plen += qlen + 1;
    }
    d[plen] = '\0';
    return d;
}

/* Fills everything but the scheme-dependent fields; returns 0, -ENOMEM or
 * OA_ESCHEMA (bad user info). */
static int fill(const char *s, const struct http_parser_url *u, struct oa_url *url, char *reterr,
                size_t errlen)
{
    bool bad = false;

    url->host = field_dup(s, u, UF_HOST);
    url->path = path_dup(s, u);
    if (!url->host || !url->path)
        return -ENOMEM;
    if (has_field(u, UF_USERINFO)) {
        url->userinfo = percent_decode(s + u->field_data[UF_USERINFO].off,
                                       u->field_data[UF_USERINFO].len, &bad);
        if (bad) {
            set_err(reterr, errlen, "bad percent-encoding in the user info");
            return OA_ESCHEMA;
        }
        if (!url->userinfo)
            return -ENOMEM;
    }
    return 0;
}

static int check_parts(const char *s, const struct http_parser_url *u, const struct scheme **ret,
                       char *reterr, size_t errlen)
{
    const struct scheme *sc;

    if (!has_field(u, UF_SCHEMA)) {
        set_err(reterr, errlen, "not an absolute URL");
        return OA_ESCHEMA;
    }
    sc = find_scheme(s + u->field_data[UF_SCHEMA].off, u->field_data[UF_SCHEMA].len);
    if (!sc) {
        set_err(reterr, errlen, "unsupported scheme (expected ws, wss, http or https)");
        return OA_ESCHEMA;
    }
    if (!has_field(u, UF_HOST)) {
        set_err(reterr, errlen, "no host");
        return OA_ESCHEMA;
    }
    if ((u->field_set & (1u << UF_PORT)) && u->port == 0) {
        set_err(reterr, errlen, "bad port");
        return OA_ESCHEMA;
    }
    *ret = sc;
    return 0;
}

int oa_url_parse(const char *s, struct oa_url *ret, char *reterr, size_t errlen)
{
    struct http_parser_url u;
    const struct scheme *sc = NULL;
    struct oa_url url = {0};
    int r;

    http_parser_url_init(&u);
    if (http_parser_parse_url(s, strlen(s), 0, &u) != 0) {
        set_err(reterr, errlen, failure_reason(s, &u));
        return OA_ESCHEMA;
    }
    r = check_parts(s, &u, &sc, reterr, errlen);
    if (r < 0)
        return r;
    url.scheme = oa_strdup(sc->name);
    url.port = (u.field_set & (1u << UF_PORT)) ? u.port : sc->port;
    url.tls = sc->tls;
    r = url.scheme ? fill(s, &u, &url, reterr, errlen) : -ENOMEM;
    if (r < 0) {
        if (r == -ENOMEM)
            set_err(reterr, errlen, "out of memory");
        oa_url_done(&url);
        return r;
    }
    *ret = url;
    return 0;
}

void oa_url_done(struct oa_url *u)
{
    if (!u)
        return;
    oa_free(u->scheme);
    oa_free(u->host);
    oa_free(u->path);
    if (u->userinfo) {
        /* It holds a password. */
        explicit_bzero(u->userinfo, strlen(u->userinfo));
        oa_free(u->userinfo);
    }
    *u = (struct oa_url){0};
}

/* The base's directory is its path up to the last '/' before the query. */
int oa_url_resolve(const struct oa_url *base, const char *ref, struct oa_url *ret, char *reterr,
                   size_t errlen)
{
    size_t rlen = strcspn(ref, "#"), dir = strcspn(base->path, "?");
    bool v6 = strchr(base->host, ':') != NULL;
    struct oa_buf b;
    int r;

    /* "?q" replaces the query only; anything else the last segment. */
    while (ref[0] != '?' && dir > 0 && base->path[dir - 1] != '/')
        dir--;
    oa_buf_init(&b, OA_URL_RESOLVE_MAX);
    if (strcspn(ref, ":/?#") < rlen && ref[strcspn(ref, ":/?#")] == ':')
        r = oa_buf_printf(&b, "%.*s", (int)rlen, ref);
    else if (ref[0] == '/' && ref[1] == '/')
        r = oa_buf_printf(&b, "%s:%.*s", base->scheme, (int)rlen, ref);
    else
        r = oa_buf_printf(&b, "%s://%s%s%s:%d%.*s%.*s", base->scheme, v6 ? "[" : "", base->host,
                          v6 ? "]" : "", base->port, ref[0] == '/' ? 0 : (int)dir, base->path,
                          (int)rlen, ref);
    if (r == 0)
        r = oa_url_parse(b.data, ret, reterr, errlen);
    else
        set_err(reterr, errlen, oa_strerror(r));
    oa_buf_done(&b);
    return r;
}

/* A host or no_proxy entry reduced to what is compared: without brackets,
 * without a trailing dot. Writes at most size - 1 bytes; false when it does
 * not fit (such a name matches nothing). */
static bool normalize(const char *s, size_t len, char *buf, size_t size)
{
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s++;
        len -= 2;
    }
    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 0 || len >= size)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

/* Drops a ":port" from an entry: "[v6]:port", "host:port" (one colon only;
 * a bare IPv6 address has several). */
static size_t strip_port(const char *e, size_t len)
{
    const char *colon = memchr(e, ':', len);

    if (len > 0 && e[0] == '[') {
        const char *close = memchr(e, ']', len);
        return close ? (size_t)(close - e) + 1 : len;
    }
    if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - e) - 1))
        return (size_t)(colon - e);
    return len;
}

/* Same address when both are IP literals; AF_UNSPEC when s is not one. */
static int ip_parse(const char *s, unsigned char addr[16])
{
    if (inet_pton(AF_INET, s, addr) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, addr) == 1)
        return AF_INET6;
    return AF_UNSPEC;
}

static bool entry_matches(const char *host, const char *entry, size_t len)
{
    char want[256];
    unsigned char ha[16], ea[16];
    int hf, ef;
    size_t hl, wl;

    if (len == 1 && entry[0] == '*')
        return true;
    len = strip_port(entry, len);
    /* "*.example.com" and ".example.com" both mean the domain. */
    if (len >= 2 && entry[0] == '*' && entry[1] == '.')
        entry++, len--;
    if (len > 0 && entry[0] == '.')
        entry++, len--;
    if (!normalize(entry, len, want, sizeof(want)))
        return false;
    hf = ip_parse(host, ha);
    ef = ip_parse(want, ea);
    if (hf != AF_UNSPEC || ef != AF_UNSPEC)
        return hf == ef && memcmp(ha, ea, hf == AF_INET ? 4 : 16) == 0;
    hl = strlen(host);
    wl = strlen(want);
    if (hl == wl)
        return strcasecmp(host, want) == 0;
    return hl > wl && host[hl - wl - 1] == '.' && strcasecmp(host + hl - wl, want) == 0;
}

bool oa_url_bypasses_proxy(const char *host, const char *no_proxy)
{
    char h[256];
    const char *p;

    if (!host || !normalize(host, strlen(host), h, sizeof(h)))
        return false;
    if (strcmp(h, METADATA_HOST) == 0)
        return true;
    for (p = no_proxy; p && *p;) {
        size_t len;

        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len > 0 && entry_matches(h, p, len))
            return true;
        p += len;
    }
    return false;
}
