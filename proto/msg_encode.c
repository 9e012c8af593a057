/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding of the messages the agent sends (protocol.md). */
#include "msg.h"

#include <errno.h>
#include <string.h>

#include "err.h"
#include "mem.h"
#include "utf8.h"

void oa_msg_statelog_free(struct oa_statelog *l)
{
    if (!l)
        return;
    oa_free(l->instance_id);
    oa_free(l->app_id);
    oa_free(l->id);
    oa_free(l->comment);
    oa_free(l->stdout_text);
    oa_free(l);
}

/* Writes text that may hold any bytes as a valid UTF-8 JSON string. */
static int gen_any_bytes(yajl_gen g, const char *s, size_t len)
{
    size_t clean_len;
    char *clean;
    int r;

    if (oa_utf8_valid(s, len))
        return oa_json_gen_strn(g, s, len);
    clean = oa_utf8_sanitize(s, len, &clean_len);
    if (!clean)
        return -ENOMEM;
    r = oa_json_gen_strn(g, clean, clean_len);
    oa_free(clean);
    return r;
}

static int gen_statelog(yajl_gen g, const struct oa_statelog *l, unsigned flags)
{
    bool local = flags & OA_MSG_LOCAL_FIELDS;
    int r = 0;

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((r = (x)) < 0)                                                                         \
            return r;                                                                              \
    } while (0)
    TRY(yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM);
    TRY(oa_json_gen_key_str(g, "code", "StateLog"));
    TRY(oa_json_gen_key_str(g, "instance_id", l->instance_id ? l->instance_id : ""));
    TRY(oa_json_gen_key_str(g, "app_id", l->app_id ? l->app_id : ""));
    TRY(oa_json_gen_key_int(g, "recipe_version", l->recipe_version));
    TRY(oa_json_gen_key_str(g, "id", l->id));
    if (local && l->not_run)
        TRY(oa_json_gen_key_str(g, "state_result", NULL));
    else
        TRY(oa_json_gen_key_bool(g, "state_result", l->result));
    TRY(oa_json_gen_str(g, "state_comment"));
    TRY(l->comment ? gen_any_bytes(g, l->comment, strlen(l->comment))
                   : (yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -ENOMEM));
    TRY(oa_json_gen_str(g, "state_stdout"));
    TRY(l->stdout_text ? gen_any_bytes(g, l->stdout_text, l->stdout_len)
                       : (yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -ENOMEM));
    if (local)
        TRY(oa_json_gen_key_int(g, "duration_ms", (long long)l->duration_ms));
    TRY(yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -ENOMEM);
#undef TRY
    return 0;
}

int oa_msg_encode_statelog(const struct oa_statelog *l, unsigned flags, struct oa_buf *out)
{
    yajl_gen g = oa_json_gen_new();
    const unsigned char *text;
    size_t len;
    int r;

    if (!g)
        return -ENOMEM;
    r = gen_statelog(g, l, flags);
    if (r == 0 && yajl_gen_get_buf(g, &text, &len) == yajl_gen_status_ok)
        r = oa_buf_append(out, text, len);
    yajl_gen_free(g);
    return r;
}

static int gen_ident(yajl_gen g, const char *code, const struct oa_msg_ident *id)
{
    int r = oa_json_gen_key_str(g, "code", code);

    if (r == 0)
        r = oa_json_gen_key_str(g, "instance_id", id->instance_id ? id->instance_id : "");
    if (r == 0)
        r = oa_json_gen_key_str(g, "app_id", id->app_id ? id->app_id : "");
    return r;
}

static int finish(yajl_gen g, int r, struct oa_buf *out)
{
    const unsigned char *text;
    size_t len;

    if (r == 0)
        r = yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    if (r == 0 && yajl_gen_get_buf(g, &text, &len) == yajl_gen_status_ok)
        r = oa_buf_append(out, text, len);
    yajl_gen_free(g);
    return r;
}

int oa_msg_encode_handshake(const struct oa_msg_ident *id, bool test, struct oa_buf *out)
{
    yajl_gen g = oa_json_gen_new();
    int r;

    if (!g)
        return -ENOMEM;
    r = yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    if (r == 0)
        r = gen_ident(g, test ? "Test" : "Handshake", id);
    if (r == 0)
        r = oa_json_gen_key_str(g, "agent_version", id->agent_version ? id->agent_version : "");
    if (r == 0)
        r = oa_json_gen_key_int(g, "protocol_version", 1);
    if (r == 0)
        r = oa_json_gen_key_str(g, "instance_token", id->token ? id->token : "");
    if (r == 0)
        r = oa_json_gen_key_str(g, "init_errors", id->init_errors);
    return finish(g, r, out);
}

int oa_msg_encode_wait_query(const struct oa_msg_ident *id, int64_t version, struct oa_buf *out)
{
    yajl_gen g = oa_json_gen_new();
    int r;

    if (!g)
        return -ENOMEM;
    r = yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    if (r == 0)
        r = gen_ident(g, "WaitQuery", id);
    if (r == 0)
        r = oa_json_gen_key_int(g, "recipe_version", version);
    return finish(g, r, out);
}
