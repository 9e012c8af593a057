/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The child-process protocol of design.md, both directions:
 * - the request on the child's stdin:
 *   {"id","module","parameter","dry_run","watch_dir"};
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

struct oa_child_request {
    char *id;
    char *module;
    struct oa_json *parameter; /* an object */
    bool dry_run;
    char *watch_dir; /* may be NULL */
};

struct oa_child_result {
    bool result;
    bool changed;
    char *comment; /* may be NULL */
};

/* Appends the request for st to out. Returns 0, -ENOMEM or OA_ETOOBIG. */
int oa_child_encode_request(const struct oa_state *st, bool dry_run, const char *watch_dir,
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
