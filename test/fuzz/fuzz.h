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

#endif
