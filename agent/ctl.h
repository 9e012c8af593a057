/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket (design.md, Files and defaults): a unix socket
 * `opsagent.sock`, mode 0600, in the runtime dir, through which
 * `opsagent status` and `opsagent stop` talk to the running agent, and the
 * lock that keeps a second agent off the same runtime dir.
 *
 * Protocol: the client sends one JSON object on one line —
 *   {"cmd":"status"}  or  {"cmd":"stop","mode":"now"|"wait"|"end"}
 * — and the agent answers with one JSON object on one line, then closes:
 *   {"ok":true, ...} or {"ok":false,"error":"..."}.
 * Requests are bounded (4 KiB); a client that sends nothing is dropped after
 * a few seconds.
 */
#ifndef OA_CTL_H
#define OA_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "buf.h"
#include "sw.h"

#define OA_CTL_SOCKET "opsagent.sock"
#define OA_CTL_LOCK "opsagent.lock"

/* What the server asks its owner. */
struct oa_ctl_ops {
    /* Appends the members of the status object (without braces), e.g.
     * "\"connection\":{...},\"worker\":{...}". Returns 0 or -ENOMEM. */
    int (*status)(void *ud, struct oa_buf *out);
    /* A stop was requested; the answer is sent before it takes effect. */
    void (*stop)(void *ud, enum oa_stop_mode mode);
};

/* Takes the runtime dir's lock (created 0700 if missing) with flock on an
 * open file, so the kernel releases it when the agent dies. Returns the
 * open file descriptor (keep it open while running) or a negative code with
 * the reason in reterr, e.g. "another opsagent is running with the runtime
 * dir /run/opsagent". */
int oa_ctl_lock(const char *runtime_dir, char *reterr, size_t errlen);

struct oa_ctl;

/* Listens on <runtime_dir>/opsagent.sock. A socket file left there is
 * stale (the caller holds the lock) and is replaced. ops is borrowed.
 * Returns 0 or a negative code with the reason in reterr. */
int oa_ctl_start(uv_loop_t *loop, const char *runtime_dir, const struct oa_ctl_ops *ops, void *ud,
                 struct oa_ctl **ret, char *reterr, size_t errlen);

/* Stops listening, closes the clients, removes the socket file, and frees
 * the server once its handles are closed. Accepts NULL. */
void oa_ctl_close(struct oa_ctl *ctl);

/* The client side (blocking; for the command line, never the agent's
 * loop): sends request, waits at most timeout_ms for the answer, appends it
 * to reply. Returns 0 or a negative code with the reason in reterr
 * ("no agent is running (nothing listens on /run/opsagent/opsagent.sock)"). */
int oa_ctl_request(const char *runtime_dir, const char *request, int timeout_ms,
                   struct oa_buf *reply, char *reterr, size_t errlen);

#endif
