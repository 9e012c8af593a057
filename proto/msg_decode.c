/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding and validation of the messages the backend sends (protocol.md).
 * A message that breaks a rule is rejected as a whole; the error text names
 * the rule so that the agent can log exactly why.
 */
#include "msg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "mem.h"
#include "parse.h"

void oa_msg_recipe_done(struct oa_recipe *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_states; i++) {
        oa_free(r->states[i].id);
        oa_free(r->states[i].module);
        oa_json_free(r->states[i].parameter);
    }
    oa_free(r->states);
    oa_free(r->mod_repo);
    oa_free(r->mod_tag);
    oa_free(r->dup_id);
    memset(r, 0, sizeof(*r));
}

void oa_msg_recipe_free(struct oa_recipe *r)
{
    oa_msg_recipe_done(r);
    oa_free(r);
}

/* Open-addressing set of ids, to find a repeated one in linear time even in
 * a 100,000-state recipe. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int find_dup_id(const struct oa_recipe *r, const char **ret_dup)
{
    size_t size = 16;
    const char **slots;

    while (size < r->n_states * 2)
        size *= 2;
    slots = oa_calloc(size, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    *ret_dup = NULL;
    for (size_t i = 0; i < r->n_states && !*ret_dup; i++) {
        const char *id = r->states[i].id;
        size_t j = hash_str(id) & (size - 1);
        for (; slots[j]; j = (j + 1) & (size - 1)) {
            if (strcmp(slots[j], id) == 0) {
                *ret_dup = id;
                break;
            }
        }
        slots[j] = id;
    }
    oa_free(slots);
    return 0;
}

static void describe_state(char *buf, size_t len, size_t i, const struct oa_json *st)
{
    const struct oa_json *id = oa_json_get(st, "id");
    if (id && id->type == OA_JSON_STRING && id->len > 0)
        snprintf(buf, len, "state %zu (id \"%.60s\")", i + 1, id->u.str);
    else
        snprintf(buf, len, "state %zu", i + 1);
}

/* A non-empty string without NUL bytes (ids and module names end up in file
 * names and log lines). */
static bool is_name(const struct oa_json *v)
{
    return v && v->type == OA_JSON_STRING && v->len > 0 && strlen(v->u.str) == v->len;
}

/* Says which rule state i broke, e.g. "state 3 (id \"x\"): 'module' must be
 * a non-empty string, got number". Only then is the state described. */
static int state_error(char *reterr, size_t errlen, size_t i, const struct oa_json *st,
                       const char *rule, const struct oa_json *got)
{
    char where[96];

    describe_state(where, sizeof(where), i, st);
    snprintf(reterr, errlen, "%s: %s, got %s", where, rule,
             got ? oa_json_type_name(got) : "nothing");
    return OA_ESCHEMA;
}

static int decode_state(struct oa_json *st, size_t i, unsigned flags, struct oa_state *out,
                        char *reterr, size_t errlen)
{
    struct oa_json *id, *module, *param;

    if (st->type != OA_JSON_OBJECT)
        return state_error(reterr, errlen, i, st, "must be an object", st);
    id = oa_json_get(st, "id");
    module = oa_json_get(st, "module");
    param = oa_json_get(st, "parameter");
    if (!(id == NULL && (flags & OA_MSG_IDS_OPTIONAL)) && !is_name(id))
        return state_error(reterr, errlen, i, st, "'id' must be a non-empty string", id);
    if (!is_name(module))
        return state_error(reterr, errlen, i, st, "'module' must be a non-empty string", module);
    if (!param || (param->type != OA_JSON_OBJECT && param->type != OA_JSON_RAW))
        return state_error(reterr, errlen, i, st, "'parameter' must be an object", param);
    if (id) {
        out->id = oa_strndup(id->u.str, id->len);
    } else {
        char made[32];
        snprintf(made, sizeof(made), "state-%zu", i + 1);
        out->id = oa_strdup(made);
    }
    out->module = oa_strndup(module->u.str, module->len);
    if (!out->id || !out->module)
        return -ENOMEM;
    out->parameter = oa_json_take(st, "parameter");
    return 0;
}

int oa_msg_decode_states(struct oa_json *arr, unsigned flags, size_t max_states,
                         struct oa_recipe *r, char *reterr, size_t errlen)
{
    const char *dup;
    int ret;

