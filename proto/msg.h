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
    /* An object; in a recipe decoded from text (oa_msg_decode,
     * oa_recipe_parse) its JSON text instead, an OA_JSON_RAW node, parsed
     * when the state runs. */
    struct oa_json *parameter;
};

/* Parse recipes with this raw_key (oa_json_limits) to keep parameters as
 * text: a 10,000-state recipe then takes about its own size, not 3.5 times. */
#define OA_MSG_RAW_KEY "parameter"

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

/* Backend → agent messages (protocol.md). */
enum oa_msg_code {
    OA_MSG_UNKNOWN,       /* no code, an unknown code, or not an object: ignored */
    OA_MSG_APP_NOT_READY, /* AppNotReady */
    OA_MSG_RECIPE,        /* RecipeMetadata */
    OA_MSG_STATE,         /* State: a waited state is done */
    OA_MSG_WAIT_LIST,     /* WaitList: the answer to WaitQuery */
    OA_MSG_AGENT_UPDATE,  /* AgentUpdate */
    OA_MSG_TEST,          /* Test: answer with a Test message */
    OA_MSG_TEST_ANS,      /* TestAns */
};

struct oa_msg {
    enum oa_msg_code code;
    struct oa_recipe *recipe; /* RECIPE */
    int64_t version;          /* STATE, WAIT_LIST */
    char *id;                 /* STATE */
    char **ids;               /* WAIT_LIST: the state_id of every entry */
    size_t n_ids;
    char *update_version; /* AGENT_UPDATE */
    char *update_url;
    bool test_result; /* TEST_ANS */
    char *test_error; /* TEST_ANS, may be NULL */
};

struct oa_msg_limits {
    unsigned max_depth; /* JSON nesting */
    size_t max_states;
};

/* Decodes one text message. Returns:
 *   0 with *ret filled (free with oa_msg_done); ret->code OA_MSG_UNKNOWN
 *     means "log a warning and ignore", with the reason in reterr;
 *   OA_ESYNTAX: not JSON (protocol.md: close with 1007);
 *   OA_EDEPTH / OA_ETOOBIG: beyond the limits (reject, keep running);
 *   OA_ESCHEMA: a known message that breaks a rule (reject it as a whole);
 *   -ENOMEM.
 * reterr names the rule, e.g. "State: 'id' must be a non-empty string". */
int oa_msg_decode(const char *text, size_t len, const struct oa_msg_limits *limits,
                  struct oa_msg *ret, char *reterr, size_t errlen);
void oa_msg_done(struct oa_msg *m);

/* At most 200 bytes of a message for a log line, every byte that is not
 * printable ASCII replaced by '?', and no secret: the string value of a key
 * naming one (any key containing "pass", "secret", "token", "credential"
 * or "private", in any case) and the password of a URL's user info are
 * shown as "***". Never longer than len or 200 bytes. Returns out. */
const char *oa_msg_sample(const char *text, size_t len, char *out, size_t outlen);

/* The identity every agent → backend message carries. */
struct oa_msg_ident {
    const char *instance_id;
    const char *app_id;
    const char *agent_version;
    const char *token;       /* never logged */
    const char *init_errors; /* NULL → null */
};

/* Handshake, or the answer to Test (same fields, code "Test"). Appends one
 * JSON object to out. Returns 0, -ENOMEM or OA_ETOOBIG. */
int oa_msg_encode_handshake(const struct oa_msg_ident *id, bool test, struct oa_buf *out);
int oa_msg_encode_wait_query(const struct oa_msg_ident *id, int64_t version, struct oa_buf *out);

enum {
    OA_MSG_LOCAL_FIELDS = 1u << 0, /* add duration_ms (and null result when not_run) */
};

/* Appends the StateLog as one JSON object to out. Returns 0, -ENOMEM or
 * OA_ETOOBIG (out's cap). */
int oa_msg_encode_statelog(const struct oa_statelog *l, unsigned flags, struct oa_buf *out);

#endif
