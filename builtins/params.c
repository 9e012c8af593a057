/* SPDX-License-Identifier: Apache-2.0 */
/* Shared parameter validation and coercion (modules.md §1.1, §1.2). */
#include "params.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "mem.h"
#include "parse.h"

static const char *const type_names[] = {
    [OA_PT_LINE] = "a line of text (string or number)",
    [OA_PT_TEXT] = "a string",
    [OA_PT_ARRAY] = "an array of strings (or one string)",
    [OA_PT_DICT] = "a list of {\"key\",\"value\"} objects",
    [OA_PT_BOOL] = "a boolean (true/false, \"yes\"/\"no\", \"y\"/\"n\", 1/0)",
    [OA_PT_STATE] = "a list of state references",
    [OA_PT_ARRAY_OR_BOOL] = "an array of strings (or one string) or a boolean",
};

/* A JSON scalar usable as text: a string, or a number as its source text. */
static bool is_text(const struct oa_json *v)
{
    return v->type == OA_JSON_STRING || v->type == OA_JSON_NUMBER;
}

static bool is_empty(const struct oa_json *v)
{
    switch (v->type) {
    case OA_JSON_NULL:
        return true;
    case OA_JSON_STRING:
    case OA_JSON_ARRAY:
    case OA_JSON_OBJECT:
        return v->len == 0;
    default:
        return false;
    }
}

static int push_item(struct oa_pvalue *pv, const char *s, size_t len)
{
    char **items = oa_realloc(pv->items, (pv->n + 1) * sizeof(*items));
    if (!items)
        return -ENOMEM;
    pv->items = items;
    if (!(items[pv->n] = oa_strndup(s, len)))
        return -ENOMEM;
    pv->n++;
    return 0;
}

/* Adds key=value to a dict; a repeated key keeps its place and takes the
 * new value (modules.md §1.1: the last one wins). */
static int put_kv(struct oa_pvalue *pv, const char *k, size_t klen, const char *v, size_t vlen)
{
    char *value = oa_strndup(v, vlen);
    struct oa_kv *kv;

    if (!value)
        return -ENOMEM;
    for (size_t i = 0; i < pv->n; i++) {
        if (strlen(pv->kv[i].key) == klen && memcmp(pv->kv[i].key, k, klen) == 0) {
            oa_free(pv->kv[i].value);
            pv->kv[i].value = value;
            return 0;
        }
    }
    kv = oa_realloc(pv->kv, (pv->n + 1) * sizeof(*kv));
    if (!kv) {
        oa_free(value);
        return -ENOMEM;
    }
    pv->kv = kv;
    kv[pv->n].value = value;
    if (!(kv[pv->n].key = oa_strndup(k, klen))) {
        oa_free(value);
        return -ENOMEM;
    }
    pv->n++;
    return 0;
}

static int coerce_line(const struct oa_param_spec *s, const struct oa_json *v, struct oa_pvalue *pv)
{
    struct oa_buf joined;
    int r = 0;

    if (is_text(v) && (s->type == OA_PT_LINE || v->type == OA_JSON_STRING)) {
        pv->str = oa_strndup(v->u.str, v->len);
        return pv->str ? 0 : -ENOMEM;
    }
    if (v->type != OA_JSON_ARRAY || !(s->flags & OA_PF_JOIN_LINES))
        return OA_ESCHEMA;
    oa_buf_init(&joined, SIZE_MAX);
    for (size_t i = 0; i < v->len && r == 0; i++) {
        if (!is_text(v->u.items[i]))
            r = OA_ESCHEMA;
        else if (i > 0)
            r = oa_buf_append(&joined, "\n", 1);
        if (r == 0)
            r = oa_buf_append(&joined, v->u.items[i]->u.str, v->u.items[i]->len);
    }
    if (r == 0 && !(pv->str = oa_buf_steal(&joined, NULL)))
        r = -ENOMEM;
    oa_buf_done(&joined);
    return r;
}

static int coerce_array(const struct oa_json *v, struct oa_pvalue *pv)
{
    int r = 0;

    if (is_text(v))
        return push_item(pv, v->u.str, v->len);
    if (v->type != OA_JSON_ARRAY)
        return OA_ESCHEMA;
    for (size_t i = 0; i < v->len && r == 0; i++)
        r = is_text(v->u.items[i]) ? push_item(pv, v->u.items[i]->u.str, v->u.items[i]->len)
                                   : OA_ESCHEMA;
    return r;
}

