/* SPDX-License-Identifier: Apache-2.0 */
/* The status object on the control socket, and its rendering for people. */
#include "status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((r = (x)) < 0)                                                                         \
            return r;                                                                              \
    } while (0)

static int gen_ok(yajl_gen_status s)
{
    return s == yajl_gen_status_ok ? 0 : -ENOMEM;
}

static int gen_time(yajl_gen g, const char *key, time_t t)
{
    int r = oa_json_gen_str(g, key);
    if (r == 0)
        r = t ? gen_ok(yajl_gen_integer(g, (long long)t)) : gen_ok(yajl_gen_null(g));
    return r;
}

static int gen_current(yajl_gen g, const struct oa_sw_status *w)
{
    int r;

    TRY(oa_json_gen_str(g, "current"));
    if (!w->has_current)
        return gen_ok(yajl_gen_null(g));
    TRY(gen_ok(yajl_gen_map_open(g)));
    TRY(oa_json_gen_key_int(g, "index", (long long)w->index + 1));
    TRY(oa_json_gen_key_str(g, "id", w->id));
    TRY(oa_json_gen_key_str(g, "module", w->module));
    return gen_ok(yajl_gen_map_close(g));
}

/* The results need the recipe's ids: the worker gives them in order. */
static int gen_results(yajl_gen g, const struct oa_sw_status *w)
{
    int r;

    TRY(oa_json_gen_str(g, "results"));
    TRY(gen_ok(yajl_gen_array_open(g)));
    for (size_t i = 0; w->results && i < w->n_states; i++) {
        const struct oa_sw_result *res = &w->results[i];
        TRY(gen_ok(yajl_gen_map_open(g)));
        TRY(oa_json_gen_key_int(g, "index", (long long)i + 1));
        TRY(oa_json_gen_key_str(g, "id", w->states[i].id));
        TRY(oa_json_gen_key_str(g, "module", w->states[i].module));
        TRY(oa_json_gen_str(g, "result"));
        TRY(res->ran ? gen_ok(yajl_gen_bool(g, res->ok)) : gen_ok(yajl_gen_null(g)));
        TRY(gen_time(g, "at", res->at));
        TRY(oa_json_gen_key_str(g, "comment", res->comment));
        TRY(gen_ok(yajl_gen_map_close(g)));
    }
    return gen_ok(yajl_gen_array_close(g));
}

static int gen_status(yajl_gen g, const struct oa_status_conn *c, const struct oa_sw_status *w,
                      time_t started, pid_t pid)
{
    int r;

    TRY(gen_ok(yajl_gen_map_open(g)));
    TRY(oa_json_gen_str(g, "agent"));
    TRY(gen_ok(yajl_gen_map_open(g)));
    TRY(oa_json_gen_key_str(g, "version", OA_VERSION));
    TRY(oa_json_gen_key_int(g, "pid", pid));
    TRY(gen_time(g, "started", started));
    TRY(gen_ok(yajl_gen_map_close(g)));
    TRY(oa_json_gen_str(g, "connection"));
    TRY(gen_ok(yajl_gen_map_open(g)));
    TRY(oa_json_gen_key_str(g, "state", c->state));
    TRY(oa_json_gen_key_str(g, "target", c->target));
    TRY(oa_json_gen_key_int(g, "pending_statelogs", (long long)c->pending));
    TRY(gen_ok(yajl_gen_map_close(g)));
    TRY(oa_json_gen_str(g, "worker"));
    TRY(gen_ok(yajl_gen_map_open(g)));
    TRY(oa_json_gen_key_str(g, "state", w->state));
    TRY(gen_time(g, "since", w->since));
    TRY(oa_json_gen_key_int(g, "recipe_version", w->recipe_version));
    TRY(oa_json_gen_key_int(g, "states", (long long)w->n_states));
    TRY(gen_current(g, w));
    TRY(gen_time(g, "next_round", w->next_round));
    TRY(gen_results(g, w));
    TRY(gen_ok(yajl_gen_map_close(g)));
    return gen_ok(yajl_gen_map_close(g));
}