    if (arr->type != OA_JSON_ARRAY) {
        snprintf(reterr, errlen, "'state' must be an array, got %s", oa_json_type_name(arr));
        return OA_ESCHEMA;
    }
    if (arr->len > max_states) {
        snprintf(reterr, errlen, "'state' has %zu states, more than the limit of %zu", arr->len,
                 max_states);
        return OA_ETOOBIG;
    }
    r->states = oa_calloc(arr->len, sizeof(*r->states));
    if (!r->states)
        goto nomem;
    for (size_t i = 0; i < arr->len; i++) {
        r->n_states = i + 1;
        ret = decode_state(arr->u.items[i], i, flags, &r->states[i], reterr, errlen);
        if (ret == -ENOMEM)
            goto nomem;
        if (ret < 0)
            goto fail;
    }
    if (find_dup_id(r, &dup) < 0)
        goto nomem;
    if (dup && !(r->dup_id = oa_strdup(dup)))
        goto nomem;
    r->has_states = true;
    return 0;

nomem:
    snprintf(reterr, errlen, "out of memory");
    ret = -ENOMEM;
fail:
    for (size_t i = 0; i < r->n_states; i++) {
        oa_free(r->states[i].id);
        oa_free(r->states[i].module);
        oa_json_free(r->states[i].parameter);
    }
    oa_free(r->states);
    r->states = NULL;
    r->n_states = 0;
    return ret;
}