/* "K=V K2=V2": linux.cmd env sent as a string (modules.md §3.1 ⚠). */
static int coerce_dict_string(const char *s, struct oa_pvalue *pv)
{
    int r = 0;

    while (r == 0) {
        s += strspn(s, " \t\r\n");
        if (!*s)
            break;
        size_t len = strcspn(s, " \t\r\n");
        const char *eq = memchr(s, '=', len);
        size_t klen = eq ? (size_t)(eq - s) : len;
        r = put_kv(pv, s, klen, eq ? eq + 1 : "", eq ? len - klen - 1 : 0);
        s += len;
    }
    return r;
}

static int coerce_dict_entry(const struct oa_json *e, struct oa_pvalue *pv)
{
    const struct oa_json *k, *val;

    if (is_text(e))
        return put_kv(pv, e->u.str, e->len, "", 0);
    if (e->type != OA_JSON_OBJECT)
        return OA_ESCHEMA;
    k = oa_json_get(e, "key");
    val = oa_json_get(e, "value");
    if (!k || !is_text(k))
        return OA_ESCHEMA;
    if (!val || val->type == OA_JSON_NULL)
        return put_kv(pv, k->u.str, k->len, "", 0);
    if (!is_text(val))
        return OA_ESCHEMA;
    return put_kv(pv, k->u.str, k->len, val->u.str, val->len);
}

static int coerce_dict(const struct oa_json *v, struct oa_pvalue *pv)
{
    int r = 0;

    if (v->type == OA_JSON_STRING)
        return coerce_dict_string(v->u.str, pv);
    if (v->type == OA_JSON_OBJECT) {
        for (size_t i = 0; i < v->len && r == 0; i++) {
            const struct oa_json *val = v->u.members[i].value;
            const char *key = v->u.members[i].key;
            if (val->type == OA_JSON_NULL)
                r = put_kv(pv, key, strlen(key), "", 0);
            else
                r = is_text(val) ? put_kv(pv, key, strlen(key), val->u.str, val->len) : OA_ESCHEMA;
        }
        return r;
    }
    if (v->type != OA_JSON_ARRAY)
        return OA_ESCHEMA;
    for (size_t i = 0; i < v->len && r == 0; i++)
        r = coerce_dict_entry(v->u.items[i], pv);
    return r;
}

static int coerce_bool(const struct oa_json *v, struct oa_pvalue *pv)
{
    static const char *const yes[] = {"true", "yes", "y", "1"};
    static const char *const no[] = {"false", "no", "n", "0"};

    if (v->type == OA_JSON_BOOL) {
        pv->boolean = v->u.boolean;
        return 0;
    }
    if (!is_text(v))
        return OA_ESCHEMA;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v->u.str, yes[i]) == 0) {
            pv->boolean = true;
            return 0;
        }
        if (strcasecmp(v->u.str, no[i]) == 0) {
            pv->boolean = false;
            return 0;
        }
    }
    return OA_ESCHEMA;
}

static int coerce(const struct oa_param_spec *s, const struct oa_json *v, struct oa_pvalue *pv)
{
    switch (s->type) {
    case OA_PT_LINE:
    case OA_PT_TEXT:
        return coerce_line(s, v, pv);
    case OA_PT_ARRAY:
        return coerce_array(v, pv);
    case OA_PT_DICT:
        return coerce_dict(v, pv);
    case OA_PT_BOOL:
        return coerce_bool(v, pv);
    case OA_PT_STATE:
        pv->raw = v;
        return 0;
    case OA_PT_ARRAY_OR_BOOL:
        /* A lone bool word is a bool: the lists this type carries hold
         * absolute paths. coerce_bool leaves pv alone when it refuses. */
        return coerce_bool(v, pv) == 0 ? 0 : coerce_array(v, pv);
    }
    return OA_ESCHEMA;
}

static void free_value(struct oa_pvalue *pv)
{
    oa_free(pv->str);
    for (size_t i = 0; i < pv->n; i++) {
        if (pv->items)
            oa_free(pv->items[i]);
        if (pv->kv) {
            oa_free(pv->kv[i].key);
            oa_free(pv->kv[i].value);
        }
    }
    oa_free(pv->items);
    oa_free(pv->kv);
}

