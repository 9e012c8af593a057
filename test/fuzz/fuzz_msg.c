/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for proto/msg_decode.c: oa_msg_decode, every message the
 * backend sends (protocol.md: AppNotReady, RecipeMetadata, State, WaitList,
 * AgentUpdate, Test, TestAns, and anything else), with the limits the agent
 * decodes with (agent/service.c: JSON 64 deep, 100,000 states). The input
 * is the text of one WebSocket message; the corpus seeds every code, valid
 * and breaking each rule. A message that decodes must hold what the decoder
 * promises for its code; a failure must be one of the documented codes and
 * say why. oa_msg_sample, which quotes the message in the log line, must
 * give at most 200 printable bytes.
 */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "log.h"
#include "msg.h"

static const struct oa_msg_limits limits = {OA_JSON_DEFAULT_DEPTH, OA_MSG_MAX_STATES};

static bool is_name(const char *s)
{
    return s && s[0];
}

static void check_recipe(const struct oa_recipe *r)
{
    if (!r || r->version <= 0 || !r->mod_repo != !r->mod_tag)
        __builtin_trap();
    if (r->mod_repo && (!is_name(r->mod_repo) || !is_name(r->mod_tag)))
        __builtin_trap();
    if ((r->n_states && !r->states) || (!r->has_states && r->n_states))
        __builtin_trap();
    for (size_t i = 0; i < r->n_states; i++) {
        const struct oa_state *st = &r->states[i];
        if (!is_name(st->id) || !is_name(st->module))
            __builtin_trap();
        fuzz_check_raw_object(st->parameter);
    }
    /* A repeated id is one of the recipe's ids. */
    if (r->dup_id && !is_name(r->dup_id))
        __builtin_trap();
}

/* What oa_msg_decode promises for each code (msg.h). */
static void check_msg(const struct oa_msg *m, const char *why)
{
    switch (m->code) {
    case OA_MSG_UNKNOWN:
        if (!why[0])
            __builtin_trap();
        break;
    case OA_MSG_APP_NOT_READY:
    case OA_MSG_TEST:
        break;
    case OA_MSG_RECIPE:
        check_recipe(m->recipe);
        break;
    case OA_MSG_STATE:
        if (m->version <= 0 || !is_name(m->id))
            __builtin_trap();
        break;
    case OA_MSG_WAIT_LIST:
        if (m->version <= 0 || (m->n_ids && !m->ids))
            __builtin_trap();
        for (size_t i = 0; i < m->n_ids; i++)
            if (!is_name(m->ids[i]))
                __builtin_trap();
        break;
    case OA_MSG_AGENT_UPDATE:
        if (!is_name(m->update_version) || !is_name(m->update_url))
            __builtin_trap();
        break;
    case OA_MSG_TEST_ANS:
        if (m->test_error)
            (void)strlen(m->test_error);
        break;
    default:
        __builtin_trap();
    }
}

static void check_sample(const char *text, size_t len)
{
    char out[256];
    size_t n = strlen(oa_msg_sample(text, len, out, sizeof(out)));

    if (n > 200 || n > len)
        __builtin_trap();
    for (size_t i = 0; i < n; i++)
        if (out[i] < 0x20 || out[i] > 0x7e)
            __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct oa_msg m;
    char why[512] = "";
    int r;

    check_sample(text, size);
    r = oa_msg_decode(text, size, &limits, &m, why, sizeof(why));
    if (r < 0) {
        if (r != OA_ESYNTAX && r != OA_EDEPTH && r != OA_ETOOBIG && r != OA_ESCHEMA && r != -ENOMEM)
            __builtin_trap();
        if (!why[0])
            __builtin_trap();
        return 0;
    }
    check_msg(&m, why);
    oa_msg_done(&m);
    return 0;
}
