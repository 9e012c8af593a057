/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for proto/msg.h. RecipeMetadata decoding is table-driven with
 * one row per validation rule of protocol.md ("RecipeMetadata"), each row
 * expecting the return code and the rule's name in the error text. Also:
 * generated ids, the state limit, repeated ids, a 100,000-state recipe,
 * decoding with the k-th allocation failing, and StateLog encoding (field
 * names, nulls, invalid UTF-8, local fields), checked by parsing it back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "mem.h"
#include "msg.h"

#define ST(id) "{\"id\":\"" id "\",\"module\":\"linux.cmd\",\"parameter\":{\"cmd\":\"true\"}}"
#define RV "\"recipe_version\":3"

/* Parses text, decodes it as a RecipeMetadata object and frees the tree. */
static int decode_text(const char *text, unsigned flags, size_t max_states, struct oa_recipe *r,
                       char *err, size_t errlen)
{
    struct oa_json *obj = NULL;
    int ret = oa_json_parse(text, strlen(text), NULL, &obj, NULL, 0);

    assert_int_equal(ret, 0);
    ret = oa_msg_decode_recipe(obj, flags, max_states, r, err, errlen);
    oa_json_free(obj);
    return ret;
}

struct rule_row {
    const char *text;
    int want;
    const char *fragment; /* in the error text; NULL for accepted rows */
};

static void run_rule_rows(const struct rule_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct oa_recipe r = {0};
        char err[256] = "";
        int ret = decode_text(rows[i].text, 0, OA_MSG_MAX_STATES, &r, err, sizeof(err));

        if (ret != rows[i].want || (rows[i].fragment && !strstr(err, rows[i].fragment)))
            print_error("row %zu (%s): %d \"%s\"\n", i, rows[i].text, ret, err);
        assert_int_equal(ret, rows[i].want);
        if (rows[i].fragment)
            assert_non_null(strstr(err, rows[i].fragment));
        if (ret < 0) {
            /* Nothing is handed out on failure. */
            assert_null(r.states);
            assert_null(r.mod_repo);
            assert_int_equal(r.version, 0);
        }
        oa_msg_recipe_done(&r);
    }
}

