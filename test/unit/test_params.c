/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for builtins/params.h, the parameter validation shared by all
 * modules (modules.md §1.1 wire types, §1.2 presence and validation).
 * Coercion is table-driven: one row per accepted encoding or rejected
 * value of each type. Also: required and empty parameters, the comments of
 * failures, warnings for unknown parameters, the number readers and
 * parsing with the k-th allocation failing.
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
#include "mem.h"
#include "params.h"

/* A parsed parameter object and what oa_params_parse made of it. */
struct run {
    struct oa_json *obj;
    struct oa_params p;
    struct oa_buf warnings;
    char err[256];
    int r;
};

static void run_parse(struct run *t, const struct oa_param_spec *spec, size_t n, const char *json)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(oa_json_parse(json, strlen(json), NULL, &t->obj, NULL, 0), 0);
    oa_buf_init(&t->warnings, 4096);
    t->r = oa_params_parse(spec, n, t->obj, &t->p, &t->warnings, t->err, sizeof(t->err));
}

static void run_done(struct run *t)
{
    if (t->r == 0)
        oa_params_done(&t->p);
    oa_buf_done(&t->warnings);
    oa_json_free(t->obj);
}

/* One text for any coerced value: items joined by '|', "k=v;" pairs,
 * "true"/"false", or the JSON type of a raw STATE value. */
static char *describe(enum oa_ptype type, const struct oa_pvalue *v)
{
    struct oa_buf b;

    oa_buf_init(&b, SIZE_MAX);
    if (!v->present)
        assert_int_equal(oa_buf_puts(&b, "<absent>"), 0);
    else if (type == OA_PT_LINE || type == OA_PT_TEXT)
        assert_int_equal(oa_buf_puts(&b, v->str), 0);
    else if (type == OA_PT_ARRAY)
        for (size_t i = 0; i < v->n; i++)
            assert_int_equal(oa_buf_printf(&b, "%s%s", i ? "|" : "", v->items[i]), 0);
    else if (type == OA_PT_DICT)
        for (size_t i = 0; i < v->n; i++)
            assert_int_equal(oa_buf_printf(&b, "%s=%s;", v->kv[i].key, v->kv[i].value), 0);
    else if (type == OA_PT_BOOL)
        assert_int_equal(oa_buf_puts(&b, v->boolean ? "true" : "false"), 0);
    else if (type == OA_PT_ARRAY_OR_BOOL && v->n == 0)
        assert_int_equal(oa_buf_puts(&b, v->boolean ? "bool:true" : "bool:false"), 0);
    else if (type == OA_PT_ARRAY_OR_BOOL)
        for (size_t i = 0; i < v->n; i++)
            assert_int_equal(oa_buf_printf(&b, "%s%s", i ? "|" : "", v->items[i]), 0);
    else
        assert_int_equal(oa_buf_puts(&b, oa_json_type_name(v->raw)), 0);
    return oa_buf_steal(&b, NULL);
}

struct coerce_row {
    enum oa_ptype type;
    unsigned flags;
    const char *value; /* JSON text of the value of parameter "p" */
    const char *want;  /* describe() of the result; NULL: rejected */
};

static void run_coerce_rows(const struct coerce_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct oa_param_spec spec = {"p", rows[i].type, rows[i].flags};
        char json[512];
        struct run t;

        snprintf(json, sizeof(json), "{\"p\": %s}", rows[i].value);
        run_parse(&t, &spec, 1, json);
        if (rows[i].want) {
            if (t.r != 0)
                print_error("row %zu (%s): %s\n", i, rows[i].value, t.err);
            assert_int_equal(t.r, 0);
            char *got = describe(rows[i].type, oa_params_get(&t.p, "p"));
            if (strcmp(got, rows[i].want) != 0)
                print_error("row %zu (%s)\n", i, rows[i].value);
            assert_string_equal(got, rows[i].want);
            oa_free(got);
        } else {
            if (t.r != OA_ESCHEMA)
                print_error("row %zu (%s) accepted\n", i, rows[i].value);
            assert_int_equal(t.r, OA_ESCHEMA);
            assert_int_equal(strncmp(t.err, "parameter 'p': expected ", 24), 0);
        }
        run_done(&t);
    }
}

