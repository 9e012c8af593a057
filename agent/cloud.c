/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cloud identity lookup: a short sequence of HTTP requests, one at a time,
 * driven by a step enum. Each answer decides the next step; a failed
 * instance id ends the attempt, which is retried after a pause.
 */
#include "cloud.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "httpc.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "url.h"

#define MAX_ID 255
#define MAX_USERDATA (64u << 10)

enum step {
    STEP_TOKEN,    /* PUT /latest/api/token (IMDSv2) */
    STEP_ID_URL,   /* GET the configured instance_id URL */
    STEP_ID_EC2,   /* GET /latest/meta-data/instance-id */
    STEP_ID_OS,    /* GET /openstack/latest/meta_data.json */
    STEP_USERDATA, /* GET the user data */
    STEP_DONE,
};

struct oa_cloud {
    uv_loop_t *loop;
    char *metadata, *instance_id, *userdata_url;
    struct oa_cloud_params p;
    oa_cloud_cb cb;
    void *ud;
    struct oa_httpc *req;
    uv_timer_t timer;
    enum step step;
    unsigned tries;
    char *token;      /* IMDSv2, or NULL */
    char *found_id;   /* this attempt's instance id */
    char *found_data; /* this attempt's user data */
    struct oa_buf errors;
    bool cancelled;
};

static void attempt(struct oa_cloud *c);
static void next(struct oa_cloud *c);

void oa_cloud_result_free(struct oa_cloud_result *res)
{
    if (!res)
        return;
    oa_free(res->instance_id);
    oa_free(res->userdata);
    oa_free(res->errors);
    oa_free(res);
}

static void free_cloud(struct oa_cloud *c)
{
    oa_free(c->metadata);
    oa_free(c->instance_id);
    oa_free(c->userdata_url);
    oa_free(c->token);
    oa_free(c->found_id);
    oa_free(c->found_data);
    oa_buf_done(&c->errors);
    oa_free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    free_cloud(h->data);
}

