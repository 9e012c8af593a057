/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where and how the agent connects: the backend URL, the proxy (the
 * `proxy` key, else https_proxy / http_proxy from the environment, minus
 * no_proxy), the TLS configuration, and the real transport the Manager
 * drives (proto/conn behind struct oa_mgr_transport).
 */
#ifndef OA_NETCFG_H
#define OA_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "cfg.h"
#include "conn.h"
#include "mgr.h"
#include "rng.h"
#include "tls.h"
#include "url.h"

struct oa_netcfg {
    uv_loop_t *loop;
    struct oa_url url;
    struct oa_url proxy;
    bool has_proxy;
    struct oa_tls_config *tls; /* NULL for ws:// */
    struct oa_conn_params params;
    struct oa_mgr_transport transport;
    char *proxy_shown; /* the proxy without credentials, for logs */
};

/* Builds it from the config. Returns 0, or a negative code with one line in
 * reterr (an unparsable URL, an unreadable CA file): a config error. */
int oa_netcfg_init(struct oa_netcfg *n, uv_loop_t *loop, const struct oa_cfg *cfg,
                   struct oa_rng *rng, char *reterr, size_t errlen);
void oa_netcfg_done(struct oa_netcfg *n);

#endif