#define ROWS(rows) run_coerce_rows(rows, sizeof(rows) / sizeof((rows)[0]))

static void test_line_and_text(void **state)
{
    static const struct coerce_row rows[] = {
        {OA_PT_LINE, 0, "\"hello world\"", "hello world"},
        {OA_PT_LINE, 0, "1000", "1000"},
        {OA_PT_LINE, 0, "1.50", "1.50"},
        {OA_PT_LINE, 0, "\"@{host1.PrivateIpAddress}\"", "@{host1.PrivateIpAddress}"},
        {OA_PT_LINE, 0, "true", NULL},
        {OA_PT_LINE, 0, "[\"a\"]", NULL},
        {OA_PT_LINE, 0, "{\"a\": \"b\"}", NULL},
        {OA_PT_TEXT, 0, "\"two\\nlines\\n\"", "two\nlines\n"},
        {OA_PT_TEXT, 0, "5", NULL},
        {OA_PT_TEXT, 0, "false", NULL},
        {OA_PT_TEXT, 0, "[\"a\", \"b\"]", NULL},
        /* OA_PF_JOIN_LINES: an array joined with "\n". */
        {OA_PT_LINE, OA_PF_JOIN_LINES, "[\"a\", \"b\", \"c\"]", "a\nb\nc"},
        {OA_PT_LINE, OA_PF_JOIN_LINES, "[\"a\", 2]", "a\n2"},
        {OA_PT_LINE, OA_PF_JOIN_LINES, "[\"only\"]", "only"},
        {OA_PT_LINE, OA_PF_JOIN_LINES, "\"plain\"", "plain"},
        {OA_PT_LINE, OA_PF_JOIN_LINES, "[\"a\", true]", NULL},
        {OA_PT_LINE, OA_PF_JOIN_LINES, "[\"a\", null]", NULL},
        {OA_PT_LINE, OA_PF_JOIN_LINES, "[[\"a\"]]", NULL},
        {OA_PT_TEXT, OA_PF_JOIN_LINES, "[\"l1\", \"l2\"]", "l1\nl2"},
        {OA_PT_TEXT, OA_PF_JOIN_LINES, "\"text\"", "text"},
    };

    ROWS(rows);
}

static void test_array(void **state)
{
    static const struct coerce_row rows[] = {
        {OA_PT_ARRAY, 0, "\"one\"", "one"},
        {OA_PT_ARRAY, 0, "7", "7"},
        {OA_PT_ARRAY, 0, "[\"a\", \"b\"]", "a|b"},
        {OA_PT_ARRAY, 0, "[\"b\", \"a\"]", "b|a"},
        {OA_PT_ARRAY, 0, "[\"a\", 2, 3.5]", "a|2|3.5"},
        {OA_PT_ARRAY, 0, "[\"a\", true]", NULL},
        {OA_PT_ARRAY, 0, "[\"a\", null]", NULL},
        {OA_PT_ARRAY, 0, "[[\"a\"]]", NULL},
        {OA_PT_ARRAY, 0, "[{}]", NULL},
        {OA_PT_ARRAY, 0, "{\"a\": \"b\"}", NULL},
        {OA_PT_ARRAY, 0, "true", NULL},
    };

    ROWS(rows);
}

