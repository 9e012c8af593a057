/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The child-process protocol of design.md, both directions:
 * - the request on the child's stdin:
 *   {"id","module","parameter","dry_run","watch_dir"}, plus the settings a
 *   module may need from the agent's config: "state_dir" (data kept between
 *   rounds), "ca_file", "proxy" and "no_proxy" (downloads); absent or null
 *   when unset. External modules may ignore what they do not use;
 * - the result the module writes on file descriptor 3:
 *   {"result":bool,"comment":string,"changed":bool}.
 * The agent encodes requests and decodes results; `opsagent exec-state` (and
 * any external module) does the opposite.
 */
#ifndef OA_CHILD_H
#define OA_CHILD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "msg.h"

/* The largest result accepted on fd 3. */
#define OA_CHILD_RESULT_MAX 65536

/* What the agent tells every module besides the state itself. */
struct oa_child_settings {
    bool dry_run;
    const char *watch_dir; /* each may be NULL */
    const char *state_dir;
    const char *ca_file;
    const char *proxy;
    const char *no_proxy;
};

struct oa_child_request {
    char *id;
    char *module;
    struct oa_json *parameter; /* an object */
    bool dry_run;
    char *watch_dir; /* these may be NULL */
    char *state_dir;
    char *ca_file;
    char *proxy;
    char *no_proxy;
};

struct oa_child_result {
    bool result;
    bool changed;
    char *comment; /* may be NULL */
};

/* Appends the request for st to out. Returns 0, -ENOMEM or OA_ETOOBIG. */
int oa_child_encode_request(const struct oa_state *st, const struct oa_child_settings *set,
                            struct oa_buf *out);
/* Returns 0 or OA_ESYNTAX / OA_ESCHEMA / OA_EDEPTH / -ENOMEM with the
 * reason in reterr. *ret is written only on success. */
int oa_child_decode_request(const char *text, size_t len, struct oa_child_request *ret,
                            char *reterr, size_t errlen);
void oa_child_request_done(struct oa_child_request *req);

int oa_child_encode_result(const struct oa_child_result *res, struct oa_buf *out);
/* Same returns as oa_child_decode_request. */
int oa_child_decode_result(const char *text, size_t len, struct oa_child_result *ret, char *reterr,
                           size_t errlen);
void oa_child_result_done(struct oa_child_result *res);

#endif
