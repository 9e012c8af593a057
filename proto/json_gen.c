/* SPDX-License-Identifier: Apache-2.0 */
/* Writing JSON through yajl_gen: a tree, and small helpers (json.h). */
#include <string.h>

#include "err.h"
#include "json.h"
#include "utf8.h"

static int gen_status(yajl_gen_status s)
{
    if (s == yajl_gen_status_ok)
        return 0;
    return s == yajl_gen_invalid_string ? OA_EUTF8 : OA_ESYNTAX;
}

/* NOLINTNEXTLINE(misc-no-recursion): as deep as the tree, bounded by its parse */
int oa_json_gen_value(yajl_gen g, const struct oa_json *v)
{
    int r = 0;

    if (!v)
        return gen_status(yajl_gen_null(g));
    switch (v->type) {
    case OA_JSON_NULL:
        return gen_status(yajl_gen_null(g));
    case OA_JSON_BOOL:
        return gen_status(yajl_gen_bool(g, v->u.boolean));
    case OA_JSON_NUMBER:
        return gen_status(yajl_gen_number(g, v->u.str, v->len));
    case OA_JSON_STRING:
        return oa_json_gen_strn(g, v->u.str, v->len);
    case OA_JSON_RAW:
        /* yajl_gen_number writes its text as it is, as one value: the text
         * is the exact source of an object that parsed. */
        return gen_status(yajl_gen_number(g, v->u.str, v->len));
    case OA_JSON_ARRAY:
        if ((r = gen_status(yajl_gen_array_open(g))) < 0)
            return r;
        for (size_t i = 0; i < v->len && r == 0; i++)
            r = oa_json_gen_value(g, v->u.items[i]);
        return r < 0 ? r : gen_status(yajl_gen_array_close(g));
    case OA_JSON_OBJECT:
        if ((r = gen_status(yajl_gen_map_open(g))) < 0)
            return r;
        for (size_t i = 0; i < v->len && r == 0; i++) {
            if (!v->u.members[i].value)
                continue;
            r = oa_json_gen_str(g, v->u.members[i].key);
            if (r == 0)
                r = oa_json_gen_value(g, v->u.members[i].value);
        }
        return r < 0 ? r : gen_status(yajl_gen_map_close(g));
    }
    return OA_ESYNTAX;
}

int oa_json_gen_strn(yajl_gen g, const char *s, size_t len)
{
    /* yajl_gen_validate_utf8 has the same gaps as the parser's check. */
    if (!oa_utf8_valid(s, len))
        return OA_EUTF8;
    return gen_status(yajl_gen_string(g, (const unsigned char *)s, len));
}

int oa_json_gen_str(yajl_gen g, const char *s)
{
    return oa_json_gen_strn(g, s, strlen(s));
}

int oa_json_gen_key_str(yajl_gen g, const char *key, const char *value)
{
    int r = oa_json_gen_str(g, key);
    if (r < 0)
        return r;
    return value ? oa_json_gen_str(g, value) : gen_status(yajl_gen_null(g));
}

int oa_json_gen_key_int(yajl_gen g, const char *key, long long value)
{
    int r = oa_json_gen_str(g, key);
    return r < 0 ? r : gen_status(yajl_gen_integer(g, value));
}

int oa_json_gen_key_bool(yajl_gen g, const char *key, bool value)
{
    int r = oa_json_gen_str(g, key);
    return r < 0 ? r : gen_status(yajl_gen_bool(g, value));
}

yajl_gen oa_json_gen_new(void)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g)
        yajl_gen_config(g, yajl_gen_validate_utf8, 1);
    return g;
}