static void test_dict(void **state)
{
    static const struct coerce_row rows[] = {
        {OA_PT_DICT, 0,
         "[{\"key\": \"A\", \"value\": \"1\"}, {\"key\": \"B\"}, {\"key\": \"C\", \"value\": null},"
         " {\"key\": \"D\", \"value\": \"\"}, {\"key\": \"E\", \"value\": 5}]",
         "A=1;B=;C=;D=;E=5;"},
        {OA_PT_DICT, 0, "{\"A\": \"1\", \"B\": 2, \"C\": null}", "A=1;B=2;C=;"},
        {OA_PT_DICT, 0, "[\"A\", \"B\"]", "A=;B=;"},
        {OA_PT_DICT, 0, "\"A=1 B=2 C\"", "A=1;B=2;C=;"},
        {OA_PT_DICT, 0, "\"  X=a=b\\tY= \"", "X=a=b;Y=;"},
        /* A repeated key keeps its first position and takes the last value. */
        {OA_PT_DICT, 0,
         "[{\"key\": \"A\", \"value\": \"1\"}, {\"key\": \"B\", \"value\": \"2\"},"
         " {\"key\": \"A\", \"value\": \"3\"}]",
         "A=3;B=2;"},
        {OA_PT_DICT, 0, "{\"A\": \"1\", \"B\": \"2\", \"A\": \"3\"}", "A=3;B=2;"},
        {OA_PT_DICT, 0, "\"A=1 B=2 A=3\"", "A=3;B=2;"},
        {OA_PT_DICT, 0, "[{\"value\": \"1\"}]", NULL},
        {OA_PT_DICT, 0, "[{\"key\": true, \"value\": \"1\"}]", NULL},
        {OA_PT_DICT, 0, "[{\"key\": \"A\", \"value\": [1]}]", NULL},
        {OA_PT_DICT, 0, "[{\"key\": \"A\", \"value\": false}]", NULL},
        {OA_PT_DICT, 0, "[true]", NULL},
        {OA_PT_DICT, 0, "[[\"A\", \"1\"]]", NULL},
        {OA_PT_DICT, 0, "{\"A\": {}}", NULL},
        {OA_PT_DICT, 0, "{\"A\": true}", NULL},
        {OA_PT_DICT, 0, "true", NULL},
        {OA_PT_DICT, 0, "5", NULL},
    };

    ROWS(rows);
}

static void test_bool(void **state)
{
    static const struct coerce_row rows[] = {
        {OA_PT_BOOL, 0, "true", "true"},
        {OA_PT_BOOL, 0, "false", "false"},
        {OA_PT_BOOL, 0, "\"true\"", "true"},
        {OA_PT_BOOL, 0, "\"True\"", "true"},
        {OA_PT_BOOL, 0, "\"TRUE\"", "true"},
        {OA_PT_BOOL, 0, "\"yes\"", "true"},
        {OA_PT_BOOL, 0, "\"Yes\"", "true"},
        {OA_PT_BOOL, 0, "\"y\"", "true"},
        {OA_PT_BOOL, 0, "\"Y\"", "true"},
        {OA_PT_BOOL, 0, "\"1\"", "true"},
        {OA_PT_BOOL, 0, "1", "true"},
        {OA_PT_BOOL, 0, "\"false\"", "false"},
        {OA_PT_BOOL, 0, "\"False\"", "false"},
        {OA_PT_BOOL, 0, "\"no\"", "false"},
        {OA_PT_BOOL, 0, "\"NO\"", "false"},
        {OA_PT_BOOL, 0, "\"n\"", "false"},
        {OA_PT_BOOL, 0, "\"0\"", "false"},
        {OA_PT_BOOL, 0, "0", "false"},
        {OA_PT_BOOL, 0, "2", NULL},
        {OA_PT_BOOL, 0, "1.0", NULL},
        {OA_PT_BOOL, 0, "\"2\"", NULL},
        {OA_PT_BOOL, 0, "\"maybe\"", NULL},
        {OA_PT_BOOL, 0, "\"yess\"", NULL},
        {OA_PT_BOOL, 0, "\" true\"", NULL},
        {OA_PT_BOOL, 0, "[true]", NULL},
        {OA_PT_BOOL, 0, "{\"a\": 1}", NULL},
    };

    ROWS(rows);
}

