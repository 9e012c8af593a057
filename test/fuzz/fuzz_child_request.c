/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for proto/child.c, the module's side of stdin:
 * oa_child_decode_request, the {"id","module","parameter","dry_run",
 * "watch_dir"} object `opsagent exec-state` (and any external module) reads
 * (design.md, child-process protocol). A request that decodes is encoded
 * again with oa_child_encode_request, as the agent would send it, and that
 * text must decode to the same request; a failure must say why.
 */
#include <stdint.h>
#include <string.h>

#include "child.h"
#include "fuzz.h"
#include "log.h"

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The parameter trees compared through their JSON text. */
static bool same_tree(const struct oa_json *a, const struct oa_json *b)
{
    yajl_gen ga = oa_json_gen_new(), gb = oa_json_gen_new();
    const unsigned char *ta, *tb;
    size_t la, lb;
    bool same;

    if (!ga || !gb || oa_json_gen_value(ga, a) < 0 || oa_json_gen_value(gb, b) < 0)
        __builtin_trap();
    yajl_gen_get_buf(ga, &ta, &la);
    yajl_gen_get_buf(gb, &tb, &lb);
    same = la == lb && memcmp(ta, tb, la) == 0;
    yajl_gen_free(ga);
    yajl_gen_free(gb);
    return same;
}

static void round_trip(const struct oa_child_request *req)
{
    const struct oa_state st = {req->id, req->module, req->parameter};
    struct oa_child_request again;
    struct oa_buf out;
    char err[256];

    oa_buf_init(&out, SIZE_MAX);
    const struct oa_child_settings set = {req->dry_run, req->watch_dir, req->state_dir,
                                          req->ca_file, req->proxy,     req->no_proxy};

    if (oa_child_encode_request(&st, &set, &out) < 0)
        __builtin_trap();
    if (oa_child_decode_request(out.data, out.len, &again, err, sizeof(err)) < 0)
        __builtin_trap();
    if (!same_str(again.id, req->id) || !same_str(again.module, req->module) ||
        again.dry_run != req->dry_run || !same_str(again.watch_dir, req->watch_dir) ||
        !same_str(again.state_dir, req->state_dir) || !same_str(again.ca_file, req->ca_file) ||
        !same_str(again.proxy, req->proxy) || !same_str(again.no_proxy, req->no_proxy) ||
        !same_tree(again.parameter, req->parameter))
        __builtin_trap();
    oa_child_request_done(&again);
    oa_buf_done(&out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oa_child_request req;
    char err[256] = "";

    if (oa_child_decode_request((const char *)data, size, &req, err, sizeof(err)) < 0) {
        if (err[0] == '\0')
            __builtin_trap();
        return 0;
    }
    if (!req.id || !req.module || !req.parameter || req.parameter->type != OA_JSON_OBJECT)
        __builtin_trap();
    round_trip(&req);
    oa_child_request_done(&req);
    return 0;
}
