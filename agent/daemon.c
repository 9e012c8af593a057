/* SPDX-License-Identifier: Apache-2.0 */
/* sd_notify: readiness, status, watchdog and stopping for systemd. */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"

static void notify(struct oa_daemon *d, const char *msg)
{
    int r;

    if (!d->notify)
        return;
    r = sd_notify(0, msg);
    if (r < 0)
        oa_debug("daemon: sd_notify(%s): %s", msg, strerror(-r));
}

static void on_ready(uv_timer_t *t)
{
    struct oa_daemon *d = t->data;
    notify(d, "READY=1");
}

static void on_watchdog(uv_timer_t *t)
{
    notify(t->data, "WATCHDOG=1");
}

int oa_daemon_start(struct oa_daemon *d, uv_loop_t *loop)
{
    uint64_t usec = 0;

    memset(d, 0, sizeof(*d));
    d->loop = loop;
    d->notify = getenv("NOTIFY_SOCKET") != NULL;
    uv_timer_init(loop, &d->ready);
    uv_timer_init(loop, &d->watchdog);
    d->ready.data = d->watchdog.data = d;
    if (!d->notify)
        return 0;
    uv_timer_start(&d->ready, on_ready, 0, 0);
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
        uint64_t half_ms = usec / 2000;
        oa_debug("daemon: watchdog every %llu ms", (unsigned long long)half_ms);
        uv_timer_start(&d->watchdog, on_watchdog, half_ms, half_ms);
    }
    return 0;
}

void oa_daemon_status(struct oa_daemon *d, const char *text)
{
    char msg[sizeof(d->status) + 8];

    if (!d->notify || strcmp(text, d->status) == 0)
        return;
    snprintf(d->status, sizeof(d->status), "%s", text);
    snprintf(msg, sizeof(msg), "STATUS=%s", d->status);
    notify(d, msg);
}

void oa_daemon_stopping(struct oa_daemon *d)
{
    notify(d, "STOPPING=1");
}

void oa_daemon_close(struct oa_daemon *d)
{
    if (!uv_is_closing((uv_handle_t *)&d->ready)) {
        uv_close((uv_handle_t *)&d->ready, NULL);
        uv_close((uv_handle_t *)&d->watchdog, NULL);
    }
}