/* `watch`: a list of files, or a bool (modules.md §1.7, §I). */
static void test_array_or_bool(void **state)
{
    static const struct coerce_row rows[] = {
        {OA_PT_ARRAY_OR_BOOL, 0, "[\"/a\", \"/b\"]", "/a|/b"},
        {OA_PT_ARRAY_OR_BOOL, 0, "\"/a\"", "/a"},
        {OA_PT_ARRAY_OR_BOOL, 0, "[\"/a\", 2]", "/a|2"},
        {OA_PT_ARRAY_OR_BOOL, 0, "true", "bool:true"},
        {OA_PT_ARRAY_OR_BOOL, 0, "false", "bool:false"},
        {OA_PT_ARRAY_OR_BOOL, 0, "\"True\"", "bool:true"},
        {OA_PT_ARRAY_OR_BOOL, 0, "\"no\"", "bool:false"},
        {OA_PT_ARRAY_OR_BOOL, 0, "1", "bool:true"},
        /* Inside a list a bool word is a (relative, later rejected) path. */
        {OA_PT_ARRAY_OR_BOOL, 0, "[\"true\"]", "true"},
        {OA_PT_ARRAY_OR_BOOL, 0, "[true]", NULL},
        {OA_PT_ARRAY_OR_BOOL, 0, "[\"/a\", null]", NULL},
        {OA_PT_ARRAY_OR_BOOL, 0, "{\"a\": \"b\"}", NULL},
    };

    ROWS(rows);
}

static void test_state_raw(void **state)
{
    static const struct coerce_row rows[] = {
        {OA_PT_STATE, 0, "[{\"id\": \"s1\"}]", "array"},
        {OA_PT_STATE, 0, "\"@{s1}\"", "string"},
        {OA_PT_STATE, 0, "{\"a\": 1}", "object"},
        {OA_PT_STATE, 0, "true", "bool"},
    };
    static const struct oa_param_spec spec = {"state", OA_PT_STATE, 0};
    struct run t;

    ROWS(rows);
    /* The raw value is the parsed tree itself, not a copy. */
    run_parse(&t, &spec, 1, "{\"state\": [\"x\"]}");
    assert_int_equal(t.r, 0);
    assert_ptr_equal(oa_params_get(&t.p, "state")->raw, oa_json_get(t.obj, "state"));
    run_done(&t);
}

static void test_empty_is_absent(void **state)
{
    static const enum oa_ptype types[] = {OA_PT_LINE, OA_PT_TEXT,  OA_PT_ARRAY,        OA_PT_DICT,
                                          OA_PT_BOOL, OA_PT_STATE, OA_PT_ARRAY_OR_BOOL};
    static const char *const empties[] = {"\"\"", "[]", "null", "{}"};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        for (size_t j = 0; j < sizeof(empties) / sizeof(empties[0]); j++) {
            struct coerce_row row = {types[i], 0, empties[j], "<absent>"};
            run_coerce_rows(&row, 1);
        }
    }
}

static void test_missing_required(void **state)
{
    static const struct oa_param_spec spec[] = {
        {"cmd", OA_PT_TEXT, OA_PF_REQUIRED},
        {"env", OA_PT_DICT, 0},
    };
    static const char *const objs[] = {
        "{}", "{\"env\": {}}", "{\"cmd\": \"\"}", "{\"cmd\": []}", "{\"cmd\": null}",
    };

    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        struct run t;
        run_parse(&t, spec, 2, objs[i]);
        assert_int_equal(t.r, OA_ESCHEMA);
        assert_string_equal(t.err, "missing required parameter 'cmd'");
        run_done(&t);
    }
}

static void test_required_present(void **state)
{
    static const struct oa_param_spec spec[] = {
        {"n", OA_PT_LINE, OA_PF_REQUIRED},
        {"flag", OA_PT_BOOL, OA_PF_REQUIRED},
        {"opt", OA_PT_LINE, 0},
    };
    struct run t;

    /* 0 and false are values, not empty ones. */
    run_parse(&t, spec, 3, "{\"flag\": false, \"n\": 0}");
    assert_int_equal(t.r, 0);
    assert_string_equal(oa_params_str(&t.p, "n"), "0");
    assert_false(oa_params_bool(&t.p, "flag", true));
    assert_null(oa_params_str(&t.p, "opt"));
    assert_false(oa_params_get(&t.p, "opt")->present);
    assert_true(oa_params_bool(&t.p, "opt", true));
    run_done(&t);
}

