/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance's identity as the Handshake carries it (protocol.md): the
 * instance id, the app id, the agent version, the instance token, and the
 * start-up problems joined into init_errors.
 *
 * The token lives in the token file: read as it is (the original agent's
 * files are accepted), or created when missing or empty — 32 random bytes
 * from the CTR-DRBG as hex, mode 0400, written atomically. It is a secret:
 * never logged, zeroed before it is freed.
 */
#ifndef OA_IDENT_H
#define OA_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "msg.h"
#include "rng.h"

struct oa_ident {
    char *instance_id;
    char *app_id;
    char *agent_version;
    char *token;
    char *init_errors; /* NULL when there were none */
};

/* Builds the identity from the config. Problems (an unreadable token file,
 * an instance id that needs cloud metadata) are recorded in init_errors and
 * logged, never fatal. Returns 0 or -ENOMEM. The caller frees *ret with
 * oa_ident_done, also after a failure. */
int oa_ident_load(const struct oa_cfg *cfg, struct oa_rng *rng, struct oa_ident *ret);
void oa_ident_done(struct oa_ident *id);

/* Whether an instance_id setting is a metadata URL rather than a literal. */
bool oa_ident_is_url(const char *s);

/* Appends one problem to *list ("; "-joined; *list may be NULL). Returns 0
 * or -ENOMEM, *list unchanged then. */
int oa_ident_join_error(char **list, const char *text);
/* Appends one problem to init_errors. Returns 0 or -ENOMEM. */
int oa_ident_add_error(struct oa_ident *id, const char *text);

/* The view the message encoder takes; valid while id is. */
struct oa_msg_ident oa_ident_view(const struct oa_ident *id);

/* Reads the token at path, or creates it when missing or empty. Returns 0
 * with a newly allocated token, or a negative code with the reason in reterr. */
int oa_ident_token(const char *path, struct oa_rng *rng, char **ret, char *reterr, size_t errlen);

#endif