static void note_error(struct oa_cloud *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note_error(struct oa_cloud *c, const char *fmt, ...)
{
    char text[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (c->errors.len)
        (void)oa_buf_puts(&c->errors, "; ");
    (void)oa_buf_puts(&c->errors, text);
}

static void finish(struct oa_cloud *c)
{
    struct oa_cloud_result *res = oa_calloc(1, sizeof(*res));

    if (res) {
        res->instance_id = c->found_id;
        res->userdata = c->found_data;
        res->errors = c->errors.len ? oa_buf_steal(&c->errors, NULL) : NULL;
        c->found_id = c->found_data = NULL;
    }
    c->cb(c->ud, res);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static bool literal_id(const char *s)
{
    return s && s[0] && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0;
}

/* One line of printable ASCII. */
static bool valid_id(const char *s, size_t len)
{
    if (len == 0 || len > MAX_ID)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return false;
    return true;
}

static char *take_id(const char *body, size_t len)
{
    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    return valid_id(body, len) ? oa_strndup(body, len) : NULL;
}

/* OpenStack's meta_data.json: {"uuid": "...", ...}. */
static char *openstack_uuid(const char *body, size_t len)
{
    struct oa_json *root;
    const struct oa_json *uuid;
    char *id = NULL;

    if (oa_json_parse(body, len, NULL, &root, NULL, 0) < 0)
        return NULL;
    uuid = oa_json_get(root, "uuid");
    if (uuid && uuid->type == OA_JSON_STRING && valid_id(uuid->u.str, uuid->len))
        id = oa_strndup(uuid->u.str, uuid->len);
    oa_json_free(root);
    return id;
}

/* Where the lookup goes once the IMDSv2 token was asked for. */
static enum step after_token(const struct oa_cloud *c)
{
    if (literal_id(c->p.instance_id))
        return STEP_USERDATA;
    return c->instance_id ? STEP_ID_URL : STEP_ID_EC2;
}

static void on_answer(void *ud, int err, int status, const char *body, size_t len, const char *why)
{
    struct oa_cloud *c = ud;
    bool ok = err == 0 && status == 200;

    c->req = NULL;
    switch (c->step) {
    case STEP_TOKEN:
        /* No token: IMDSv1, or not EC2 at all. */
        if (ok && len > 0 && len < 256)
            c->token = oa_strndup(body, len);
        c->step = after_token(c);
        break;
    case STEP_ID_URL:
    case STEP_ID_EC2:
        if (ok && (c->found_id = take_id(body, len))) {
            c->step = STEP_USERDATA;
        } else if (c->step == STEP_ID_EC2) {
            c->step = STEP_ID_OS; /* not EC2: perhaps OpenStack */
        } else {
            note_error(c, "instance_id from %s: %s", c->instance_id,
                       ok ? "the answer is not an instance id" : why);
            c->step = STEP_USERDATA;
        }
        break;
    case STEP_ID_OS:
        if (ok && (c->found_id = openstack_uuid(body, len)))
            c->step = STEP_USERDATA;
        else {
            note_error(c, "instance_id: neither EC2 nor OpenStack metadata answered at %s (%s)",
                       c->metadata, why);
            c->step = STEP_USERDATA;
        }
        break;
    case STEP_USERDATA:
        if (ok)
            c->found_data = oa_strndup(body, len);
        else if (!(err == 0 && status == 404)) {
            note_error(c, "user data from %s: %s", c->userdata_url, why);
        }
        c->step = STEP_DONE;
        break;
    case STEP_DONE:
        break;
    }
    next(c);
}

static int request(struct oa_cloud *c, const char *method, const char *url_text, bool metadata)
{
    char token_header[300];
    const char *headers[2] = {NULL, NULL};
    struct oa_url url;
    char why[256];
    int r;

    if (oa_url_parse(url_text, &url, why, sizeof(why)) < 0) {
        note_error(c, "%s: %s", url_text, why);
        return -EINVAL;
    }
    if (c->step == STEP_TOKEN)
        headers[0] = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
    else if (metadata && c->token) {
        snprintf(token_header, sizeof(token_header), "X-aws-ec2-metadata-token: %s", c->token);
        headers[0] = token_header;
    }
    struct oa_httpc_request req = {
        .method = method,
        .url = &url,
        .headers = headers,
        .tls = c->p.tls,
        .max_body = MAX_USERDATA,
        .timeout_ms = c->p.timeout_ms,
        .max_redirects = 2,
    };
    r = oa_httpc_start(c->loop, &req, on_answer, c, &c->req);
    oa_url_done(&url);
    if (r < 0)
        note_error(c, "%s: cannot start the request", url_text);
    return r;
}

static bool on_metadata_host(const struct oa_cloud *c, const char *url)
{
    size_t n = strlen(c->metadata);
    return strncmp(url, c->metadata, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

static void on_pause_over(uv_timer_t *t)
{
    attempt(t->data);
}

static void retry_or_finish(struct oa_cloud *c)
{
    bool id_missing = !literal_id(c->p.instance_id) && !c->found_id;
    uint64_t pause;

    /* Only a missing instance id is worth waiting for: a host outside a
     * cloud has no user data to give, and its failure is reported. */
    if (!id_missing || (c->p.attempts && c->tries >= c->p.attempts)) {
        finish(c);
        return;
    }
    pause = c->tries < 5 ? 1000ULL << c->tries : 30000;
    oa_log(OA_LOG_WARNING, "cloud metadata: %s; trying again in %llu s",
           c->errors.len ? c->errors.data : "no answer", (unsigned long long)pause / 1000);
    uv_timer_start(&c->timer, on_pause_over, pause, 0);
}

/* Starts the request of the current step, skipping steps that do not apply. */
static void next(struct oa_cloud *c)
{
    char url[1024];
    int r = -1;

    while (r < 0 && c->step != STEP_DONE) {
        switch (c->step) {
        case STEP_TOKEN:
            snprintf(url, sizeof(url), "%s/latest/api/token", c->metadata);
            if ((r = request(c, "PUT", url, true)) < 0)
                c->step = after_token(c);
            continue;
        case STEP_ID_URL:
            r = request(c, "GET", c->instance_id, on_metadata_host(c, c->instance_id));
            break;
        case STEP_ID_EC2:
            snprintf(url, sizeof(url), "%s/latest/meta-data/instance-id", c->metadata);
            r = request(c, "GET", url, true);
            break;
        case STEP_ID_OS:
            snprintf(url, sizeof(url), "%s/openstack/latest/meta_data.json", c->metadata);
            r = request(c, "GET", url, true);
            break;
        case STEP_USERDATA:
            if (!c->userdata_url) {
                c->step = STEP_DONE;
                continue;
            }
            r = request(c, "GET", c->userdata_url, on_metadata_host(c, c->userdata_url));
            break;
        case STEP_DONE:
            break;
        }
        if (r < 0)
            c->step = c->step == STEP_USERDATA ? STEP_DONE : STEP_USERDATA;
    }
    if (c->step == STEP_DONE)
        retry_or_finish(c);
}

/* One attempt: forget the last one's results and start from the token. */
static void attempt(struct oa_cloud *c)
{
    c->tries++;
    oa_free(c->token);
    oa_free(c->found_id);
    oa_free(c->found_data);
    c->token = c->found_id = c->found_data = NULL;
    oa_buf_reset(&c->errors);
    /* The token only matters for the metadata host. */
    bool metadata_used =
        !literal_id(c->p.instance_id) && (!c->instance_id || on_metadata_host(c, c->instance_id));
    metadata_used = metadata_used || (c->userdata_url && on_metadata_host(c, c->userdata_url));
    c->step = metadata_used ? STEP_TOKEN : after_token(c);
    next(c);
}

int oa_cloud_start(uv_loop_t *loop, const struct oa_cloud_params *p, oa_cloud_cb cb, void *ud,
                   struct oa_cloud **ret, char *reterr, size_t errlen)
{
    struct oa_cloud *c = oa_calloc(1, sizeof(*c));

    if (!c)
        return -ENOMEM;
    c->metadata = oa_strdup(p->metadata ? p->metadata : "http://169.254.169.254");
    if (p->instance_id && p->instance_id[0] && !literal_id(p->instance_id))
        c->instance_id = oa_strdup(p->instance_id);
    if (p->userdata && p->userdata[0])
        c->userdata_url = oa_strdup(p->userdata);
    if (!c->metadata ||
        (p->instance_id && !literal_id(p->instance_id) && p->instance_id[0] && !c->instance_id)) {
        snprintf(reterr, errlen, "out of memory");
        free_cloud(c);
        return -ENOMEM;
    }
    /* A trailing '/' would double in the paths built from it. */
    size_t n = strlen(c->metadata);
    while (n > 0 && c->metadata[n - 1] == '/')
        c->metadata[--n] = '\0';
    c->loop = loop;
    c->p = *p;
    c->cb = cb;
    c->ud = ud;
    oa_buf_init(&c->errors, 4096);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    *ret = c;
    attempt(c);
    return 0;
}

void oa_cloud_cancel(struct oa_cloud *c)
{
    if (!c || c->cancelled)
        return;
    c->cancelled = true;
    if (c->req)
        oa_httpc_cancel(c->req);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