int oa_status_encode(const struct oa_status_conn *conn, const struct oa_sw_status *w,
                     time_t started, pid_t pid, struct oa_buf *out)
{
    yajl_gen g = oa_json_gen_new();
    const unsigned char *text;
    size_t len;
    int r;

    if (!g)
        return -ENOMEM;
    r = gen_status(g, conn, w, started, pid);
    /* The caller wraps the members in its own object: drop the braces. */
    if (r == 0 && yajl_gen_get_buf(g, &text, &len) == yajl_gen_status_ok && len >= 2)
        r = oa_buf_append(out, text + 1, len - 2);
    yajl_gen_free(g);
    return r;
}

/* ---- printing ---- */

static const char *str(const struct oa_json *obj, const char *key)
{
    const struct oa_json *v = oa_json_get(obj, key);
    return v && (v->type == OA_JSON_STRING || v->type == OA_JSON_NUMBER) ? v->u.str : NULL;
}

static const char *clock_text(const struct oa_json *obj, const char *key, char *buf, size_t len)
{
    const char *v = str(obj, key);
    time_t t;
    struct tm tm;

    if (!v)
        return NULL;
    t = (time_t)strtoll(v, NULL, 10);
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

static void print_results(const struct oa_json *results, FILE *out)
{
    char at[32];

    if (!results || results->type != OA_JSON_ARRAY || results->len == 0)
        return;
    fprintf(out, "last results:\n");
    for (size_t i = 0; i < results->len; i++) {
        const struct oa_json *r = results->u.items[i];
        const struct oa_json *res = oa_json_get(r, "result");
        const char *when = clock_text(r, "at", at, sizeof(at));
        const char *comment = str(r, "comment");
        fprintf(out, "  %3s %s (%s): %s%s%s%s%s\n", str(r, "index") ? str(r, "index") : "?",
                str(r, "id"), str(r, "module"),
                !res || res->type != OA_JSON_BOOL ? "not run yet"
                : res->u.boolean                  ? "ok"
                                                  : "FAILED",
                when ? " at " : "", when ? when : "", comment && comment[0] ? ": " : "",
                comment ? comment : "");
    }
}

int oa_status_print(const struct oa_json *reply, FILE *out)
{
    const struct oa_json *agent = oa_json_get(reply, "agent");
    const struct oa_json *conn = oa_json_get(reply, "connection");
    const struct oa_json *w = oa_json_get(reply, "worker");
    const struct oa_json *cur;
    char t1[32], t2[32];

    if (!agent || !conn || !w)
        return OA_ESCHEMA;
    cur = oa_json_get(w, "current");
    fprintf(out, "agent:       opsagent %s, pid %s, started %s\n", str(agent, "version"),
            str(agent, "pid"), clock_text(agent, "started", t1, sizeof(t1)));
    fprintf(out, "connection:  %s (%s)\n", str(conn, "state"), str(conn, "target"));
    fprintf(out, "pending:     %s StateLog(s)\n", str(conn, "pending_statelogs"));
    fprintf(out, "worker:      %s since %s\n", str(w, "state"),
            clock_text(w, "since", t1, sizeof(t1)));
    fprintf(out, "recipe:      version %s, %s states\n", str(w, "recipe_version"),
            str(w, "states"));
    if (cur && cur->type == OA_JSON_OBJECT)
        fprintf(out, "state:       %s/%s %s (%s)\n", str(cur, "index"), str(w, "states"),
                str(cur, "id"), str(cur, "module"));
    if (clock_text(w, "next_round", t2, sizeof(t2)))
        fprintf(out, "next round:  %s\n", t2);
    print_results(oa_json_get(w, "results"), out);
    return 0;
}
