/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for proto/json.c: oa_json_parse with a small depth and node
 * limit, then a round trip. A tree that parsed is written back with
 * oa_json_gen_value; that text must parse again under the same limits, and
 * writing the second tree must give the same text (keys are written up to
 * their first NUL byte, so only the first writing may lose bytes). The same
 * input parsed with a raw_key ("p") must give the same result code, every
 * RAW node's text must parse to an object, and the tree with RAW nodes
 * must write out to text that parses. A broken promise traps: the fuzz
 * target may abort, the product code must not.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "log.h"

/* Small enough that the fuzzer reaches both limits quickly. */
static const struct oa_json_limits limits = {8, 512, NULL};
static const struct oa_json_limits raw_limits = {8, 512, "p"};

/* Writes v into a new generator; traps when yajl refuses a tree we built. */
static yajl_gen write_tree(const struct oa_json *v)
{
    yajl_gen g = oa_json_gen_new();

    if (!g)
        __builtin_trap();
    if (oa_json_gen_value(g, v) < 0)
        __builtin_trap();
    return g;
}

/* NOLINTNEXTLINE(misc-no-recursion): as deep as the tree, at most 8 */
static void check_raw_nodes(const struct oa_json *v)
{
    struct oa_json *tree;

    if (v->type == OA_JSON_RAW) {
        if (oa_json_parse(v->u.str, v->len, NULL, &tree, NULL, 0) < 0 ||
            tree->type != OA_JSON_OBJECT)
            __builtin_trap();
        oa_json_free(tree);
    }
    for (size_t i = 0; v->type == OA_JSON_ARRAY && i < v->len; i++)
        check_raw_nodes(v->u.items[i]);
    for (size_t i = 0; v->type == OA_JSON_OBJECT && i < v->len; i++)
        check_raw_nodes(v->u.members[i].value);
}

/* Parses with raw_limits; the result must match the plain parse's (r). */
static void check_raw_parse(const uint8_t *data, size_t size, int r)
{
    struct oa_json *tree, *again;
    const unsigned char *out;
    size_t out_len;
    yajl_gen g;

    if (oa_json_parse((const char *)data, size, &raw_limits, &tree, NULL, 0) != r)
        __builtin_trap();
    if (r < 0)
        return;
    check_raw_nodes(tree);
    g = write_tree(tree);
    if (yajl_gen_get_buf(g, &out, &out_len) != yajl_gen_status_ok ||
        oa_json_parse((const char *)out, out_len, &limits, &again, NULL, 0) < 0)
        __builtin_trap();
    yajl_gen_free(g);
    oa_json_free(again);
    oa_json_free(tree);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oa_json *tree, *again;
    const unsigned char *out, *out2;
    size_t out_len, out2_len;
    char err[256];
    yajl_gen g, g2;
    int r = oa_json_parse((const char *)data, size, &limits, &tree, err, sizeof(err));

    check_raw_parse(data, size, r);
    if (r < 0)
        return 0;
    (void)oa_json_type_name(tree);
    (void)oa_json_get(tree, "state");

    g = write_tree(tree);
    if (yajl_gen_get_buf(g, &out, &out_len) != yajl_gen_status_ok)
        __builtin_trap();
    if (oa_json_parse((const char *)out, out_len, &limits, &again, err, sizeof(err)) < 0)
        __builtin_trap();

    g2 = write_tree(again);
    if (yajl_gen_get_buf(g2, &out2, &out2_len) != yajl_gen_status_ok)
        __builtin_trap();
    if (out2_len != out_len || memcmp(out, out2, out_len) != 0)
        __builtin_trap();

    yajl_gen_free(g2);
    yajl_gen_free(g);
    oa_json_free(again);
    oa_json_free(tree);
    return 0;
}
