/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding and decoding of the child-process protocol (design.md). */
#include "child.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "mem.h"

static int finish_gen(yajl_gen g, int r, struct oa_buf *out)
{
    const unsigned char *text;
    size_t len;

    if (r == 0 && yajl_gen_get_buf(g, &text, &len) == yajl_gen_status_ok)
        r = oa_buf_append(out, text, len);
    yajl_gen_free(g);
    return r;
}

int oa_child_encode_request(const struct oa_state *st, const struct oa_child_settings *set,
                            struct oa_buf *out)
{
    yajl_gen g = oa_json_gen_new();
    int r;

    if (!g)
        return -ENOMEM;
    r = yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    if (r == 0)
        r = oa_json_gen_key_str(g, "id", st->id);
    if (r == 0)
        r = oa_json_gen_key_str(g, "module", st->module);
    if (r == 0)
        r = oa_json_gen_str(g, "parameter");
    if (r == 0)
        r = oa_json_gen_value(g, st->parameter);
    if (r == 0)
        r = oa_json_gen_key_bool(g, "dry_run", set->dry_run);
    if (r == 0)
        r = oa_json_gen_key_str(g, "watch_dir", set->watch_dir);
    if (r == 0 && set->state_dir)
        r = oa_json_gen_key_str(g, "state_dir", set->state_dir);
    if (r == 0 && set->ca_file)
        r = oa_json_gen_key_str(g, "ca_file", set->ca_file);
    if (r == 0 && set->proxy)
        r = oa_json_gen_key_str(g, "proxy", set->proxy);
    if (r == 0 && set->no_proxy)
        r = oa_json_gen_key_str(g, "no_proxy", set->no_proxy);
    if (r == 0)
        r = yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    return finish_gen(g, r, out);
}

static int parse_object(const char *text, size_t len, size_t max_nodes, struct oa_json **ret,
                        char *reterr, size_t errlen)
{
    struct oa_json_limits limits = {OA_JSON_DEFAULT_DEPTH, max_nodes, NULL};
    int r = oa_json_parse(text, len, &limits, ret, reterr, errlen);

    if (r < 0)
        return r;
    if ((*ret)->type != OA_JSON_OBJECT) {
        snprintf(reterr, errlen, "expected a JSON object, got %s", oa_json_type_name(*ret));
        oa_json_free(*ret);
        return OA_ESCHEMA;
    }
    return 0;
}

static int get_bool(const struct oa_json *obj, const char *key, bool required, bool *ret,
                    char *reterr, size_t errlen)
{
    const struct oa_json *v = oa_json_get(obj, key);

    if (!v && !required)
        return 0;
    if (!v || v->type != OA_JSON_BOOL) {
        snprintf(reterr, errlen, "'%s' must be true or false, got %s", key,
                 v ? oa_json_type_name(v) : "nothing");
        return OA_ESCHEMA;
    }
    *ret = v->u.boolean;
    return 0;
}

/* Copies an optional string member (null or absent → NULL). */
static int get_opt_str(const struct oa_json *obj, const char *key, char **ret, char *reterr,
                       size_t errlen)
{
    const struct oa_json *v = oa_json_get(obj, key);

    *ret = NULL;
    if (!v || v->type == OA_JSON_NULL)
        return 0;
    if (v->type != OA_JSON_STRING) {
        snprintf(reterr, errlen, "'%s' must be a string, got %s", key, oa_json_type_name(v));
        return OA_ESCHEMA;
    }
    *ret = oa_strndup(v->u.str, v->len);
    return *ret ? 0 : -ENOMEM;
}

int oa_child_decode_request(const char *text, size_t len, struct oa_child_request *ret,
                            char *reterr, size_t errlen)
{
    struct oa_child_request req = {0};
    struct oa_json *root, *states;
    struct oa_recipe one = {0};
    int r;

    r = parse_object(text, len, SIZE_MAX, &root, reterr, errlen);
    if (r < 0)
        return r;
    /* Reuse the recipe's state rules by viewing the request as a one-state
     * array. */
    states = oa_calloc(1, sizeof(*states));
    if (!states) {
        oa_json_free(root);
        return -ENOMEM;
    }
    states->type = OA_JSON_ARRAY;
    states->len = 1;
    states->u.items = &root;
    r = oa_msg_decode_states(states, 0, 1, &one, reterr, errlen);
    oa_free(states);
    if (r == 0)
        r = get_bool(root, "dry_run", false, &req.dry_run, reterr, errlen);
    if (r == 0)
        r = get_opt_str(root, "watch_dir", &req.watch_dir, reterr, errlen);
    if (r == 0)
        r = get_opt_str(root, "state_dir", &req.state_dir, reterr, errlen);
    if (r == 0)
        r = get_opt_str(root, "ca_file", &req.ca_file, reterr, errlen);
    if (r == 0)
        r = get_opt_str(root, "proxy", &req.proxy, reterr, errlen);
    if (r == 0)
        r = get_opt_str(root, "no_proxy", &req.no_proxy, reterr, errlen);
    oa_json_free(root);
    if (r < 0) {
        oa_msg_recipe_done(&one);
        oa_child_request_done(&req);
        return r;
    }
    req.id = one.states[0].id;
    req.module = one.states[0].module;
    req.parameter = one.states[0].parameter;
    oa_free(one.states);
    oa_free(one.dup_id);
    *ret = req;
    return 0;
}

void oa_child_request_done(struct oa_child_request *req)
{
    oa_free(req->id);
    oa_free(req->module);
    oa_json_free(req->parameter);
    oa_free(req->watch_dir);
    oa_free(req->state_dir);
    oa_free(req->ca_file);
    oa_free(req->proxy);
    oa_free(req->no_proxy);
    memset(req, 0, sizeof(*req));
}

int oa_child_encode_result(const struct oa_child_result *res, struct oa_buf *out)
{
    yajl_gen g = oa_json_gen_new();
    int r;

    if (!g)
        return -ENOMEM;
    r = yajl_gen_map_open(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    if (r == 0)
        r = oa_json_gen_key_bool(g, "result", res->result);
    if (r == 0)
        r = oa_json_gen_key_str(g, "comment", res->comment);
    if (r == 0)
        r = oa_json_gen_key_bool(g, "changed", res->changed);
    if (r == 0)
        r = yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -ENOMEM;
    return finish_gen(g, r, out);
}

int oa_child_decode_result(const char *text, size_t len, struct oa_child_result *ret, char *reterr,
                           size_t errlen)
{
    struct oa_child_result res = {0};
    struct oa_json *root;
    int r;

    if (len > OA_CHILD_RESULT_MAX) {
        snprintf(reterr, errlen, "result larger than %d bytes", OA_CHILD_RESULT_MAX);
        return OA_ETOOBIG;
    }
    r = parse_object(text, len, 1024, &root, reterr, errlen);
    if (r < 0)
        return r;
    r = get_bool(root, "result", true, &res.result, reterr, errlen);
    if (r == 0)
        r = get_bool(root, "changed", false, &res.changed, reterr, errlen);
    if (r == 0)
        r = get_opt_str(root, "comment", &res.comment, reterr, errlen);
    oa_json_free(root);
    if (r < 0)
        return r;
    *ret = res;
    return 0;
}

void oa_child_result_done(struct oa_child_result *res)
{
    oa_free(res->comment);
    res->comment = NULL;
}
