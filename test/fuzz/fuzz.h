/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libFuzzer entry points, declared once for the targets and for
 * fuzz_main.c (the replay main that runs a corpus without libFuzzer). Each
 * test/fuzz/fuzz_<parser>.c defines LLVMFuzzerTestOneInput and may define
 * LLVMFuzzerInitialize; nothing else in a target is exported.
 */
#ifndef OA_FUZZ_H
#define OA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; data is exactly size bytes, not NUL-terminated. Returns
 * 0. A target may trap (abort) when an invariant it checks is broken. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called once before the first input; may be left undefined. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#include "json.h"

/* Traps unless p is a parameter as a decoded recipe holds it: the text of
 * an object (OA_JSON_RAW) that parses again, to an object. */
static inline void fuzz_check_raw_object(const struct oa_json *p)
{
    struct oa_json *tree = NULL;

    if (!p || p->type != OA_JSON_RAW ||
        oa_json_parse(p->u.str, p->len, NULL, &tree, NULL, 0) != 0 || tree->type != OA_JSON_OBJECT)
        __builtin_trap();
    oa_json_free(tree);
}

#endif
