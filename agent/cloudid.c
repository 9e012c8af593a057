/* SPDX-License-Identifier: Apache-2.0 */
/* The instance id from a metadata URL, with retries, on the loop. */
#include "cloudid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "httpc.h"
#include "log.h"
#include "mem.h"
#include "url.h"

#define MAX_ID 255

struct oa_cloudid {
    uv_loop_t *loop;
    struct oa_url url;
    struct oa_cloudid_params p;
    oa_cloudid_cb cb;
    void *ud;
    struct oa_httpc *req;
    uv_timer_t timer;
    unsigned tries;
    bool cancelled;
};

static void on_timer_closed(uv_handle_t *h)
{
    struct oa_cloudid *c = h->data;

    oa_url_done(&c->url);
    oa_free(c);
}

static void finish(struct oa_cloudid *c, int err, const char *id, const char *why)
{
    c->cb(c->ud, err, id, why);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

/* A usable id: one line of printable ASCII. */
static bool valid_id(const char *s, size_t len)
{
    if (len == 0 || len > MAX_ID)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return false;
    return true;
}

static void attempt(struct oa_cloudid *c);

static void on_timer(uv_timer_t *t)
{
    attempt(t->data);
}

static void on_answer(void *ud, int err, int status, const char *body, size_t len, const char *why)
{
    struct oa_cloudid *c = ud;
    char text[320];
    uint64_t pause;

    c->req = NULL;
    while (body && len > 0 &&
           (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    if (err == 0 && status == 200 && valid_id(body, len)) {
        char id[MAX_ID + 1];
        memcpy(id, body, len);
        id[len] = '\0';
        finish(c, 0, id, NULL);
        return;
    }
    if (err == 0)
        snprintf(text, sizeof(text), "instance_id from %s: %s", c->p.url,
                 status == 200 ? "the answer is not an instance id" : why);
    else
        snprintf(text, sizeof(text), "instance_id from %s: %s", c->p.url, why);
    if (c->p.attempts && c->tries >= c->p.attempts) {
        finish(c, err ? err : -EINVAL, NULL, text);
        return;
    }
    pause = c->tries < 5 ? 1000ULL << c->tries : 30000;
    oa_log(OA_LOG_WARNING, "%s; trying again in %llu s", text, (unsigned long long)pause / 1000);
    uv_timer_start(&c->timer, on_timer, pause, 0);
}

static void attempt(struct oa_cloudid *c)
{
    struct oa_httpc_request req = {
        .method = "GET",
        .url = &c->url,
        .tls = c->p.tls,
        .max_body = 4096,
        .timeout_ms = c->p.timeout_ms,
        .max_redirects = 2,
    };
    char why[256];

    c->tries++;
    if (oa_httpc_start(c->loop, &req, on_answer, c, &c->req) < 0) {
        snprintf(why, sizeof(why), "instance_id from %s: cannot start the request", c->p.url);
        finish(c, -ENOMEM, NULL, why);
    }
}

int oa_cloudid_start(uv_loop_t *loop, const struct oa_cloudid_params *p, oa_cloudid_cb cb, void *ud,
                     struct oa_cloudid **ret, char *reterr, size_t errlen)
{
    struct oa_cloudid *c = oa_calloc(1, sizeof(*c));
    char why[256];

    if (!c)
        return -ENOMEM;
    if (oa_url_parse(p->url, &c->url, why, sizeof(why)) < 0 ||
        (strcmp(c->url.scheme, "http") != 0 && strcmp(c->url.scheme, "https") != 0)) {
        snprintf(reterr, errlen, "instance_id = '%s': not an http(s) URL", p->url);
        if (c->url.scheme)
            oa_url_done(&c->url);
        oa_free(c);
        return -EINVAL;
    }
    c->loop = loop;
    c->p = *p;
    c->cb = cb;
    c->ud = ud;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    *ret = c;
    attempt(c);
    return 0;
}

void oa_cloudid_cancel(struct oa_cloudid *c)
{
    if (!c || c->cancelled)
        return;
    c->cancelled = true;
    if (c->req)
        oa_httpc_cancel(c->req);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
