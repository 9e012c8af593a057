/* SPDX-License-Identifier: Apache-2.0 */
/* Blocking downloads for modules, on a private loop with proto/httpc. */
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common_sources.h"
#include "err.h"
#include "httpc.h"
#include "rng.h"
#include "tls.h"
#include "url.h"

struct job {
    struct oa_buf *out; /* or */
    int fd;
    int err;
    int status;
    char *why;
    size_t whylen;
    char shown[OA_FETCH_SHOWN_MAX]; /* the URL for messages (oa_fetch_shown_url) */
};

struct oa_fetch_opts oa_fetch_opts_for(const struct oa_run_ctx *ctx, size_t max_bytes)
{
    struct oa_fetch_opts o = {ctx->ca_file, ctx->proxy, ctx->no_proxy, max_bytes,
                              OA_FETCH_TIMEOUT_MS};
    return o;
}

static int on_body(void *ud, const char *chunk, size_t len)
{
    struct job *j = ud;

    while (len > 0) {
        ssize_t n = write(j->fd, chunk, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        chunk += n;
        len -= (size_t)n;
    }
    return 0;
}

static void on_done(void *ud, int err, int status, const char *body, size_t len, const char *why)
{
    struct job *j = ud;

    j->err = err;
    j->status = status;
    if (err == 0 && (status < 200 || status > 299)) {
        j->err = -EIO;
        snprintf(j->why, j->whylen, "%s: %s", j->shown, why);
    } else if (err < 0) {
        snprintf(j->why, j->whylen, "%s", why);
    } else if (j->out && oa_buf_append(j->out, body, len) < 0) {
        j->err = OA_ETOOBIG;
        snprintf(j->why, j->whylen, "%s: the body is too big", j->shown);
    }
}

static int run(const char *url_text, const struct oa_fetch_opts *o, struct job *j)
{
    struct oa_url url, proxy;
    struct oa_tls_config *tls = NULL;
    struct oa_rng *rng = NULL;
    struct oa_httpc *h;
    uv_loop_t loop;
    char why[512];
    bool has_proxy = false;
    int r;

    /* A password in the URL never reaches a message: they end up in
     * comments, which the agent logs and sends to the backend. */
    oa_fetch_shown_url(url_text, j->shown, sizeof(j->shown));
    if (strncmp(url_text, "ftp://", 6) == 0) {
        snprintf(j->why, j->whylen, "%s: ftp:// is not supported; use http or https", j->shown);
        return -EPROTONOSUPPORT;
    }
    if (oa_url_parse(url_text, &url, why, sizeof(why)) < 0) {
        snprintf(j->why, j->whylen, "'%s' is not an http or https URL: %s", j->shown, why);
        return -EINVAL;
    }
    if (strcmp(url.scheme, "http") != 0 && strcmp(url.scheme, "https") != 0) {
        snprintf(j->why, j->whylen, "'%s' is not an http or https URL", j->shown);
        oa_url_done(&url);
        return -EINVAL;
    }
    r = o->proxy ? oa_url_parse(o->proxy, &proxy, why, sizeof(why)) : 0;
    has_proxy = o->proxy && r == 0;
    if (r == 0 && url.tls && (r = oa_rng_new(&rng)) == 0)
        r = oa_tls_config_new(rng, o->ca_file, false, &tls, why, sizeof(why));
    if (r < 0)
        snprintf(j->why, j->whylen, "%s: %s", j->shown, why);
    if (r == 0 && (r = uv_loop_init(&loop)) == 0) {
        struct oa_httpc_request req = {
            .method = "GET",
            .url = &url,
            .proxy = has_proxy ? &proxy : NULL,
            .no_proxy = o->no_proxy,
            .tls = tls,
            .max_body = o->max_bytes,
            .timeout_ms = o->timeout_ms,
            .max_redirects = 5,
            .on_body = j->fd >= 0 ? on_body : NULL,
        };
        r = oa_httpc_start(&loop, &req, on_done, j, &h);
        if (r == 0) {
            uv_run(&loop, UV_RUN_DEFAULT);
            r = j->err;
        } else {
            snprintf(j->why, j->whylen, "%s: cannot start the download", j->shown);
        }
        uv_loop_close(&loop);
    }
    oa_tls_config_free(tls);
    oa_rng_free(rng);
    oa_url_done(&url);
    if (has_proxy)
        oa_url_done(&proxy);
    return r;
}

const char *oa_fetch_shown_url(const char *url, char *buf, size_t len)
{
    static const char cut[] = "?…";
    char *q;

    oa_common_sources_mask_url(url, buf, len);
    /* The query may hold a signature or a token (a pre-signed URL): only
     * its start is shown. A user info never holds a raw '?'. */
    q = strchr(buf, '?');
    if (q && (size_t)(q - buf) + sizeof(cut) <= len)
        memcpy(q, cut, sizeof(cut));
    else if (q)
        *q = '\0';
    return buf;
}

int oa_fetch_buf(const char *url, const struct oa_fetch_opts *o, struct oa_buf *out, char *why,
                 size_t len)
{
    struct job j = {.out = out, .fd = -1, .why = why, .whylen = len};
    return run(url, o, &j);
}

int oa_fetch_fd(const char *url, const struct oa_fetch_opts *o, int fd, char *why, size_t len)
{
    struct job j = {.fd = fd, .why = why, .whylen = len};
    return run(url, o, &j);
}
