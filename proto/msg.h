/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protocol messages (spec/protocol.md): their types, decoding with
 * validation, and encoding. Decoded values own all their strings; the JSON
 * tree they came from can be freed right after decoding. Validation errors
 * name the rule that was broken, e.g. "state 3 (id \"x\"): 'module' must be
 * a string, got number".
 */
#ifndef OA_MSG_H
#define OA_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"

#define OA_MSG_MAX_STATES 100000

/* One state of a recipe. */
struct oa_state {
    char *id;
    char *module;
    struct oa_json *parameter; /* always an object */
};

/* A recipe as pushed by RecipeMetadata (or loaded from a file by `once`). */
struct oa_recipe {
    int64_t version; /* 0 when the source had none (a local file) */
    char *mod_repo;  /* NULL when the message had no "module" */
    char *mod_tag;
    bool has_states; /* false for a push without "state": keep the old ones */
    struct oa_state *states;
    size_t n_states;
    char *dup_id; /* the first id that repeats, for a warning; or NULL */
};

enum {
    /* A state without "id" gets "state-N" from its 1-based position
     * (accepted by `once` only; the backend always sends ids). */
    OA_MSG_IDS_OPTIONAL = 1u << 0,
};

void oa_msg_recipe_done(struct oa_recipe *r);
void oa_msg_recipe_free(struct oa_recipe *r);

/* Decodes a "state" array into r->states, taking each state's "parameter"
 * tree out of arr. Returns 0, OA_ESCHEMA with the rule in reterr, OA_ETOOBIG
 * (more than max_states) or -ENOMEM; on failure r->states is left empty. */
int oa_msg_decode_states(struct oa_json *arr, unsigned flags, size_t max_states,
                         struct oa_recipe *r, char *reterr, size_t errlen);

/* Decodes the object of a RecipeMetadata message (its "code" already
 * checked by the caller). Same returns as oa_msg_decode_states. On failure
 * *ret is left zeroed. */
int oa_msg_decode_recipe(struct oa_json *obj, unsigned flags, size_t max_states,
                         struct oa_recipe *ret, char *reterr, size_t errlen);

/* A StateLog (protocol.md). stdout_text may hold any bytes; the encoder
 * writes it as valid UTF-8. */
struct oa_statelog {
    char *instance_id;
    char *app_id;
    int64_t recipe_version;
    char *id;
    bool result;
    char *comment;     /* NULL → null */
    char *stdout_text; /* NULL → null */
    size_t stdout_len;
    /* Local extras for `opsagent once --json`, never sent to the backend: */
    uint64_t duration_ms;
    bool not_run; /* state_result becomes null */
};

void oa_msg_statelog_free(struct oa_statelog *l);

enum {
    OA_MSG_LOCAL_FIELDS = 1u << 0, /* add duration_ms (and null result when not_run) */
};

/* Appends the StateLog as one JSON object to out. Returns 0, -ENOMEM or
 * OA_ETOOBIG (out's cap). */
int oa_msg_encode_statelog(const struct oa_statelog *l, unsigned flags, struct oa_buf *out);

#endif
