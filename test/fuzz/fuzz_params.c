/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for builtins/params.c, the parameter validation shared by
 * every module, against the schema of linux.cmd (a required LINE that may
 * arrive as lines to join, optional LINEs, a DICT and two ARRAYs). The input
 * is a recipe's "parameter" object as JSON; when it parses to an object it
 * goes through oa_params_parse with a bounded warnings buffer (as in
 * `opsagent exec-state`) and through oa_builtins_timeout_ms (as in the agent
 * before it spawns the state). Every value that validates is read back
 * through the accessors, so that AddressSanitizer sees each string.
 */
#include <string.h>

#include "builtins.h"
#include "fuzz.h"
#include "log.h"

/* The limits of a parameter object inside a recipe. */
static const struct oa_json_limits limits = {OA_JSON_DEFAULT_DEPTH, 4096, NULL};

static void read_back(const struct oa_module *m, const struct oa_params *p)
{
    char err[256];
    uint64_t timeout;

    for (size_t i = 0; i < m->n_params; i++) {
        const struct oa_param_spec *s = &m->params[i];
        const struct oa_pvalue *v = oa_params_get(p, s->name);

        if ((s->flags & OA_PF_REQUIRED) && !v->present)
            __builtin_trap();
        if (!v->present)
            continue;
        switch (s->type) {
        case OA_PT_LINE:
        case OA_PT_TEXT:
            (void)strlen(oa_params_str(p, s->name));
            break;
        case OA_PT_ARRAY:
            for (size_t j = 0; j < v->n; j++)
                (void)strlen(v->items[j]);
            break;
        case OA_PT_DICT:
            for (size_t j = 0; j < v->n; j++)
                (void)(strlen(v->kv[j].key) + strlen(v->kv[j].value));
            break;
        default:
            break;
        }
    }
    (void)oa_params_uint(p, "timeout", 1, 30ULL * 24 * 3600, 600, &timeout, err, sizeof(err));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct oa_module *m = oa_builtins_find("linux.cmd");
    struct oa_json *obj;
    struct oa_params p;
    struct oa_buf warnings;
    char err[512] = "";

    if (!m)
        __builtin_trap();
    if (oa_json_parse((const char *)data, size, &limits, &obj, NULL, 0) < 0)
        return 0;
    if (obj->type != OA_JSON_OBJECT) {
        oa_json_free(obj);
        return 0;
    }
    if (oa_builtins_timeout_ms(m, obj, (uint64_t)3600 * 1000) == 0)
        __builtin_trap();
    oa_buf_init(&warnings, 4096);
    if (oa_params_parse(m->params, m->n_params, obj, &p, &warnings, err, sizeof(err)) == 0) {
        read_back(m, &p);
        oa_params_done(&p);
    } else if (err[0] == '\0') {
        __builtin_trap();
    }
    if (warnings.len && strlen(warnings.data) != warnings.len)
        __builtin_trap();
    oa_buf_done(&warnings);
    oa_json_free(obj);
    return 0;
}
