/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/json.h: the bounded yajl tree builder. Covers every
 * JSON type, number source text, NUL bytes in strings, duplicate keys,
 * oa_json_take, the depth and node limits, syntax and UTF-8 errors with
 * their error texts, the round trip through oa_json_gen_value, and parsing
 * with the k-th allocation failing for every k.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "json.h"
#include "mem.h"

static struct oa_json *parse_ok(const char *text)
{
    struct oa_json *v = NULL;
    char err[200] = "";
    int r = oa_json_parse(text, strlen(text), NULL, &v, err, sizeof(err));

    if (r != 0)
        print_error("parse of %s failed: %s\n", text, err);
    assert_int_equal(r, 0);
    assert_non_null(v);
    return v;
}

/* Parses text expecting error code want and fragment in the error text. */
static void parse_fails(const char *text, size_t len, const struct oa_json_limits *limits, int want,
                        const char *fragment)
{
    struct oa_json *v = NULL;
    char err[200] = "";
    int r = oa_json_parse(text, len, limits, &v, err, sizeof(err));

    assert_int_equal(r, want);
    assert_null(v);
    if (!strstr(err, fragment))
        print_error("error text \"%s\" lacks \"%s\"\n", err, fragment);
    assert_non_null(strstr(err, fragment));
}

/* n nested arrays: "[[[...]]]". Caller frees. */
static char *nested_arrays(unsigned n)
{
    char *s = malloc(2 * (size_t)n + 1);

    assert_non_null(s);
    memset(s, '[', n);
    memset(s + n, ']', n);
    s[(size_t)2 * n] = '\0';
    return s;
}

static void test_scalars(void **state)
{
    struct oa_json *v;

    v = parse_ok("null");
    assert_int_equal(v->type, OA_JSON_NULL);
    assert_string_equal(oa_json_type_name(v), "null");
    oa_json_free(v);

    v = parse_ok(" true ");
    assert_int_equal(v->type, OA_JSON_BOOL);
    assert_true(v->u.boolean);
    oa_json_free(v);

    v = parse_ok("false\n");
    assert_int_equal(v->type, OA_JSON_BOOL);
    assert_false(v->u.boolean);
    assert_string_equal(oa_json_type_name(v), "bool");
    oa_json_free(v);

    v = parse_ok("\"h\\u00e9llo\\n\"");
    assert_int_equal(v->type, OA_JSON_STRING);
    assert_int_equal(v->len, 7);
    assert_string_equal(v->u.str, "h\xc3\xa9llo\n");
    assert_string_equal(oa_json_type_name(v), "string");
    oa_json_free(v);

    assert_string_equal(oa_json_type_name(NULL), "nothing");
}

static void test_numbers_keep_text(void **state)
{
    static const char *const numbers[] = {
        "0", "-0", "1000", "1.50", "-12.5e+3", "1E3", "12345678901234567890123456789",
    };

    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        struct oa_json *v = parse_ok(numbers[i]);
        assert_int_equal(v->type, OA_JSON_NUMBER);
        assert_string_equal(oa_json_type_name(v), "number");
        assert_int_equal(v->len, strlen(numbers[i]));
        assert_string_equal(v->u.str, numbers[i]);
        oa_json_free(v);
    }
}

static void test_string_with_nul(void **state)
{
    struct oa_json *v = parse_ok("{\"k\\u0000ey\": \"a\\u0000b\"}");
    struct oa_json *s;

    assert_int_equal(v->type, OA_JSON_OBJECT);
    assert_int_equal(v->len, 1);
    s = v->u.members[0].value;
    assert_int_equal(s->type, OA_JSON_STRING);
    assert_int_equal(s->len, 3);
    assert_memory_equal(s->u.str, "a\0b", 4);
    oa_json_free(v);
}

