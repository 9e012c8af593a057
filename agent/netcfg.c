/* SPDX-License-Identifier: Apache-2.0 */
/* The backend URL, the proxy choice, TLS, and the real transport. */
#include "netcfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "mem.h"

static int t_start(void *tud, const struct oa_conn_events *ev, void *ev_ud, void **ret_conn)
{
    struct oa_netcfg *n = tud;
    struct oa_conn *c;
    int r = oa_conn_start(n->loop, &n->params, ev, ev_ud, &c);

    if (r == 0)
        *ret_conn = c;
    return r;
}

static int64_t t_send_text(void *conn, const char *msg, size_t len)
{
    return oa_conn_send_text(conn, msg, len);
}

static int t_ping(void *conn)
{
    return oa_conn_ping(conn);
}

static void t_close(void *conn, uint16_t code, const char *reason)
{
    oa_conn_close(conn, code, reason);
}

static void t_abort(void *conn, int err, const char *why)
{
    oa_conn_abort(conn, err, why);
}

static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    return v && v[0] ? v : getenv(b);
}

/* The proxy for the backend: the config's, else the environment's for the
 * scheme, unless no_proxy exempts the host. Returns NULL for none. */
static const char *choose_proxy(const struct oa_cfg *cfg, const struct oa_url *url)
{
    const char *proxy = cfg->proxy;
    const char *no_proxy = env_first("no_proxy", "NO_PROXY");

    if (!proxy || !proxy[0])
        proxy = url->tls ? env_first("https_proxy", "HTTPS_PROXY")
                         : env_first("http_proxy", "HTTP_PROXY");
    if (!proxy || !proxy[0])
        return NULL;
    if (oa_url_bypasses_proxy(url->host, no_proxy))
        return NULL;
    return proxy;
}

static int setup_proxy(struct oa_netcfg *n, const struct oa_cfg *cfg, char *reterr, size_t errlen)
{
    const char *proxy = choose_proxy(cfg, &n->url);
    char why[256], shown[300];

    if (!proxy)
        return 0;
    /* The proxy URL may hold a password: it is never echoed. */
    if (oa_url_parse(proxy, &n->proxy, why, sizeof(why)) < 0) {
        snprintf(reterr, errlen, "proxy: expected an http://[user:pass@]host:port URL: %s", why);
        return OA_ESCHEMA;
    }
    if (n->proxy.tls) {
        oa_url_done(&n->proxy);
        snprintf(reterr, errlen, "proxy: expected an http:// URL (a TLS proxy is not supported)");
        return OA_ESCHEMA;
    }
    n->has_proxy = true;
    snprintf(shown, sizeof(shown), "%s:%d%s", n->proxy.host, n->proxy.port,
             n->proxy.userinfo ? " (with credentials)" : "");
    n->proxy_shown = oa_strdup(shown);
    oa_log(OA_LOG_INFO, "connecting through the proxy %s", shown);
    return n->proxy_shown ? 0 : -ENOMEM;
}

int oa_netcfg_init(struct oa_netcfg *n, uv_loop_t *loop, const struct oa_cfg *cfg,
                   struct oa_rng *rng, char *reterr, size_t errlen)
{
    char why[512];
    int r;

    memset(n, 0, sizeof(*n));
    n->loop = loop;
    if (oa_url_parse(cfg->ws_uri, &n->url, why, sizeof(why)) < 0 ||
        (strcmp(n->url.scheme, "ws") != 0 && strcmp(n->url.scheme, "wss") != 0)) {
        snprintf(reterr, errlen, "[userdata] ws_uri = '%s': %s", cfg->ws_uri,
                 n->url.scheme ? "expected a ws:// or wss:// URL" : why);
        return OA_ESCHEMA;
    }
    if ((r = setup_proxy(n, cfg, reterr, errlen)) < 0)
        return r;
    if (n->url.tls &&
        (r = oa_tls_config_new(rng, cfg->ca_file, cfg->insecure, &n->tls, why, sizeof(why))) < 0) {
        snprintf(reterr, errlen, "[network] ca_file: %s", why);
        return r;
    }
    n->params.url = &n->url;
    n->params.proxy = n->has_proxy ? &n->proxy : NULL;
    n->params.tls = n->tls;
    n->params.rng = rng;
    n->params.max_message = cfg->max_message;
    n->params.close_timeout_ms = cfg->connect_timeout_ms;
    n->transport = (struct oa_mgr_transport){t_start, t_send_text, t_ping, t_close, t_abort, n};
    return 0;
}

void oa_netcfg_done(struct oa_netcfg *n)
{
    oa_url_done(&n->url);
    if (n->has_proxy)
        oa_url_done(&n->proxy);
    oa_tls_config_free(n->tls);
    oa_free(n->proxy_shown);
    memset(n, 0, sizeof(*n));
}
