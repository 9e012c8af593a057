/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance id from a metadata URL (design.md, [network] instance_id: "a
 * URL (metadata) or a literal id"), fetched on the loop with the project's
 * HTTP client: GET the URL, take the body as the id, retry with a growing
 * pause (1 s, 2 s, … 30 s) up to get_retry attempts (0: until it works).
 * The cloud metadata service is never reached through a proxy.
 */
#ifndef OA_CLOUDID_H
#define OA_CLOUDID_H

#include <stdint.h>
#include <uv.h>

#include "tls.h"

/* err 0 with the id, or the last error with one line saying why. The
 * strings are valid during the call only. */
typedef void (*oa_cloudid_cb)(void *ud, int err, const char *instance_id, const char *why);

struct oa_cloudid_params {
    const char *url;
    unsigned attempts;         /* 0: until it works */
    uint64_t timeout_ms;       /* of each attempt */
    struct oa_tls_config *tls; /* for an https URL; may be NULL otherwise */
};

struct oa_cloudid;

/* Returns 0 (cb follows, from the loop) or a negative code with the reason in
 * reterr (a URL that does not parse, out of memory). */
int oa_cloudid_start(uv_loop_t *loop, const struct oa_cloudid_params *p, oa_cloudid_cb cb, void *ud,
                     struct oa_cloudid **ret, char *reterr, size_t errlen);
/* Stops the lookup; cb is not called. Frees it once its handles are closed. */
void oa_cloudid_cancel(struct oa_cloudid *c);

#endif