static void test_wrong_type_comment(void **state)
{
    static const struct oa_param_spec spec[] = {{"force", OA_PT_BOOL, 0}};
    struct run t;

    run_parse(&t, spec, 1, "{\"force\": [1]}");
    assert_int_equal(t.r, OA_ESCHEMA);
    assert_int_equal(strncmp(t.err, "parameter 'force': expected ", 28), 0);
    assert_non_null(strstr(t.err, "got array"));
    run_done(&t);
}

static void test_unknown_parameters(void **state)
{
    static const struct oa_param_spec spec[] = {{"name", OA_PT_ARRAY, OA_PF_REQUIRED}};
    static const char obj[] = "{\"fromrepo\": \"x\", \"name\": \"nginx\", \"verify_gpg\": true}";
    struct oa_params p;
    struct oa_json *v = NULL;
    struct run t;

    run_parse(&t, spec, 1, obj);
    assert_int_equal(t.r, 0);
    assert_string_equal(t.warnings.data, "ignoring unknown parameter 'fromrepo'\n"
                                         "ignoring unknown parameter 'verify_gpg'\n");
    run_done(&t);
    /* Without a warnings buffer, unknown parameters are just ignored. */
    assert_int_equal(oa_json_parse(obj, strlen(obj), NULL, &v, NULL, 0), 0);
    assert_int_equal(oa_params_parse(spec, 1, v, &p, NULL, NULL, 0), 0);
    assert_string_equal(oa_params_get(&p, "name")->items[0], "nginx");
    oa_params_done(&p);
    oa_json_free(v);
}

static void test_warnings_over_cap(void **state)
{
    static const struct oa_param_spec spec[] = {{"a", OA_PT_LINE, 0}};
    struct oa_json *v = NULL;
    struct oa_params p;
    struct oa_buf w;

    assert_int_equal(oa_json_parse("{\"a\": \"1\", \"zz\": 1}", 19, NULL, &v, NULL, 0), 0);
    oa_buf_init(&w, 10);
    /* A full warnings buffer does not fail the state. */
    assert_int_equal(oa_params_parse(spec, 1, v, &p, &w, NULL, 0), 0);
    assert_int_equal(w.len, 0);
    oa_params_done(&p);
    oa_buf_done(&w);
    oa_json_free(v);
}

struct uint_row {
    const char *obj;
    uint64_t min, max;
    int want_r;
    uint64_t want;
};

static void test_params_uint(void **state)
{
    static const struct oa_param_spec spec[] = {{"timeout", OA_PT_LINE, 0}};
    static const struct uint_row rows[] = {
        {"{\"timeout\": \"1000\"}", 1, 86400, 0, 1000},
        {"{\"timeout\": 1000}", 1, 86400, 0, 1000},
        {"{\"timeout\": \"1\"}", 1, 86400, 0, 1},
        {"{\"timeout\": \"86400\"}", 1, 86400, 0, 86400},
        {"{}", 1, 86400, 0, 42},
        {"{\"timeout\": \"\"}", 1, 86400, 0, 42},
        {"{\"timeout\": \"0\"}", 1, 86400, OA_ESCHEMA, 0},
        {"{\"timeout\": \"86401\"}", 1, 86400, OA_ESCHEMA, 0},
        {"{\"timeout\": \"7\"}", 0, 5, OA_ESCHEMA, 0},
        {"{\"timeout\": \"-5\"}", 0, 100, OA_ESCHEMA, 0},
        {"{\"timeout\": \"1.5\"}", 0, 100, OA_ESCHEMA, 0},
        {"{\"timeout\": \"10s\"}", 0, 100, OA_ESCHEMA, 0},
        {"{\"timeout\": \"99999999999999999999\"}", 0, UINT64_MAX, OA_ESCHEMA, 0},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint64_t v = 12345;
        char err[256] = "";
        struct run t;

        run_parse(&t, spec, 1, rows[i].obj);
        assert_int_equal(t.r, 0);
        int r = oa_params_uint(&t.p, "timeout", rows[i].min, rows[i].max, 42, &v, err, sizeof(err));
        if (r != rows[i].want_r)
            print_error("row %zu (%s)\n", i, rows[i].obj);
        assert_int_equal(r, rows[i].want_r);
        if (r == 0)
            assert_int_equal(v, rows[i].want);
        else
            assert_int_equal(strncmp(err, "parameter 'timeout': expected a whole number from ", 50),
                             0);
        run_done(&t);
    }
}

