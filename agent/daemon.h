/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The systemd side of the service (sd_notify through libsystemd): READY=1
 * once the loop runs, STATUS= whenever the Manager or the StatesWorker
 * changes state, WATCHDOG=1 from a loop timer at half of WatchdogSec (so a
 * stuck loop gets the agent restarted), STOPPING=1 when it stops. Without
 * $NOTIFY_SOCKET every call does nothing.
 */
#ifndef OA_DAEMON_H
#define OA_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct oa_daemon {
    uv_loop_t *loop;
    uv_timer_t ready;    /* fires once, when the loop runs */
    uv_timer_t watchdog; /* every half watchdog interval */
    bool notify;         /* $NOTIFY_SOCKET is set */
    char status[256];    /* the last STATUS= sent */
};

/* Starts the timers. Returns 0 (also without systemd). */
int oa_daemon_start(struct oa_daemon *d, uv_loop_t *loop);
/* Sends STATUS=text when it differs from the last one. */
void oa_daemon_status(struct oa_daemon *d, const char *text);
void oa_daemon_stopping(struct oa_daemon *d);
/* Closes the timers (asynchronously; the loop must run once more). */
void oa_daemon_close(struct oa_daemon *d);

#endif
