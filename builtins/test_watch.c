/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test.watch: a module that exists only in builds with tests
 * (OA_TEST_MODULES). It drives the watch library the way linux.service
 * will: compare, act, store the sums only after success and never in a dry
 * run. Its "action" is a line appended to action_log: "restart" when the
 * watch fired, "ensure" otherwise; `fail` makes the run fail after acting,
 * which proves that the sums are then not stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "modules.h"
#include "watch.h"

static const struct oa_param_spec test_watch_params[] = {
    {"watch", OA_PT_ARRAY_OR_BOOL, 0},
    {"action_log", OA_PT_LINE, 0},
    {"fail", OA_PT_BOOL, 0},
    {"tfirst", OA_PT_BOOL, 0},
};

static int append_line(const char *path, const char *line)
{
    size_t len = strlen(line);
    ssize_t n;
    int fd, r = 0;

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0)
        return -errno;
    n = write(fd, line, len);
    if (n < 0)
        r = -errno;
    else if ((size_t)n != len)
        r = -EIO;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r;
}

/* The pretend action, then the outcome; sums are stored by the caller. */
static void act(const struct oa_params *p, const struct oa_watch *w, const char *what,
                struct oa_outcome *out)
{
    const char *log = oa_params_str(p, "action_log");
    int r;

    if (log && (r = append_line(log, w->fired ? "restart\n" : "ensure\n")) < 0) {
        oa_outcome_set(out, false, false, "cannot write action log %.200s: %s", log, strerror(-r));
        return;
    }
    if (oa_params_bool(p, "fail", false))
        oa_outcome_set(out, false, w->fired, "%s%s; failing as asked (fail: true)",
                       w->fired ? "restarted: " : "running", w->fired ? what : "");
    else if (w->fired)
        oa_outcome_set(out, true, true, "restarted: %s", what);
    else
        oa_outcome_set(out, true, false, "running, no change");
}

static int test_watch_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                          struct oa_outcome *out)
{
    struct oa_watch_list list;
    struct oa_watch w = {0};
    char what[1024];
    int r;

    r = oa_watch_list_from_param(oa_params_get(p, "watch"), "watch", &list, out->comment,
                                 sizeof(out->comment));
    if (r == 0)
        r = oa_watch_compare(ctx->watch_dir, ctx->id, &list, oa_params_bool(p, "tfirst", true), &w,
                             out->comment, sizeof(out->comment));
    if (r < 0) {
        out->result = false;
        return 0;
    }
    oa_watch_describe(&w, what, sizeof(what));
    if (ctx->dry_run) {
        if (w.fired)
            oa_outcome_set(out, true, true, "would restart: %s", what);
        else
            oa_outcome_set(out, true, false, "running, no change");
    } else {
        act(p, &w, what, out);
        /* modules.md §1.7: only a successful state stores its sums. */
        if (out->result)
            (void)oa_watch_store_outcome(&w, out);
    }
    oa_watch_done(&w);
    return 0;
}

const struct oa_module oa_mod_test_watch = {
    .name = "test.watch",
    .params = test_watch_params,
    .n_params = sizeof(test_watch_params) / sizeof(test_watch_params[0]),
    .run = test_watch_run,
};
