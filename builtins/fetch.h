/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Downloads for modules (linux.file remote_uri, common.archive, checksum
 * URLs), inside the child: the project's HTTP client (proto/httpc) on a
 * private loop, so certificates are verified (ca_file or the system bundle),
 * the agent's proxy is used, the size is bounded and one timeout covers the
 * whole download (modules.md §1.11: 600 s). Only http and https.
 */
#ifndef OA_FETCH_H
#define OA_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "builtins.h"

#define OA_FETCH_TIMEOUT_MS (600u * 1000)

struct oa_fetch_opts {
    const char *ca_file;  /* NULL: the system bundle */
    const char *proxy;    /* http:// proxy, or NULL */
    const char *no_proxy; /* or NULL */
    size_t max_bytes;
    uint64_t timeout_ms;
};

/* The options from the state's context, with max_bytes and the default
 * timeout. */
struct oa_fetch_opts oa_fetch_opts_for(const struct oa_run_ctx *ctx, size_t max_bytes);

/* The longest URL the messages of a download show in full. */
#define OA_FETCH_SHOWN_MAX 2048

/* url as the messages of a download show it (why below): the password of
 * its user info replaced with *** (as oa_common_sources_mask_url) and its
 * query, which may hold a signature, replaced with "?…":
 * "https://me:***@host/x?…". Cut to fit len. Returns buf. */
const char *oa_fetch_shown_url(const char *url, char *buf, size_t len);

/* Downloads url into out (its cap must allow max_bytes). Returns 0, or a
 * negative code with one line in why: "https://x/y: HTTP 404 Not Found",
 * "https://x/y: certificate verification failed: …", "ftp:// is not
 * supported", "timed out after 600 s". The URL in why is shown as
 * oa_fetch_shown_url shows it (with OA_FETCH_SHOWN_MAX bytes): never with
 * its password or query; the HTTP client's own messages drop the whole
 * user info and the query. */
int oa_fetch_buf(const char *url, const struct oa_fetch_opts *o, struct oa_buf *out, char *why,
                 size_t len);

/* Downloads url into the open file fd (written from its current offset).
 * Same returns. */
int oa_fetch_fd(const char *url, const struct oa_fetch_opts *o, int fd, char *why, size_t len);

#endif
