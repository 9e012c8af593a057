/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance's identity from the cloud, on the loop with the project's
 * HTTP client (never through a proxy):
 *   - instance id: a literal from the config is used as is; a URL is
 *     fetched; without a value, EC2's metadata (IMDSv2: PUT for a token,
 *     then GET with it; IMDSv1 when no token is given), then OpenStack's
 *     meta_data.json ("uuid");
 *   - user data: the configured URL (default the EC2 user-data URL; empty
 *     skips it), with the IMDSv2 token when it is the metadata host. A 404
 *     means "no user data", not an error.
 * The whole lookup is retried with a growing pause (1 s … 30 s) up to
 * get_retry times (0: until the instance id is known).
 */
#ifndef OA_CLOUD_H
#define OA_CLOUD_H

#include <stdint.h>
#include <uv.h>

#include "tls.h"

struct oa_cloud_params {
    const char *metadata; /* the metadata service's base URL (http://169.254.169.254) */
    const char
        *instance_id;     /* the config's value: NULL or "" (ask the cloud), a URL, or a literal */
    const char *userdata; /* the user-data URL; NULL or "" skips it */
    unsigned attempts;    /* 0: until the instance id is known */
    uint64_t timeout_ms;  /* of each request */
    struct oa_tls_config *tls; /* for https URLs; may be NULL */
};

struct oa_cloud_result {
    char *instance_id; /* NULL when it could not be learnt */
    char *userdata;    /* the user data, NULL when there is none */
    char *errors;      /* what went wrong, "; "-joined, or NULL */
};

/* Called once, from the loop; the callback owns res (oa_cloud_result_free). */
typedef void (*oa_cloud_cb)(void *ud, struct oa_cloud_result *res);

struct oa_cloud;

/* Returns 0 (cb follows) or -ENOMEM / -EINVAL with the reason in reterr. */
int oa_cloud_start(uv_loop_t *loop, const struct oa_cloud_params *p, oa_cloud_cb cb, void *ud,
                   struct oa_cloud **ret, char *reterr, size_t errlen);
/* Stops the lookup; cb is not called. Accepts NULL. */
void oa_cloud_cancel(struct oa_cloud *c);
void oa_cloud_result_free(struct oa_cloud_result *res);

#endif
