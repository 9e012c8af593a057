/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for proto/json.c: oa_json_parse with a small depth and node
 * limit, then a round trip. A tree that parsed is written back with
 * oa_json_gen_value; that text must parse again under the same limits, and
 * writing the second tree must give the same text (keys are written up to
 * their first NUL byte, so only the first writing may lose bytes). A broken
 * round trip traps: the fuzz target may abort, the product code must not.
 */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "log.h"

/* Small enough that the fuzzer reaches both limits quickly. */
static const struct oa_json_limits limits = {8, 512};

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

    if (oa_json_parse((const char *)data, size, &limits, &tree, err, sizeof(err)) < 0)
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