static int decode_module(const struct oa_json *m, struct oa_recipe *r, char *reterr, size_t errlen)
{
    const struct oa_json *repo, *tag;

    if (!m || m->type == OA_JSON_NULL)
        return 0;
    if (m->type != OA_JSON_OBJECT) {
        snprintf(reterr, errlen, "'module' must be an object or null, got %s",
                 oa_json_type_name(m));
        return OA_ESCHEMA;
    }
    repo = oa_json_get(m, "repo");
    tag = oa_json_get(m, "tag");
    if (!is_name(repo) || !is_name(tag)) {
        snprintf(reterr, errlen, "'module': 'repo' and 'tag' must be non-empty strings");
        return OA_ESCHEMA;
    }
    r->mod_repo = oa_strdup(repo->u.str);
    r->mod_tag = oa_strdup(tag->u.str);
    if (!r->mod_repo || !r->mod_tag) {
        snprintf(reterr, errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

int oa_msg_decode_recipe(struct oa_json *obj, unsigned flags, size_t max_states,
                         struct oa_recipe *ret, char *reterr, size_t errlen)
{
    struct oa_recipe r = {0};
    const struct oa_json *ver = oa_json_get(obj, "recipe_version");
    struct oa_json *states = oa_json_get(obj, "state");
    uint64_t v;
    int err;

    if (!ver || ver->type != OA_JSON_NUMBER || oa_parse_u64(ver->u.str, INT64_MAX, &v) < 0 ||
        v == 0) {
        snprintf(reterr, errlen, "'recipe_version' must be a positive integer");
        return OA_ESCHEMA;
    }
    r.version = (int64_t)v;
    err = decode_module(oa_json_get(obj, "module"), &r, reterr, errlen);
    if (err == 0 && states && states->type != OA_JSON_NULL)
        err = oa_msg_decode_states(states, flags, max_states, &r, reterr, errlen);
    if (err < 0) {
        oa_msg_recipe_done(&r);
        return err;
    }
    *ret = r;
    return 0;
}

void oa_msg_done(struct oa_msg *m)
{
    if (!m)
        return;
    oa_msg_recipe_free(m->recipe);
    oa_free(m->id);
    for (size_t i = 0; i < m->n_ids; i++)
        oa_free(m->ids[i]);
    oa_free(m->ids);
    oa_free(m->update_version);
    oa_free(m->update_url);
    oa_free(m->test_error);
    memset(m, 0, sizeof(*m));
}

/* Whether the JSON key s[0..n) names a secret: a password (linux.user),
 * a token, a private key... (design.md: secrets are never logged). */
static bool secret_key(const char *s, size_t n)
{
    static const char *const words[] = {"pass", "secret", "token", "credential", "private"};
    char key[64];

    if (n >= sizeof(key))
        n = sizeof(key) - 1;
    memcpy(key, s, n);
    key[n] = '\0';
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasestr(key, words[i]))
            return true;
    return false;
}

/* The end of the JSON string whose text starts at s[i] (after its opening
 * quote): the index of its closing quote, or n when it is cut. */
static size_t string_end(const char *s, size_t i, size_t n)
{
    while (i < n && s[i] != '"')
        i += s[i] == '\\' ? 2 : 1;
    return i < n ? i : n;
}

static size_t skip_blanks(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Marks in hide the bytes of s[0..n) that a log line must not show: the
 * string value of a key that names a secret, and the password of a URL's
 * user info ("https://me:pw@host"). s may be cut anywhere. */
static void find_secrets(const char *s, size_t n, bool *hide)
{
    for (size_t i = 0; i < n; i++) {
        size_t start = i + 1, end, v;

        if (s[i] != '"')
            continue;
        i = end = string_end(s, start, n);
        v = skip_blanks(s, end + 1, n);
        if (v >= n || s[v] != ':' || !secret_key(s + start, end - start))
            continue;
        v = skip_blanks(s, v + 1, n);
        if (v < n && s[v] == '"') {
            i = string_end(s, v + 1, n);
            memset(hide + v + 1, true, i - (v + 1));
        }
    }
    for (size_t i = 0; i + 3 <= n; i++) {
        size_t at = i + 3, colon = 0;

        if (memcmp(s + i, "://", 3) != 0)
            continue;
        for (; at < n && !strchr("/?#@\" ", s[at]); at++)
            if (s[at] == ':' && !colon)
                colon = at;
        if (at < n && s[at] == '@' && colon)
            memset(hide + colon + 1, true, at - (colon + 1));
    }
}

const char *oa_msg_sample(const char *text, size_t len, char *out, size_t outlen)
{
    size_t n = len < 200 ? len : 200, o = 0;
    bool hide[200] = {false};

    if (n >= outlen)
        n = outlen - 1;
    find_secrets(text, n, hide);
    /* A hidden run becomes "***" (or fewer stars when it is shorter), so
     * the sample never grows. */
    for (size_t i = 0; i < n;) {
        if (!hide[i]) {
            out[o++] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
            i++;
            continue;
        }
        for (size_t k = 0; k < 3 && i + k < n && hide[i + k]; k++)
            out[o++] = '*';
        while (i < n && hide[i])
            i++;
    }
    out[o] = '\0';
    return out;
}

static int get_version(const struct oa_json *obj, const char *msg, int64_t *ret, char *reterr,
                       size_t errlen)
{
    const struct oa_json *v = oa_json_get(obj, "recipe_version");
    uint64_t u;

    if (!v || v->type != OA_JSON_NUMBER || oa_parse_u64(v->u.str, INT64_MAX, &u) < 0 || u == 0) {
        snprintf(reterr, errlen, "%s: 'recipe_version' must be a positive integer", msg);
        return OA_ESCHEMA;
    }
    *ret = (int64_t)u;
    return 0;
}

static int get_name(const struct oa_json *obj, const char *key, const char *msg, char **ret,
                    char *reterr, size_t errlen)
{
    const struct oa_json *v = oa_json_get(obj, key);

    if (!is_name(v)) {
        snprintf(reterr, errlen, "%s: '%s' must be a non-empty string", msg, key);
        return OA_ESCHEMA;
    }
    *ret = oa_strndup(v->u.str, v->len);
    return *ret ? 0 : -ENOMEM;
}

static int decode_wait_list(const struct oa_json *obj, struct oa_msg *m, char *reterr,
                            size_t errlen)
{
    const struct oa_json *w = oa_json_get(obj, "waited");
    int r = get_version(obj, "WaitList", &m->version, reterr, errlen);

    if (r < 0)
        return r;
    if (!w || w->type != OA_JSON_ARRAY) {
        snprintf(reterr, errlen, "WaitList: 'waited' must be an array");
        return OA_ESCHEMA;
    }
    m->ids = oa_calloc(w->len, sizeof(*m->ids));
    if (!m->ids)
        return -ENOMEM;
    for (size_t i = 0; i < w->len; i++) {
        if (w->u.items[i]->type != OA_JSON_OBJECT) {
            snprintf(reterr, errlen, "WaitList: 'waited' entry %zu must be an object", i + 1);
            return OA_ESCHEMA;
        }
        r = get_name(w->u.items[i], "state_id", "WaitList", &m->ids[i], reterr, errlen);
        if (r < 0)
            return r;
        m->n_ids = i + 1;
    }
    return 0;
}

static int decode_test_ans(const struct oa_json *obj, struct oa_msg *m, char *reterr, size_t errlen)
{
    const struct oa_json *res = oa_json_get(obj, "result");
    const struct oa_json *err = oa_json_get(obj, "error");

    if (!res || res->type != OA_JSON_BOOL) {
        snprintf(reterr, errlen, "TestAns: 'result' must be true or false");
        return OA_ESCHEMA;
    }
    m->test_result = res->u.boolean;
    if (!err || err->type == OA_JSON_NULL)
        return 0;
    if (err->type != OA_JSON_STRING) {
        snprintf(reterr, errlen, "TestAns: 'error' must be a string or null");
        return OA_ESCHEMA;
    }
    m->test_error = oa_strndup(err->u.str, err->len);
    return m->test_error ? 0 : -ENOMEM;
}

/* Decodes the object of a known code into m. */
static int decode_known(struct oa_json *obj, const char *code, const struct oa_msg_limits *lim,
                        struct oa_msg *m, char *reterr, size_t errlen)
{
    char why[768];
    int r;

    if (strcmp(code, "AppNotReady") == 0) {
        m->code = OA_MSG_APP_NOT_READY;
        return 0;
    }
    if (strcmp(code, "Test") == 0) {
        m->code = OA_MSG_TEST;
        return 0;
    }
    if (strcmp(code, "RecipeMetadata") == 0) {
        m->code = OA_MSG_RECIPE;
        if (!(m->recipe = oa_calloc(1, sizeof(*m->recipe))))
            return -ENOMEM;
        r = oa_msg_decode_recipe(obj, 0, lim->max_states, m->recipe, why, sizeof(why));
        if (r < 0)
            snprintf(reterr, errlen, "RecipeMetadata: %s", why);
        return r;
    }
    if (strcmp(code, "State") == 0) {
        m->code = OA_MSG_STATE;
        r = get_version(obj, "State", &m->version, reterr, errlen);
        return r < 0 ? r : get_name(obj, "id", "State", &m->id, reterr, errlen);
    }
    if (strcmp(code, "WaitList") == 0) {
        m->code = OA_MSG_WAIT_LIST;
        return decode_wait_list(obj, m, reterr, errlen);
    }
    if (strcmp(code, "AgentUpdate") == 0) {
        m->code = OA_MSG_AGENT_UPDATE;
        r = get_name(obj, "version", "AgentUpdate", &m->update_version, reterr, errlen);
        return r < 0 ? r : get_name(obj, "url", "AgentUpdate", &m->update_url, reterr, errlen);
    }
    if (strcmp(code, "TestAns") == 0) {
        m->code = OA_MSG_TEST_ANS;
        return decode_test_ans(obj, m, reterr, errlen);
    }
    snprintf(reterr, errlen, "unknown code '%.40s'", code);
    m->code = OA_MSG_UNKNOWN;
    return 0;
}

int oa_msg_decode(const char *text, size_t len, const struct oa_msg_limits *limits,
                  struct oa_msg *ret, char *reterr, size_t errlen)
{
    /* A message holds at most one node per two bytes. */
    struct oa_json_limits jl = {limits->max_depth, len / 2 + 16, OA_MSG_RAW_KEY};
    struct oa_msg m = {0};
    struct oa_json *root;
    const struct oa_json *code;
    int r;

    r = oa_json_parse(text, len, &jl, &root, reterr, errlen);
    if (r < 0)
        return r;
    code = oa_json_get(root, "code");
    if (root->type != OA_JSON_OBJECT) {
        snprintf(reterr, errlen, "not a JSON object but %s", oa_json_type_name(root));
        r = 0;
    } else if (!code || code->type != OA_JSON_STRING) {
        snprintf(reterr, errlen, "no string 'code'");
        r = 0;
    } else {
        r = decode_known(root, code->u.str, limits, &m, reterr, errlen);
    }
    oa_json_free(root);
    if (r < 0) {
        oa_msg_done(&m);
        return r;
    }
    *ret = m;
    return 0;
}
