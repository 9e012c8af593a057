/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URLs (parsed with http-parser's http_parser_parse_url) and the proxy
 * rules: which URL goes through which proxy, honouring no_proxy.
 */
#ifndef OA_URL_H
#define OA_URL_H

#include <stdbool.h>
#include <stddef.h>

struct oa_url {
    char *scheme;   /* lower case: "ws", "wss", "http", "https" */
    char *host;     /* without brackets for IPv6 literals */
    int port;       /* explicit, or the scheme's default */
    char *path;     /* path and query, "/" when empty */
    char *userinfo; /* "user:pass" (percent-decoded) or NULL */
    bool tls;       /* wss or https */
};

/* Parses an absolute ws, wss, http or https URL. Returns 0 or OA_ESCHEMA
 * with the reason in reterr (-ENOMEM when out of memory); *ret is written
 * only on success. */
int oa_url_parse(const char *s, struct oa_url *ret, char *reterr, size_t errlen);
void oa_url_done(struct oa_url *u);

/* The longest URL oa_url_resolve builds. */
#define OA_URL_RESOLVE_MAX 8192

/* Resolves ref, a Location header (RFC 9110 §10.2.2), against base: an
 * absolute URL, scheme-relative ("//host/p"), absolute-path ("/p"), a query
 * ("?q", replacing base's) or relative ("p", against base's directory); the
 * fragment is dropped. Returns 0 with *ret as oa_url_parse fills it (any of
 * the four schemes: a caller that follows redirects checks it), OA_ESCHEMA
 * with the reason in reterr, OA_ETOOBIG (over OA_URL_RESOLVE_MAX bytes) or
 * -ENOMEM. */
int oa_url_resolve(const struct oa_url *base, const char *ref, struct oa_url *ret, char *reterr,
                   size_t errlen);

/* Whether host must be reached directly according to a no_proxy list
 * (comma-separated host names, ".suffix" or "suffix" domains, IP
 * addresses, "*"). 169.254.169.254 (cloud metadata) always is. */
bool oa_url_bypasses_proxy(const char *host, const char *no_proxy);

#endif