static void test_peek_uint(void **state)
{
    static const struct uint_row rows[] = {
        {"{\"timeout\": \"30\"}", 0, 100, 0, 30},
        {"{\"timeout\": 30}", 0, 100, 0, 30},
        {"{\"timeout\": \"100\"}", 0, 100, 0, 100},
        {"{}", 0, 100, 0, 7},
        {"{\"timeout\": \"\"}", 0, 100, 0, 7},
        {"{\"timeout\": null}", 0, 100, 0, 7},
        {"{\"timeout\": \"101\"}", 0, 100, OA_ESCHEMA, 0},
        {"{\"timeout\": \"x\"}", 0, 100, OA_ESCHEMA, 0},
        {"{\"timeout\": true}", 0, 100, OA_ESCHEMA, 0},
        {"{\"timeout\": [\"30\"]}", 0, 100, OA_ESCHEMA, 0},
        {"{\"timeout\": -1}", 0, 100, OA_ESCHEMA, 0},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct oa_json *v = NULL;
        uint64_t got = 12345;
        int r;

        assert_int_equal(oa_json_parse(rows[i].obj, strlen(rows[i].obj), NULL, &v, NULL, 0), 0);
        r = oa_params_peek_uint(v, "timeout", rows[i].max, 7, &got);
        assert_int_equal(r, rows[i].want_r);
        if (r == 0)
            assert_int_equal(got, rows[i].want);
        oa_json_free(v);
    }
}

static void test_alloc_failures(void **state)
{
    static const struct oa_param_spec spec[] = {
        {"cmd", OA_PT_TEXT, OA_PF_REQUIRED | OA_PF_JOIN_LINES},
        {"name", OA_PT_ARRAY, 0},
        {"env", OA_PT_DICT, 0},
        {"opts", OA_PT_DICT, 0},
    };
    static const char obj[] = "{\"cmd\": [\"a\", \"b\"], \"name\": [\"x\", \"y\"], \"env\": "
                              "\"A=1 B=2 A=3\", \"opts\": {\"k\": \"v\"}, \"extra\": 1}";
    struct oa_json *v = NULL;
    unsigned long k;

    assert_int_equal(oa_json_parse(obj, strlen(obj), NULL, &v, NULL, 0), 0);
    for (k = 1; k < 10000; k++) {
        struct oa_params p;
        struct oa_buf w;
        char err[256] = "";
        int r;

        oa_buf_init(&w, 4096);
        oa_mem_fail_after(k);
        r = oa_params_parse(spec, 4, v, &p, &w, err, sizeof(err));
        oa_mem_fail_after(0);
        oa_buf_done(&w);
        if (r == 0) {
            assert_string_equal(oa_params_str(&p, "cmd"), "a\nb");
            oa_params_done(&p);
            break;
        }
        assert_int_equal(r, -ENOMEM);
        assert_string_equal(err, "out of memory");
    }
    assert_true(k > 5);
    assert_true(k < 10000);
    oa_json_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_and_text),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_dict),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_array_or_bool),
        cmocka_unit_test(test_state_raw),
        cmocka_unit_test(test_empty_is_absent),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_required_present),
        cmocka_unit_test(test_wrong_type_comment),
        cmocka_unit_test(test_unknown_parameters),
        cmocka_unit_test(test_warnings_over_cap),
        cmocka_unit_test(test_params_uint),
        cmocka_unit_test(test_peek_uint),
        cmocka_unit_test(test_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