static void test_array_and_object(void **state)
{
    struct oa_json *v = parse_ok("[1, \"two\", [], {}, {\"a\": [null, false]}]");
    struct oa_json *inner;

    assert_int_equal(v->type, OA_JSON_ARRAY);
    assert_string_equal(oa_json_type_name(v), "array");
    assert_int_equal(v->len, 5);
    assert_int_equal(v->u.items[0]->type, OA_JSON_NUMBER);
    assert_string_equal(v->u.items[1]->u.str, "two");
    assert_int_equal(v->u.items[2]->type, OA_JSON_ARRAY);
    assert_int_equal(v->u.items[2]->len, 0);
    assert_int_equal(v->u.items[3]->type, OA_JSON_OBJECT);
    assert_int_equal(v->u.items[3]->len, 0);
    assert_string_equal(oa_json_type_name(v->u.items[3]), "object");
    inner = oa_json_get(v->u.items[4], "a");
    assert_non_null(inner);
    assert_int_equal(inner->len, 2);
    assert_int_equal(inner->u.items[0]->type, OA_JSON_NULL);
    assert_int_equal(inner->u.items[1]->type, OA_JSON_BOOL);
    /* oa_json_get on something that is not an object, or a missing key. */
    assert_null(oa_json_get(v, "a"));
    assert_null(oa_json_get(v->u.items[4], "b"));
    assert_null(oa_json_get(NULL, "a"));
    oa_json_free(v);
}

static void test_many_items(void **state)
{
    /* Enough items and members to grow the frames several times. */
    char text[4096] = "[";
    size_t len = 1;
    struct oa_json *v;

    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d", i ? "," : "", i);
    snprintf(text + len, sizeof(text) - len, "]");
    v = parse_ok(text);
    assert_int_equal(v->len, 300);
    assert_string_equal(v->u.items[299]->u.str, "299");
    oa_json_free(v);
}

static void test_duplicate_keys(void **state)
{
    struct oa_json *v = parse_ok("{\"a\": 1, \"b\": 2, \"a\": 3}");
    struct oa_json *a = oa_json_get(v, "a");

    assert_int_equal(v->len, 3);
    assert_non_null(a);
    assert_string_equal(a->u.str, "3");
    oa_json_free(v);
}

static void test_take(void **state)
{
    struct oa_json *v = parse_ok("{\"p\": {\"x\": [1]}, \"q\": true}");
    struct oa_json *p = oa_json_take(v, "p");
    yajl_gen g = oa_json_gen_new();
    const unsigned char *out;
    size_t len;

    assert_non_null(p);
    assert_int_equal(p->type, OA_JSON_OBJECT);
    assert_null(oa_json_get(v, "p"));
    assert_null(oa_json_take(v, "p"));
    assert_null(oa_json_take(v, "missing"));
    assert_null(oa_json_take(p->u.members[0].value, "x")); /* not an object */
    /* The emptied member is skipped when writing. */
    assert_non_null(g);
    assert_int_equal(oa_json_gen_value(g, v), 0);
    assert_int_equal(yajl_gen_get_buf(g, &out, &len), yajl_gen_status_ok);
    assert_int_equal(len, strlen("{\"q\":true}"));
    assert_memory_equal(out, "{\"q\":true}", len);
    yajl_gen_free(g);
    oa_json_free(v);
    oa_json_free(p);
}

static void test_depth_default(void **state)
{
    char *ok = nested_arrays(OA_JSON_DEFAULT_DEPTH);
    char *deep = nested_arrays(OA_JSON_DEFAULT_DEPTH + 1);
    struct oa_json *v = parse_ok(ok);

    oa_json_free(v);
    parse_fails(deep, strlen(deep), NULL, OA_EDEPTH, "nested deeper than 64 levels");
    free(ok);
    free(deep);
}

static void test_depth_custom(void **state)
{
    struct oa_json_limits limits = {3, SIZE_MAX, NULL};
    struct oa_json *v = NULL;
    const char *ok = "{\"a\": [{\"b\": 1}]}";
    const char *deep = "{\"a\": [{\"b\": []}]}";

    assert_int_equal(oa_json_parse(ok, strlen(ok), &limits, &v, NULL, 0), 0);
    oa_json_free(v);
    parse_fails(deep, strlen(deep), &limits, OA_EDEPTH, "nested deeper than 3 levels");
}

static void test_node_limit(void **state)
{
    struct oa_json_limits limits = {OA_JSON_DEFAULT_DEPTH, 5, NULL};
    struct oa_json *v = NULL;

    /* The array itself counts as a value: 1 + 4. */
    assert_int_equal(oa_json_parse("[1,2,3,4]", 9, &limits, &v, NULL, 0), 0);
    oa_json_free(v);
    parse_fails("[1,2,3,4,5]", 11, &limits, OA_ETOOBIG, "more than 5 values");
    parse_fails("{\"a\":{\"b\":{\"c\":[1,2]}}}", 22, &limits, OA_ETOOBIG, "more than 5 values");
}

/* Offsets follow yajl: the bytes consumed up to and including the bad
 * token; an error found only at the end of the text is at its length. */