static void test_recipe_version_rules(void **state)
{
    static const char want[] = "'recipe_version' must be a positive integer";
    static const struct rule_row rows[] = {
        {"{\"recipe_version\":0}", OA_ESCHEMA, want},
        {"{\"recipe_version\":-1}", OA_ESCHEMA, want},
        {"{\"recipe_version\":1.5}", OA_ESCHEMA, want},
        {"{\"recipe_version\":\"3\"}", OA_ESCHEMA, want},
        {"{\"recipe_version\":null}", OA_ESCHEMA, want},
        {"{\"recipe_version\":true}", OA_ESCHEMA, want},
        {"{\"recipe_version\":[3]}", OA_ESCHEMA, want},
        {"{\"recipe_version\":9223372036854775808}", OA_ESCHEMA, want},
        {"{\"code\":\"RecipeMetadata\"}", OA_ESCHEMA, want},
        {"{\"recipe_version\":1}", 0, NULL},
        {"{\"recipe_version\":9223372036854775807}", 0, NULL},
    };

    run_rule_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_module_rules(void **state)
{
    static const char repo_tag[] = "'module': 'repo' and 'tag' must be non-empty strings";
    static const struct rule_row rows[] = {
        {"{" RV ",\"module\":\"git://x\"}", OA_ESCHEMA, "'module' must be an object or null"},
        {"{" RV ",\"module\":[]}", OA_ESCHEMA, "'module' must be an object or null, got array"},
        {"{" RV ",\"module\":1}", OA_ESCHEMA, "'module' must be"},
        {"{" RV ",\"module\":{}}", OA_ESCHEMA, repo_tag},
        {"{" RV ",\"module\":{\"repo\":\"r\"}}", OA_ESCHEMA, repo_tag},
        {"{" RV ",\"module\":{\"tag\":\"t\"}}", OA_ESCHEMA, repo_tag},
        {"{" RV ",\"module\":{\"repo\":\"\",\"tag\":\"t\"}}", OA_ESCHEMA, repo_tag},
        {"{" RV ",\"module\":{\"repo\":\"r\",\"tag\":\"\"}}", OA_ESCHEMA, repo_tag},
        {"{" RV ",\"module\":{\"repo\":\"r\",\"tag\":1}}", OA_ESCHEMA, repo_tag},
        {"{" RV ",\"module\":{\"repo\":null,\"tag\":\"t\"}}", OA_ESCHEMA, repo_tag},
        {"{" RV ",\"module\":null}", 0, NULL},
        {"{" RV ",\"module\":{\"repo\":\"r\",\"tag\":\"t\"}}", 0, NULL},
    };

    run_rule_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_state_rules(void **state)
{
    static const struct rule_row rows[] = {
        {"{" RV ",\"state\":{}}", OA_ESCHEMA, "'state' must be an array, got object"},
        {"{" RV ",\"state\":\"s\"}", OA_ESCHEMA, "'state' must be an array, got string"},
        {"{" RV ",\"state\":[1]}", OA_ESCHEMA, "state 1: must be an object, got number"},
        {"{" RV ",\"state\":[" ST("a") ",null]}", OA_ESCHEMA, "state 2: must be an object"},
        {"{" RV ",\"state\":[" ST("a") ",{\"module\":\"m\",\"parameter\":{}}]}", OA_ESCHEMA,
         "state 2: 'id' must be a non-empty string, got nothing"},
        {"{" RV ",\"state\":[{\"id\":7,\"module\":\"m\",\"parameter\":{}}]}", OA_ESCHEMA,
         "state 1: 'id' must be a non-empty string, got number"},
        {"{" RV ",\"state\":[{\"id\":\"\",\"module\":\"m\",\"parameter\":{}}]}", OA_ESCHEMA,
         "state 1: 'id' must be"},
        {"{" RV ",\"state\":[{\"id\":\"a\\u0000b\",\"module\":\"m\",\"parameter\":{}}]}",
         OA_ESCHEMA, "'id' must be"},
        {"{" RV ",\"state\":[" ST("a") ",{\"id\":\"b\",\"parameter\":{}}]}", OA_ESCHEMA,
         "state 2 (id \"b\"): 'module' must be a non-empty string, got nothing"},
        {"{" RV ",\"state\":[{\"id\":\"b\",\"module\":[],\"parameter\":{}}]}", OA_ESCHEMA,
         "state 1 (id \"b\"): 'module' must be"},
        {"{" RV ",\"state\":[{\"id\":\"b\",\"module\":\"\",\"parameter\":{}}]}", OA_ESCHEMA,
         "'module' must be"},
        {"{" RV ",\"state\":[" ST("a") "," ST("b") ",{\"id\":\"c\",\"module\":\"m\"}]}", OA_ESCHEMA,
         "state 3 (id \"c\"): 'parameter' must be an object, got nothing"},
        {"{" RV ",\"state\":[{\"id\":\"c\",\"module\":\"m\",\"parameter\":[]}]}", OA_ESCHEMA,
         "'parameter' must be an object, got array"},
        {"{" RV ",\"state\":[{\"id\":\"c\",\"module\":\"m\",\"parameter\":null}]}", OA_ESCHEMA,
         "'parameter' must be an object, got null"},
        {"{" RV ",\"state\":[{\"id\":\"c\",\"module\":\"m\",\"parameter\":\"x\"}]}", OA_ESCHEMA,
         "'parameter' must be an object, got string"},
        {"{" RV ",\"state\":[" ST("a") "]}", 0, NULL},
    };

    run_rule_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_accepted_recipe(void **state)
{
    static const char text[] = "{\"code\":\"RecipeMetadata\"," RV ","
                               "\"module\":{\"repo\":\"https://x/m.git\",\"tag\":\"v1.2\"},"
                               "\"state\":[" ST("s1") ",{\"id\":\"s2\",\"module\":\"meta.wait\","
                                                      "\"parameter\":{\"state\":[\"@{s1}\"]}}]}";
    struct oa_recipe r = {0};
    char err[256] = "";

    assert_int_equal(decode_text(text, 0, OA_MSG_MAX_STATES, &r, err, sizeof(err)), 0);
    assert_int_equal(r.version, 3);
    assert_string_equal(r.mod_repo, "https://x/m.git");
    assert_string_equal(r.mod_tag, "v1.2");
    assert_true(r.has_states);
    assert_int_equal(r.n_states, 2);
    assert_string_equal(r.states[0].id, "s1");
    assert_string_equal(r.states[0].module, "linux.cmd");
    assert_string_equal(oa_json_get(r.states[0].parameter, "cmd")->u.str, "true");
    assert_string_equal(r.states[1].module, "meta.wait");
    assert_int_equal(oa_json_get(r.states[1].parameter, "state")->type, OA_JSON_ARRAY);
    assert_null(r.dup_id);
    oa_msg_recipe_done(&r);
    oa_msg_recipe_done(&r); /* done twice is harmless */
}

/* A message decoded from its text keeps every parameter object as its
 * exact text; the rules on it hold as for a tree. */
static void test_message_keeps_parameter_text(void **state)
{
    static const char text[] = "{\"code\":\"RecipeMetadata\"," RV ",\"state\":[" ST(
        "s1") ",{\"id\":\"s2\",\"module\":\"meta.wait\",\"parameter\": {\"state\":"
              "[\"@{s1}\"], \"parameter\": {}}}]}";
    static const char not_object[] = "{\"code\":\"RecipeMetadata\"," RV ",\"state\":["
                                     "{\"id\":\"a\",\"module\":\"m\",\"parameter\":[]}]}";
    struct oa_msg_limits limits = {OA_JSON_DEFAULT_DEPTH, OA_MSG_MAX_STATES};
    struct oa_msg m = {0};
    char err[256] = "";

    assert_int_equal(oa_msg_decode(text, strlen(text), &limits, &m, err, sizeof(err)), 0);
    assert_int_equal(m.code, OA_MSG_RECIPE);
    assert_int_equal(m.recipe->n_states, 2);
    assert_int_equal(m.recipe->states[0].parameter->type, OA_JSON_RAW);
    assert_string_equal(m.recipe->states[0].parameter->u.str, "{\"cmd\":\"true\"}");
    assert_string_equal(m.recipe->states[1].parameter->u.str,
                        "{\"state\":[\"@{s1}\"], \"parameter\": {}}");
    oa_msg_done(&m);
    assert_int_equal(oa_msg_decode(not_object, strlen(not_object), &limits, &m, err, sizeof(err)),
                     OA_ESCHEMA);
    assert_string_equal(
        err, "RecipeMetadata: state 1 (id \"a\"): 'parameter' must be an object, got array");
}

static void test_without_states(void **state)
{
    static const char *const texts[] = {"{" RV "}", "{" RV ",\"state\":null,\"module\":null}"};
    struct oa_recipe r = {0};

    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(decode_text(texts[i], 0, OA_MSG_MAX_STATES, &r, NULL, 0), 0);
        assert_false(r.has_states);
        assert_int_equal(r.n_states, 0);
        assert_null(r.mod_repo);
        assert_null(r.mod_tag);
        oa_msg_recipe_done(&r);
    }
    /* An empty array is a recipe with no states, not an absent one. */
    assert_int_equal(decode_text("{" RV ",\"state\":[]}", 0, 10, &r, NULL, 0), 0);
    assert_true(r.has_states);
    assert_int_equal(r.n_states, 0);
    oa_msg_recipe_done(&r);
    oa_msg_recipe_free(NULL);
}

static void test_ids_optional(void **state)
{
    static const char text[] = "{" RV ",\"state\":[{\"module\":\"a\",\"parameter\":{}}," ST(
        "x") ",{\"module\":\"c\",\"parameter\":{}}]}";
    struct oa_recipe r = {0};
    char err[256] = "";

    assert_int_equal(decode_text(text, 0, 10, &r, err, sizeof(err)), OA_ESCHEMA);
    assert_non_null(strstr(err, "state 1: 'id' must be"));
    assert_int_equal(decode_text(text, OA_MSG_IDS_OPTIONAL, 10, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_states, 3);
    assert_string_equal(r.states[0].id, "state-1");
    assert_string_equal(r.states[1].id, "x");
    assert_string_equal(r.states[2].id, "state-3");
    assert_string_equal(r.states[2].module, "c");
    oa_msg_recipe_done(&r);
}

static void test_max_states(void **state)
{
    static const char text[] = "{" RV ",\"state\":[" ST("a") "," ST("b") "," ST("c") "]}";
    struct oa_recipe r = {0};
    char err[256] = "";

    assert_int_equal(decode_text(text, 0, 3, &r, err, sizeof(err)), 0);
    oa_msg_recipe_done(&r);
    assert_int_equal(decode_text(text, 0, 2, &r, err, sizeof(err)), OA_ETOOBIG);
    assert_non_null(strstr(err, "'state' has 3 states, more than the limit of 2"));
    assert_null(r.states);
}

static void test_repeated_id(void **state)
{
    static const char text[] =
        "{" RV ",\"state\":[" ST("a") "," ST("b") "," ST("a") "," ST("b") "," ST("c") "]}";
    struct oa_recipe r = {0};

    assert_int_equal(decode_text(text, 0, 10, &r, NULL, 0), 0);
    assert_int_equal(r.n_states, 5);
    assert_string_equal(r.dup_id, "a");
    /* States keep their order. */
    assert_string_equal(r.states[2].id, "a");
    assert_string_equal(r.states[4].id, "c");
    oa_msg_recipe_done(&r);
}

static void test_hundred_thousand_states(void **state)
{
    struct oa_recipe r = {0};
    struct oa_json *obj = NULL;
    char err[256] = "";
    struct oa_buf b;

    oa_buf_init(&b, 16u << 20);
    assert_int_equal(oa_buf_puts(&b, "{" RV ",\"state\":["), 0);
    for (int i = 0; i < OA_MSG_MAX_STATES; i++)
        assert_int_equal(oa_buf_printf(&b, "%s{\"id\":\"s%d\",\"module\":\"m\",\"parameter\":{}}",
                                       i ? "," : "", i),
                         0);
    assert_int_equal(oa_buf_puts(&b, "]}"), 0);
    assert_int_equal(oa_json_parse(b.data, b.len, NULL, &obj, NULL, 0), 0);
    assert_int_equal(oa_msg_decode_recipe(obj, 0, OA_MSG_MAX_STATES, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_states, OA_MSG_MAX_STATES);
    assert_string_equal(r.states[0].id, "s0");
    assert_string_equal(r.states[99999].id, "s99999");
    assert_null(r.dup_id);
    oa_msg_recipe_done(&r);
    oa_json_free(obj);
    oa_buf_done(&b);
}

static void test_decode_alloc_failures(void **state)
{
    static const char text[] = "{" RV ",\"module\":{\"repo\":\"r\",\"tag\":\"t\"},\"state\":[" ST(
        "a") "," ST("b") "," ST("a") "]}";
    unsigned long k;

    for (k = 1; k < 10000; k++) {
        struct oa_recipe r = {0};
        struct oa_json *obj = NULL;
        char err[256];
        int ret;

        assert_int_equal(oa_json_parse(text, strlen(text), NULL, &obj, NULL, 0), 0);
        oa_mem_fail_after(k);
        ret = oa_msg_decode_recipe(obj, 0, 10, &r, err, sizeof(err));
        oa_mem_fail_after(0);
        oa_json_free(obj);
        if (ret == 0) {
            assert_string_equal(r.dup_id, "a");
            oa_msg_recipe_done(&r);
            break;
        }
        assert_int_equal(ret, -ENOMEM);
        assert_null(r.states);
    }
    assert_true(k > 5);
    assert_true(k < 10000);
}

/* Encodes l and parses the result back. */
static struct oa_json *encode_parse(const struct oa_statelog *l, unsigned flags)
{
    struct oa_json *v = NULL;
    struct oa_buf out;

    oa_buf_init(&out, 1 << 20);
    assert_int_equal(oa_msg_encode_statelog(l, flags, &out), 0);
    assert_int_equal(oa_json_parse(out.data, out.len, NULL, &v, NULL, 0), 0);
    assert_int_equal(v->type, OA_JSON_OBJECT);
    oa_buf_done(&out);
    return v;
}

static void assert_str_field(const struct oa_json *v, const char *key, const char *want, size_t len)
{
    const struct oa_json *f = oa_json_get(v, key);

    assert_non_null(f);
    assert_int_equal(f->type, OA_JSON_STRING);
    assert_int_equal(f->len, len);
    assert_memory_equal(f->u.str, want, len);
}

static void assert_type_field(const struct oa_json *v, const char *key, enum oa_json_type t)
{
    assert_non_null(oa_json_get(v, key));
    assert_int_equal(oa_json_get(v, key)->type, t);
}

static void test_statelog_fields(void **state)
{
    struct oa_statelog l = {
        .instance_id = (char *)"i-0abc",
        .app_id = (char *)"app-1",
        .recipe_version = 7,
        .id = (char *)"s1",
        .result = true,
        .comment = (char *)"done",
        .stdout_text = (char *)"line 1\nline 2\n",
        .stdout_len = 14,
    };
    struct oa_json *v = encode_parse(&l, 0);

    assert_int_equal(v->len, 8);
    assert_str_field(v, "code", "StateLog", 8);
    assert_str_field(v, "instance_id", "i-0abc", 6);
    assert_str_field(v, "app_id", "app-1", 5);
    assert_type_field(v, "recipe_version", OA_JSON_NUMBER);
    assert_string_equal(oa_json_get(v, "recipe_version")->u.str, "7");
    assert_str_field(v, "id", "s1", 2);
    assert_type_field(v, "state_result", OA_JSON_BOOL);
    assert_true(oa_json_get(v, "state_result")->u.boolean);
    assert_str_field(v, "state_comment", "done", 4);
    assert_str_field(v, "state_stdout", "line 1\nline 2\n", 14);
    assert_null(oa_json_get(v, "duration_ms"));
    oa_json_free(v);
}

static void test_statelog_nulls(void **state)
{
    struct oa_statelog l = {.id = (char *)"s", .recipe_version = 1};
    struct oa_json *v = encode_parse(&l, 0);

    assert_type_field(v, "state_comment", OA_JSON_NULL);
    assert_type_field(v, "state_stdout", OA_JSON_NULL);
    assert_false(oa_json_get(v, "state_result")->u.boolean);
    /* Absent ids are sent as empty strings. */
    assert_str_field(v, "instance_id", "", 0);
    assert_str_field(v, "app_id", "", 0);
    oa_json_free(v);
}

static void test_statelog_invalid_utf8(void **state)
{
    struct oa_statelog l = {
        .id = (char *)"s",
        .comment = (char *)"bad \xc0\xaf",
        .stdout_text = (char *)"a\xff"
                               "b\0c\xe2\x82",
        .stdout_len = 7,
    };
    struct oa_json *v = encode_parse(&l, 0);

    assert_str_field(v, "state_stdout",
                     "a\xef\xbf\xbd"
                     "b\0c\xef\xbf\xbd\xef\xbf\xbd",
                     13);
    assert_str_field(v, "state_comment", "bad \xef\xbf\xbd\xef\xbf\xbd", 10);
    oa_json_free(v);
}

static void test_statelog_local_fields(void **state)
{
    struct oa_statelog l = {.id = (char *)"s", .result = true, .duration_ms = 1234};
    struct oa_json *v = encode_parse(&l, OA_MSG_LOCAL_FIELDS);

    assert_int_equal(v->len, 9);
    assert_string_equal(oa_json_get(v, "duration_ms")->u.str, "1234");
    assert_true(oa_json_get(v, "state_result")->u.boolean);
    oa_json_free(v);

    l.not_run = true;
    v = encode_parse(&l, OA_MSG_LOCAL_FIELDS);
    assert_type_field(v, "state_result", OA_JSON_NULL);
    oa_json_free(v);
    /* not_run only matters locally: the backend always gets a bool. */
    v = encode_parse(&l, 0);
    assert_type_field(v, "state_result", OA_JSON_BOOL);
    assert_null(oa_json_get(v, "duration_ms"));
    oa_json_free(v);
}

static void test_statelog_over_cap(void **state)
{
    struct oa_statelog l = {.id = (char *)"s", .stdout_text = (char *)"xxxx", .stdout_len = 4};
    struct oa_buf out;

    oa_buf_init(&out, 50);
    assert_int_equal(oa_msg_encode_statelog(&l, 0, &out), OA_ETOOBIG);
    assert_int_equal(out.len, 0);
    oa_buf_done(&out);
}

static void test_statelog_alloc_failures(void **state)
{
    struct oa_statelog l = {.id = (char *)"s", .stdout_text = (char *)"a\xff", .stdout_len = 2};
    unsigned long k;

    for (k = 1; k < 1000; k++) {
        struct oa_buf out;
        int r;

        oa_buf_init(&out, 4096);
        oa_mem_fail_after(k);
        r = oa_msg_encode_statelog(&l, 0, &out);
        oa_mem_fail_after(0);
        oa_buf_done(&out);
        if (r == 0)
            break;
        assert_int_equal(r, -ENOMEM);
    }
    assert_true(k > 1);
    assert_true(k < 1000);
}

/* Rejected messages are quoted in a log line: never with a secret in it. */
static void test_sample_hides_secrets(void **state)
{
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"{\"code\":\"X\"}", "{\"code\":\"X\"}"},
        {"{\"parameter\":{\"username\":\"bob\",\"password\":\"S3cret pass\"}}",
         "{\"parameter\":{\"username\":\"bob\",\"password\":\"***\"}}"},
        {"{\"Password\" : \"a\\\"b\"}", "{\"Password\" : \"***\"}"},
        {"{\"pw_token\":\"xy\",\"n\":1}", "{\"pw_token\":\"**\",\"n\":1}"},
        {"{\"password\":\"\",\"x\":\"password\"}", "{\"password\":\"\",\"x\":\"password\"}"},
        {"{\"secret\":42}", "{\"secret\":42}"},
        {"{\"repo\":\"https://me:pw0rd@git.example.com/r.git\"}",
         "{\"repo\":\"https://me:***@git.example.com/r.git\"}"},
        {"{\"repo\":\"https://me@git.example.com:443/r.git\"}",
         "{\"repo\":\"https://me@git.example.com:443/r.git\"}"},
        {"{\"private_key\":\"-----BEGIN", "{\"private_key\":\"***"},
        {"{\"password\":\"cut", "{\"password\":\"***"},
        {"{\"password\"", "{\"password\""},
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        oa_msg_sample(rows[i].in, strlen(rows[i].in), out, sizeof(out));
        assert_string_equal(out, rows[i].want);
    }
    /* Only the first 200 bytes, and a secret cut by that limit is hidden
     * too. */
    {
        char big[400];
        memset(big, 'a', sizeof(big));
        memcpy(big + 180, "\"token\":\"", 9);
        oa_msg_sample(big, sizeof(big), out, sizeof(out));
        assert_int_equal(strlen(out), 192);
        assert_string_equal(out + 180, "\"token\":\"***");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipe_version_rules),
        cmocka_unit_test(test_module_rules),
        cmocka_unit_test(test_state_rules),
        cmocka_unit_test(test_accepted_recipe),
        cmocka_unit_test(test_message_keeps_parameter_text),
        cmocka_unit_test(test_without_states),
        cmocka_unit_test(test_ids_optional),
        cmocka_unit_test(test_max_states),
        cmocka_unit_test(test_repeated_id),
        cmocka_unit_test(test_hundred_thousand_states),
        cmocka_unit_test(test_decode_alloc_failures),
        cmocka_unit_test(test_statelog_fields),
        cmocka_unit_test(test_statelog_nulls),
        cmocka_unit_test(test_statelog_invalid_utf8),
        cmocka_unit_test(test_statelog_local_fields),
        cmocka_unit_test(test_statelog_over_cap),
        cmocka_unit_test(test_statelog_alloc_failures),
        cmocka_unit_test(test_sample_hides_secrets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
