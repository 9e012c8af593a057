/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What `opsagent status` reports: the JSON the agent builds from its two
 * state machines (served on the control socket), and the text the command
 * line prints from it.
 */
#ifndef OA_STATUS_H
#define OA_STATUS_H

#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "sw.h"

struct oa_status_conn {
    const char *state;  /* the Manager's state */
    const char *target; /* ws_uri */
    size_t pending;     /* StateLogs queued */
};

/* Appends the status members (no braces): "agent", "connection", "worker".
 * Returns 0 or -ENOMEM. */
int oa_status_encode(const struct oa_status_conn *conn, const struct oa_sw_status *w,
                     time_t started, pid_t pid, struct oa_buf *out);

/* Prints the status reply (the object the agent sent) for people. Returns 0,
 * or OA_ESCHEMA when it is not a status. */
int oa_status_print(const struct oa_json *reply, FILE *out);

#endif