static void test_syntax_errors(void **state)
{
    static const struct {
        const char *text;
        const char *fragment;
    } rows[] = {
        {"[1, 2, }", "invalid JSON at byte 8: unallowed token"},
        {"{\"a\" 1}", "invalid JSON at byte 6: object key and value"},
        {"{\"a\": 01}", "invalid JSON at byte 7"},
        {"'single'", "invalid JSON at byte 1: lexical error"},
        {"tru", "invalid JSON at byte 3"},
        {"[1, 2", "invalid JSON at byte 5: premature EOF"},
        {"[1] x", "invalid JSON at byte 5: trailing garbage"},
        {"1 2", "invalid JSON at byte 3: trailing garbage"},
        {"{} {}", "invalid JSON at byte 4: trailing garbage"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        parse_fails(rows[i].text, strlen(rows[i].text), NULL, OA_ESYNTAX, rows[i].fragment);
}

static void test_empty_input(void **state)
{
    parse_fails("", 0, NULL, OA_ESYNTAX, "invalid JSON: empty input");
    parse_fails("   \n\t\r", 6, NULL, OA_ESYNTAX, "invalid JSON: empty input");
}

static void test_invalid_utf8(void **state)
{
    static const struct {
        const char *text;
        const char *fragment;
    } rows[] = {
        {"\"a\xff\"", "at byte 2"},                       /* never valid */
        {"\"\xc3\"", "at byte 1"},                        /* truncated */
        {"{\"k\xe2\x82\": 1}", "at byte 3"},              /* truncated, in a key */
        {"\"\xc0\xaf\"", "at byte 1: invalid UTF-8"},     /* overlong */
        {"[1, \xff]", "at byte 4: invalid UTF-8"},        /* outside a string */
        {"\"\\udfff\"", "invalid UTF-8"},                 /* escaped surrogate */
        {"{\"\\udfff\": 1}", "invalid UTF-8"},            /* escaped, in a key */
        {"\"\xe0\x80\xaf\"", "invalid UTF-8"},            /* overlong, 3 bytes */
        {"\"\xed\xa0\x80\"", "invalid UTF-8"},            /* surrogate U+D800 */
        {"\"\xf4\x90\x80\x80\"", "invalid UTF-8"},        /* U+110000 */
        {"[\"ok\", {\"\xc0\xaf\": 1}]", "invalid UTF-8"}, /* overlong key */
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        parse_fails(rows[i].text, strlen(rows[i].text), NULL, OA_ESYNTAX, rows[i].fragment);
        parse_fails(rows[i].text, strlen(rows[i].text), NULL, OA_ESYNTAX, "invalid JSON at byte");
    }
}

static void test_null_reterr(void **state)
{
    struct oa_json *v = NULL;

    assert_int_equal(oa_json_parse("[", 1, NULL, &v, NULL, 0), OA_ESYNTAX);
    assert_null(v);
}

/* Structural equality; numbers compare by source text. */
static bool json_equal(const struct oa_json *a, const struct oa_json *b)
{
    if (a->type != b->type || (a->type != OA_JSON_BOOL && a->len != b->len))
        return false;
    switch (a->type) {
    case OA_JSON_NULL:
        return true;
    case OA_JSON_BOOL:
        return a->u.boolean == b->u.boolean;
    case OA_JSON_NUMBER:
    case OA_JSON_STRING:
    case OA_JSON_RAW:
        return memcmp(a->u.str, b->u.str, a->len) == 0;
    case OA_JSON_ARRAY:
        for (size_t i = 0; i < a->len; i++)
            if (!json_equal(a->u.items[i], b->u.items[i]))
                return false;
        return true;
    case OA_JSON_OBJECT:
        for (size_t i = 0; i < a->len; i++)
            if (strcmp(a->u.members[i].key, b->u.members[i].key) != 0 ||
                !json_equal(a->u.members[i].value, b->u.members[i].value))
                return false;
        return true;
    }
    return false;
}

static const char complex_doc[] =
    "{\"code\": \"RecipeMetadata\", \"recipe_version\": 3,\n"
    " \"module\": {\"repo\": \"https://example.com/m.git\", \"tag\": \"v1.2\"},\n"
    " \"state\": [\n"
    "  {\"id\": \"s1\", \"module\": \"linux.cmd\",\n"
    "   \"parameter\": {\"cmd\": \"echo \\\"hi\\\"\\n\", \"timeout\": 1000,\n"
    "                 \"env\": [{\"key\": \"A\", \"value\": \"1\"}, {\"key\": \"B\"}]}},\n"
    "  {\"id\": \"s2\", \"module\": \"meta.wait\", \"parameter\": {\"state\": null,\n"
    "   \"x\": [true, false, -1.5e3, \"\\u00e9\\u4e2d\\ud83d\\ude00\", \"t\\u0000z\"]}}\n"
    " ]}";

static void test_round_trip(void **state)
{
    struct oa_json *a = parse_ok(complex_doc), *b = NULL;
    yajl_gen g = oa_json_gen_new();
    const unsigned char *out;
    size_t len;

    assert_non_null(g);
    assert_int_equal(oa_json_gen_value(g, a), 0);
    assert_int_equal(yajl_gen_get_buf(g, &out, &len), yajl_gen_status_ok);
    assert_int_equal(oa_json_parse((const char *)out, len, NULL, &b, NULL, 0), 0);
    assert_true(json_equal(a, b));
    yajl_gen_free(g);
    oa_json_free(a);
    oa_json_free(b);
}

/* Objects under raw_key keep their exact text, wherever they are; the
 * rest of the tree is as usual. */
static void test_raw_key(void **state)
{
    struct oa_json_limits limits = {OA_JSON_DEFAULT_DEPTH, SIZE_MAX, "parameter"};
    struct oa_json *a = NULL, *b = NULL, *states, *p;
    const char *s1_param = strstr(complex_doc, "{\"cmd\"");
    const char *s2_param = strstr(complex_doc, "{\"state\"");
    const char *end = strstr(complex_doc, "\n ]}");
    yajl_gen g = oa_json_gen_new();
    const unsigned char *out;
    const char *text;
    size_t len;

    assert_int_equal(oa_json_parse(complex_doc, strlen(complex_doc), &limits, &a, NULL, 0), 0);
    states = oa_json_get(a, "state");
    assert_int_equal(states->len, 2);
    p = oa_json_get(states->u.items[0], "parameter");
    assert_int_equal(p->type, OA_JSON_RAW);
    assert_string_equal(oa_json_type_name(p), "object");
    assert_int_equal(p->len, (size_t)(strstr(s1_param, "}]}},") + 3 - s1_param));
    assert_memory_equal(p->u.str, s1_param, p->len);
    assert_int_equal(p->u.str[p->len], '\0');
    p = oa_json_get(states->u.items[1], "parameter");
    assert_int_equal(p->type, OA_JSON_RAW);
    assert_int_equal(p->len, (size_t)(end - 1 - s2_param));
    assert_memory_equal(p->u.str, s2_param, p->len);
    /* Its text parses to what the plain parse gives; the whole tree writes
     * out to the same document. */
    assert_int_equal(oa_json_parse(p->u.str, p->len, NULL, &b, NULL, 0), 0);
    assert_int_equal(oa_json_get(b, "x")->len, 5);
    oa_json_free(b);
    assert_int_equal(oa_json_gen_value(g, a), 0);
    assert_int_equal(yajl_gen_get_buf(g, &out, &len), yajl_gen_status_ok);
    assert_int_equal(oa_json_parse((const char *)out, len, NULL, &b, NULL, 0), 0);
    yajl_gen_free(g);
    oa_json_free(a);
    a = parse_ok(complex_doc);
    assert_true(json_equal(a, b));
    oa_json_free(a);
    oa_json_free(b);

    /* Only an object is kept raw; a key inside a raw object stays text. */
    a = NULL;
    text = "[{\"parameter\": [1]}, {\"parameter\": \"s\"},"
           " {\"parameter\": {\"parameter\": {}}}, {\"parameter\":{}}]";
    assert_int_equal(oa_json_parse(text, strlen(text), &limits, &a, NULL, 0), 0);
    assert_int_equal(oa_json_get(a->u.items[0], "parameter")->type, OA_JSON_ARRAY);
    assert_int_equal(oa_json_get(a->u.items[1], "parameter")->type, OA_JSON_STRING);
    p = oa_json_get(a->u.items[2], "parameter");
    assert_int_equal(p->type, OA_JSON_RAW);
    assert_string_equal(p->u.str, "{\"parameter\": {}}");
    assert_string_equal(oa_json_get(a->u.items[3], "parameter")->u.str, "{}");
    oa_json_free(a);
}

/* Inside a raw object the limits and checks hold as anywhere else. */
static void test_raw_key_limits(void **state)
{
    struct oa_json_limits deep = {3, SIZE_MAX, "p"}, few = {OA_JSON_DEFAULT_DEPTH, 4, "p"};
    struct oa_json *v = NULL;

#define TEXT(s) s, strlen(s)
    assert_int_equal(oa_json_parse(TEXT("{\"p\": {\"a\": []}}"), &deep, &v, NULL, 0), 0);
    oa_json_free(v);
    parse_fails(TEXT("{\"p\": {\"a\": [[]]}}"), &deep, OA_EDEPTH, "deeper than 3");
    parse_fails(TEXT("{\"p\": {\"a\": [1, 2]}}"), &few, OA_ETOOBIG, "more than 4 values");
    parse_fails(TEXT("{\"p\": {\"a\": \"\\udfff\"}}"), &few, OA_ESYNTAX, "invalid UTF-8");
    parse_fails(TEXT("{\"p\": {\"a\": tru}}"), &few, OA_ESYNTAX, "invalid JSON at byte");
#undef TEXT
}

static void test_gen_helpers(void **state)
{
    static const char want[] = "{\"s\":\"v\",\"n\":null,\"i\":-42,\"b\":false,\"x\":\"a\\u0000\"}";
    struct oa_json *obj = oa_json_new_object();
    yajl_gen g = oa_json_gen_new();
    const unsigned char *out;
    size_t len;

    assert_non_null(obj);
    assert_int_equal(obj->type, OA_JSON_OBJECT);
    assert_int_equal(obj->len, 0);
    assert_non_null(g);
    assert_int_equal(yajl_gen_map_open(g), yajl_gen_status_ok);
    assert_int_equal(oa_json_gen_key_str(g, "s", "v"), 0);
    assert_int_equal(oa_json_gen_key_str(g, "n", NULL), 0);
    assert_int_equal(oa_json_gen_key_int(g, "i", -42), 0);
    assert_int_equal(oa_json_gen_key_bool(g, "b", false), 0);
    assert_int_equal(oa_json_gen_str(g, "x"), 0);
    assert_int_equal(oa_json_gen_strn(g, "a\0", 2), 0);
    /* The generator checks UTF-8. */
    assert_int_equal(oa_json_gen_strn(g, "\xff", 1), OA_EUTF8);
    assert_int_equal(oa_json_gen_strn(g, "\xc0\xaf", 2), OA_EUTF8);
    assert_int_equal(oa_json_gen_strn(g, "\xed\xa0\x80", 3), OA_EUTF8);
    assert_int_equal(yajl_gen_map_close(g), yajl_gen_status_ok);
    assert_int_equal(yajl_gen_get_buf(g, &out, &len), yajl_gen_status_ok);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    yajl_gen_free(g);
    oa_json_free(obj);
}

/* Every allocation in turn fails: the parse says -ENOMEM and leaks nothing
 * (the sanitizer build checks), with and without a raw_key (arena). */
static void alloc_failures(const struct oa_json_limits *limits)
{
    unsigned long k;

    for (k = 1; k < 100000; k++) {
        struct oa_json *v = NULL;
        char err[200] = "";
        int r;

        oa_mem_fail_after(k);
        r = oa_json_parse(complex_doc, strlen(complex_doc), limits, &v, err, sizeof(err));
        if (r == 0) {
            oa_mem_fail_after(0);
            assert_non_null(v);
            oa_json_free(v);
            break;
        }
        if (r != -ENOMEM)
            print_error("k=%lu: %d (%s)\n", k, r, err);
        assert_int_equal(r, -ENOMEM);
        assert_null(v);
    }
    oa_mem_fail_after(0);
    /* One more attempt succeeded. */
    assert_true(k > 2);
    assert_true(k < 100000);
}

static void test_alloc_failures(void **state)
{
    struct oa_json_limits raw = {OA_JSON_DEFAULT_DEPTH, SIZE_MAX, "parameter"};

    alloc_failures(NULL);
    alloc_failures(&raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_numbers_keep_text),
        cmocka_unit_test(test_string_with_nul),
        cmocka_unit_test(test_array_and_object),
        cmocka_unit_test(test_many_items),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_depth_default),
        cmocka_unit_test(test_depth_custom),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_null_reterr),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_raw_key),
        cmocka_unit_test(test_raw_key_limits),
        cmocka_unit_test(test_gen_helpers),
        cmocka_unit_test(test_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
