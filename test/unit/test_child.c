/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/child.h, the child-process protocol: the request on
 * stdin ({"id","module","parameter","dry_run","watch_dir"}) and the result
 * on fd 3 ({"result","comment","changed"}). Encode/decode round trips, the
 * validation rules of both decoders, the size cap of a result, and both
 * decoders with the k-th allocation failing for every k.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "child.h"
#include "err.h"
#include "mem.h"

static struct oa_json *parse_ok(const char *text, size_t len)
{
    struct oa_json *v = NULL;

    assert_int_equal(oa_json_parse(text, len, NULL, &v, NULL, 0), 0);
    return v;
}

/* Writes v with a fresh generator into a malloc'ed string, for comparing
 * trees. */
static char *gen_text(const struct oa_json *v)
{
    yajl_gen g = oa_json_gen_new();
    const unsigned char *text;
    size_t len;
    char *s;

    assert_non_null(g);
    assert_int_equal(oa_json_gen_value(g, v), 0);
    assert_int_equal(yajl_gen_get_buf(g, &text, &len), yajl_gen_status_ok);
    s = strndup((const char *)text, len);
    assert_non_null(s);
    yajl_gen_free(g);
    return s;
}

static void test_request_round_trip(void **state)
{
    static const char param[] = "{\"cmd\":\"echo hi\",\"env\":[{\"key\":\"A\",\"value\":1}],"
                                "\"n\":1.50,\"deep\":{\"x\":[null,true]}}";
    struct oa_state st = {"state-1", "linux.cmd", parse_ok(param, strlen(param))};
    struct oa_child_request req = {0};
    char err[200] = "", *back;
    struct oa_buf out;

    for (int pass = 0; pass < 2; pass++) {
        bool dry = pass == 0;
        const char *watch = dry ? "/var/lib/opsagent/watch" : NULL;

        oa_buf_init(&out, 1 << 20);
        assert_int_equal(
            oa_child_encode_request(
                &st, &(struct oa_child_settings){.dry_run = dry, .watch_dir = watch}, &out),
            0);
        assert_int_equal(oa_child_decode_request(out.data, out.len, &req, err, sizeof(err)), 0);
        assert_string_equal(req.id, "state-1");
        assert_string_equal(req.module, "linux.cmd");
        assert_int_equal(req.dry_run, dry);
        if (watch)
            assert_string_equal(req.watch_dir, watch);
        else
            assert_null(req.watch_dir);
        back = gen_text(req.parameter);
        assert_string_equal(back, param);
        free(back);
        oa_child_request_done(&req);
        assert_null(req.id);
        oa_buf_done(&out);
    }
    oa_json_free(st.parameter);
}

static void test_request_field_names(void **state)
{
    struct oa_state st = {"s", "m", parse_ok("{}", 2)};
    struct oa_json *v;
    struct oa_buf out;

    oa_buf_init(&out, 4096);
    assert_int_equal(
        oa_child_encode_request(&st, &(struct oa_child_settings){.dry_run = true}, &out), 0);
    v = parse_ok(out.data, out.len);
    assert_int_equal(v->type, OA_JSON_OBJECT);
    assert_int_equal(v->len, 5);
    assert_string_equal(oa_json_get(v, "id")->u.str, "s");
    assert_string_equal(oa_json_get(v, "module")->u.str, "m");
    assert_int_equal(oa_json_get(v, "parameter")->type, OA_JSON_OBJECT);
    assert_true(oa_json_get(v, "dry_run")->u.boolean);
    assert_int_equal(oa_json_get(v, "watch_dir")->type, OA_JSON_NULL);
    oa_json_free(v);
    oa_buf_done(&out);
    oa_json_free(st.parameter);
}

static void test_request_encode_over_cap(void **state)
{
    struct oa_state st = {"s", "m", parse_ok("{\"a\":\"0123456789\"}", 18)};
    struct oa_buf out;

    oa_buf_init(&out, 20);
    assert_int_equal(oa_child_encode_request(&st, &(struct oa_child_settings){0}, &out),
                     OA_ETOOBIG);
    assert_int_equal(out.len, 0);
    oa_buf_done(&out);
    oa_json_free(st.parameter);
}

static void test_request_defaults(void **state)
{
    static const char text[] =
        "{\"id\":\"x\",\"module\":\"m\",\"parameter\":{},\"watch_dir\":null}";
    struct oa_child_request req = {0};
    char err[200] = "";

    assert_int_equal(oa_child_decode_request(text, strlen(text), &req, err, sizeof(err)), 0);
    assert_false(req.dry_run);
    assert_null(req.watch_dir);
    assert_int_equal(req.parameter->len, 0);
    oa_child_request_done(&req);
}

