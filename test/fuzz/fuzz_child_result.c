/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for proto/child.c, the agent's side of file descriptor 3:
 * oa_child_decode_result, the {"result","comment","changed"} object a module
 * writes (design.md, child-process protocol). A result that decodes is
 * encoded again with oa_child_encode_result, and that text must decode to
 * the same result; a failure must say why.
 */
#include <stdint.h>
#include <string.h>

#include "child.h"
#include "fuzz.h"
#include "log.h"

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void round_trip(const struct oa_child_result *res)
{
    struct oa_child_result again;
    struct oa_buf out;
    char err[256];

    oa_buf_init(&out, SIZE_MAX);
    if (oa_child_encode_result(res, &out) < 0)
        __builtin_trap();
    if (oa_child_decode_result(out.data, out.len, &again, err, sizeof(err)) < 0)
        __builtin_trap();
    if (again.result != res->result || again.changed != res->changed ||
        !same_str(again.comment, res->comment))
        __builtin_trap();
    oa_child_result_done(&again);
    oa_buf_done(&out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oa_child_result res;
    char err[256] = "";

    if (oa_child_decode_result((const char *)data, size, &res, err, sizeof(err)) < 0) {
        if (err[0] == '\0')
            __builtin_trap();
        return 0;
    }
    /* A comment with a NUL byte is cut there (it is a C string); the round
     * trip compares what the agent keeps. */
    round_trip(&res);
    oa_child_result_done(&res);
    return 0;
}
