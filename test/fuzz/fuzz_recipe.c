/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for agent/recipe.c: oa_recipe_parse, the recipe files of
 * `opsagent once`, in all four shapes (a bare state array, {"state": [...]},
 * a RecipeMetadata message, {"component": {NAME: {"state": [...]}}}); the
 * corpus seeds each shape. A recipe that decodes must hold what the decoder
 * promises (every state with a non-empty id and module, and the text of an
 * object for its parameters) and is then freed; a failure must say why. The regression
 * input b101b66a... is the empty component that made join_components pass
 * NULL to memcpy.
 */
#include "fuzz.h"
#include "log.h"
#include "recipe.h"

static void check_recipe(const struct oa_recipe *r)
{
    if (r->n_states && !r->states)
        __builtin_trap();
    for (size_t i = 0; i < r->n_states; i++) {
        const struct oa_state *st = &r->states[i];
        if (!st->id || !st->id[0] || !st->module || !st->module[0])
            __builtin_trap();
        fuzz_check_raw_object(st->parameter);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oa_recipe r;
    char err[512] = "";

    if (oa_recipe_parse((const char *)data, size, &r, err, sizeof(err)) < 0) {
        /* A failure always says why. */
        if (err[0] == '\0')
            __builtin_trap();
        return 0;
    }
    check_recipe(&r);
    oa_msg_recipe_done(&r);
    return 0;
}