void oa_params_done(struct oa_params *p)
{
    if (!p || !p->v)
        return;
    for (size_t i = 0; i < p->n_spec; i++)
        free_value(&p->v[i]);
    oa_free(p->v);
    p->v = NULL;
}

static const struct oa_param_spec *find_spec(const struct oa_param_spec *spec, size_t n,
                                             const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(spec[i].name, name) == 0)
            return &spec[i];
    return NULL;
}

static int warn_unknown(const struct oa_param_spec *spec, size_t n_spec, const struct oa_json *obj,
                        struct oa_buf *warnings)
{
    int r = 0;

    for (size_t i = 0; i < obj->len && r == 0 && warnings; i++)
        if (!find_spec(spec, n_spec, obj->u.members[i].key))
            r = oa_buf_printf(warnings, "ignoring unknown parameter '%.100s'\n",
                              obj->u.members[i].key);
    return r == OA_ETOOBIG ? 0 : r;
}

int oa_params_parse(const struct oa_param_spec *spec, size_t n_spec, const struct oa_json *obj,
                    struct oa_params *ret, struct oa_buf *warnings, char *reterr, size_t errlen)
{
    struct oa_params p = {spec, n_spec, NULL};
    int r = 0;

    p.v = oa_calloc(n_spec, sizeof(*p.v));
    if (!p.v) {
        snprintf(reterr, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_spec && r == 0; i++) {
        const struct oa_json *v = oa_json_get(obj, spec[i].name);
        bool keep = (spec[i].flags & OA_PF_EMPTY_IS_VALUE) && v && v->type != OA_JSON_NULL;
        bool empty = !v || (is_empty(v) && !keep);

        if (empty && (spec[i].flags & OA_PF_REQUIRED)) {
            snprintf(reterr, errlen, "missing required parameter '%s'", spec[i].name);
            r = OA_ESCHEMA;
        } else if (!empty) {
            r = coerce(&spec[i], v, &p.v[i]);
            p.v[i].present = r == 0;
            if (r == OA_ESCHEMA)
                snprintf(reterr, errlen, "parameter '%s': expected %s, got %s", spec[i].name,
                         type_names[spec[i].type], oa_json_type_name(v));
        }
    }
    if (r == 0)
        r = warn_unknown(spec, n_spec, obj, warnings);
    if (r == -ENOMEM)
        snprintf(reterr, errlen, "out of memory");
    if (r < 0) {
        oa_params_done(&p);
        return r;
    }
    *ret = p;
    return 0;
}

const struct oa_pvalue *oa_params_get(const struct oa_params *p, const char *name)
{
    const struct oa_param_spec *s = find_spec(p->spec, p->n_spec, name);
    assert(s && "parameter not declared by the module");
    return &p->v[s - p->spec];
}

const char *oa_params_str(const struct oa_params *p, const char *name)
{
    const struct oa_pvalue *v = oa_params_get(p, name);
    return v->present ? v->str : NULL;
}

bool oa_params_bool(const struct oa_params *p, const char *name, bool absent)
{
    const struct oa_pvalue *v = oa_params_get(p, name);
    return v->present ? v->boolean : absent;
}

int oa_params_uint(const struct oa_params *p, const char *name, uint64_t min, uint64_t max,
                   uint64_t absent, uint64_t *ret, char *reterr, size_t errlen)
{
    const char *s = oa_params_str(p, name);
    uint64_t v;

    if (!s) {
        *ret = absent;
        return 0;
    }
    if (oa_parse_u64(s, max, &v) < 0 || v < min) {
        snprintf(reterr, errlen,
                 "parameter '%s': expected a whole number from %llu to %llu, got '%.40s'", name,
                 (unsigned long long)min, (unsigned long long)max, s);
        return OA_ESCHEMA;
    }
    *ret = v;
    return 0;
}

int oa_params_peek_uint(const struct oa_json *obj, const char *name, uint64_t max, uint64_t absent,
                        uint64_t *ret)
{
    const struct oa_json *v = oa_json_get(obj, name);

    if (!v || is_empty(v)) {
        *ret = absent;
        return 0;
    }
    if (!is_text(v) || oa_parse_u64(v->u.str, max, ret) < 0)
        return OA_ESCHEMA;
    return 0;
}