static void test_request_rules(void **state)
{
    static const struct {
        const char *text;
        int want;
        const char *fragment;
    } rows[] = {
        {"[1]", OA_ESCHEMA, "expected a JSON object, got array"},
        {"\"s\"", OA_ESCHEMA, "expected a JSON object, got string"},
        {"{\"module\":\"m\",\"parameter\":{}}", OA_ESCHEMA, "'id' must be"},
        {"{\"id\":\"\",\"module\":\"m\",\"parameter\":{}}", OA_ESCHEMA, "'id' must be"},
        {"{\"id\":1,\"module\":\"m\",\"parameter\":{}}", OA_ESCHEMA, "'id' must be"},
        {"{\"id\":\"x\",\"parameter\":{}}", OA_ESCHEMA, "'module' must be"},
        {"{\"id\":\"x\",\"module\":null,\"parameter\":{}}", OA_ESCHEMA, "'module' must be"},
        {"{\"id\":\"x\",\"module\":\"m\"}", OA_ESCHEMA,
         "'parameter' must be an object, got nothing"},
        {"{\"id\":\"x\",\"module\":\"m\",\"parameter\":[]}", OA_ESCHEMA,
         "'parameter' must be an object, got array"},
        {"{\"id\":\"x\",\"module\":\"m\",\"parameter\":\"a=b\"}", OA_ESCHEMA,
         "'parameter' must be an object, got string"},
        {"{\"id\":\"x\",\"module\":\"m\",\"parameter\":{},\"dry_run\":\"yes\"}", OA_ESCHEMA,
         "'dry_run' must be true or false, got string"},
        {"{\"id\":\"x\",\"module\":\"m\",\"parameter\":{},\"dry_run\":1}", OA_ESCHEMA,
         "'dry_run' must be true or false, got number"},
        {"{\"id\":\"x\",\"module\":\"m\",\"parameter\":{},\"watch_dir\":5}", OA_ESCHEMA,
         "'watch_dir' must be a string"},
        {"{\"id\":\"x\",", OA_ESYNTAX, "invalid JSON at byte"},
        {"", OA_ESYNTAX, "invalid JSON"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct oa_child_request req = {.id = (char *)"untouched"};
        char err[200] = "";
        int r = oa_child_decode_request(rows[i].text, strlen(rows[i].text), &req, err, sizeof(err));

        if (r != rows[i].want || !strstr(err, rows[i].fragment))
            print_error("row %zu: %d \"%s\"\n", i, r, err);
        assert_int_equal(r, rows[i].want);
        assert_non_null(strstr(err, rows[i].fragment));
        assert_string_equal(req.id, "untouched");
    }
}

static void check_result(const char *text, bool result, bool changed, const char *comment)
{
    struct oa_child_result res = {0};
    char err[200] = "";

    assert_int_equal(oa_child_decode_result(text, strlen(text), &res, err, sizeof(err)), 0);
    assert_int_equal(res.result, result);
    assert_int_equal(res.changed, changed);
    if (comment)
        assert_string_equal(res.comment, comment);
    else
        assert_null(res.comment);
    oa_child_result_done(&res);
    assert_null(res.comment);
}

static void test_result_decode(void **state)
{
    check_result("{\"result\":true}", true, false, NULL);
    check_result("{\"result\":false,\"changed\":true,\"comment\":\"failed: x\"}", false, true,
                 "failed: x");
    check_result("{\"result\":true,\"comment\":null,\"changed\":false}", true, false, NULL);
    check_result(" {\"comment\":\"\",\"result\":true,\"extra\":[1]}\n", true, false, "");
}

static void test_result_rules(void **state)
{
    static const struct {
        const char *text;
        int want;
        const char *fragment;
    } rows[] = {
        {"{}", OA_ESCHEMA, "'result' must be true or false, got nothing"},
        {"{\"result\":\"true\"}", OA_ESCHEMA, "'result' must be true or false, got string"},
        {"{\"result\":null}", OA_ESCHEMA, "'result' must be true or false, got null"},
        {"{\"result\":true,\"changed\":1}", OA_ESCHEMA, "'changed' must be true or false"},
        {"{\"result\":true,\"comment\":1}", OA_ESCHEMA, "'comment' must be a string, got number"},
        {"{\"result\":true,\"comment\":[]}", OA_ESCHEMA, "'comment' must be a string, got array"},
        {"true", OA_ESCHEMA, "expected a JSON object, got bool"},
        {"[{\"result\":true}]", OA_ESCHEMA, "expected a JSON object, got array"},
        {"{\"result\":tru}", OA_ESYNTAX, "invalid JSON at byte"},
        {"{\"result\":true}{}", OA_ESYNTAX, "trailing garbage"},
        {"", OA_ESYNTAX, "invalid JSON"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct oa_child_result res = {.comment = (char *)"untouched"};
        char err[200] = "";
        int r = oa_child_decode_result(rows[i].text, strlen(rows[i].text), &res, err, sizeof(err));

        if (r != rows[i].want || !strstr(err, rows[i].fragment))
            print_error("row %zu: %d \"%s\"\n", i, r, err);
        assert_int_equal(r, rows[i].want);
        assert_non_null(strstr(err, rows[i].fragment));
        assert_string_equal(res.comment, "untouched");
    }
}

/* {"result":true} padded with blanks to exactly n bytes. */
static char *padded_result(size_t n)
{
    char *s = malloc(n);

    assert_non_null(s);
    memset(s, ' ', n);
    memcpy(s, "{\"result\":true}", 15);
    return s;
}

static void test_result_too_big(void **state)
{
    char *text = padded_result(OA_CHILD_RESULT_MAX + 1);
    struct oa_child_result res = {0};
    char err[200] = "";

    assert_int_equal(oa_child_decode_result(text, OA_CHILD_RESULT_MAX, &res, err, sizeof(err)), 0);
    assert_true(res.result);
    oa_child_result_done(&res);
    assert_int_equal(oa_child_decode_result(text, OA_CHILD_RESULT_MAX + 1, &res, err, sizeof(err)),
                     OA_ETOOBIG);
    assert_non_null(strstr(err, "larger than 65536 bytes"));
    free(text);
}

static void test_result_too_many_values(void **state)
{
    struct oa_child_result res = {0};
    char err[200] = "";
    struct oa_buf b;

    oa_buf_init(&b, OA_CHILD_RESULT_MAX);
    assert_int_equal(oa_buf_puts(&b, "{\"result\":true,\"x\":[0"), 0);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(oa_buf_puts(&b, ",0"), 0);
    assert_int_equal(oa_buf_puts(&b, "]}"), 0);
    assert_int_equal(oa_child_decode_result(b.data, b.len, &res, err, sizeof(err)), OA_ETOOBIG);
    assert_non_null(strstr(err, "more than"));
    oa_buf_done(&b);
}

static void test_result_round_trip(void **state)
{
    static const struct oa_child_result rows[] = {
        {true, false, NULL},
        {false, true, (char *)"it broke: \"quoted\"\n\ttab \xc3\xa9"},
        {true, true, (char *)""},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct oa_child_result back = {0};
        struct oa_json *v;
        struct oa_buf out;

        oa_buf_init(&out, 4096);
        assert_int_equal(oa_child_encode_result(&rows[i], &out), 0);
        /* The field names of design.md. */
        v = parse_ok(out.data, out.len);
        assert_int_equal(v->len, 3);
        assert_int_equal(oa_json_get(v, "result")->type, OA_JSON_BOOL);
        assert_int_equal(oa_json_get(v, "changed")->type, OA_JSON_BOOL);
        assert_int_equal(oa_json_get(v, "comment")->type,
                         rows[i].comment ? OA_JSON_STRING : OA_JSON_NULL);
        oa_json_free(v);
        assert_int_equal(oa_child_decode_result(out.data, out.len, &back, NULL, 0), 0);
        assert_int_equal(back.result, rows[i].result);
        assert_int_equal(back.changed, rows[i].changed);
        if (rows[i].comment)
            assert_string_equal(back.comment, rows[i].comment);
        else
            assert_null(back.comment);
        oa_child_result_done(&back);
        oa_buf_done(&out);
    }
}

static void test_request_alloc_failures(void **state)
{
    static const char text[] = "{\"id\":\"s1\",\"module\":\"linux.cmd\",\"dry_run\":true,"
                               "\"watch_dir\":\"/w\",\"parameter\":{\"cmd\":\"ls\",\"a\":[1,2]}}";
    unsigned long k;

    for (k = 1; k < 10000; k++) {
        struct oa_child_request req = {0};
        char err[200];
        int r;

        oa_mem_fail_after(k);
        r = oa_child_decode_request(text, strlen(text), &req, err, sizeof(err));
        oa_mem_fail_after(0);
        if (r == 0) {
            assert_string_equal(req.watch_dir, "/w");
            oa_child_request_done(&req);
            break;
        }
        assert_int_equal(r, -ENOMEM);
    }
    assert_true(k > 5);
    assert_true(k < 10000);
}

static void test_result_alloc_failures(void **state)
{
    static const char text[] = "{\"result\":false,\"changed\":true,\"comment\":\"no\"}";
    unsigned long k;

    for (k = 1; k < 10000; k++) {
        struct oa_child_result res = {0};
        char err[200];
        int r;

        oa_mem_fail_after(k);
        r = oa_child_decode_result(text, strlen(text), &res, err, sizeof(err));
        oa_mem_fail_after(0);
        if (r == 0) {
            assert_string_equal(res.comment, "no");
            oa_child_result_done(&res);
            break;
        }
        assert_int_equal(r, -ENOMEM);
    }
    assert_true(k > 5);
    assert_true(k < 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_request_field_names),
        cmocka_unit_test(test_request_encode_over_cap),
        cmocka_unit_test(test_request_defaults),
        cmocka_unit_test(test_request_rules),
        cmocka_unit_test(test_result_decode),
        cmocka_unit_test(test_result_rules),
        cmocka_unit_test(test_result_too_big),
        cmocka_unit_test(test_result_too_many_values),
        cmocka_unit_test(test_result_round_trip),
        cmocka_unit_test(test_request_alloc_failures),
        cmocka_unit_test(test_result_alloc_failures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
