/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The module table: every state module the agent implements natively, by
 * name, with its parameter schema and its implementation. `run` executes in
 * the `opsagent exec-state` child and knows nothing of the loop, the Manager
 * or the StatesWorker; it may block. Modules marked in_agent (meta.*) are
 * handled by the StatesWorker itself and never spawned.
 */
#ifndef OA_BUILTINS_H
#define OA_BUILTINS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "params.h"

/* What a module's run tells the agent (sent back on fd 3). */
struct oa_outcome {
    bool result;
    bool changed;
    char comment[2048];
};

/* Sets all three fields; the comment is formatted and cut to fit. */
void oa_outcome_set(struct oa_outcome *out, bool result, bool changed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The outcome of one item of a state that names several (services,
 * programs), joined into the state's comment by the module. */
struct oa_item {
    bool ok;
    bool changed;
    char text[512];
};

/* Sets all three fields; the text is formatted and cut to fit. */
void oa_item_set(struct oa_item *it, bool ok, bool changed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct oa_run_ctx {
    const char *id;        /* the state's id */
    bool dry_run;          /* report what would change; change nothing */
    const char *watch_dir; /* where watch sums live; may be NULL */
    const char *state_dir; /* data kept between rounds (modules.md §1.12); may be NULL */
    const char *ca_file;   /* CA certificates for downloads; NULL: the system bundle */
    const char *proxy;     /* http:// proxy for downloads, or NULL */
    const char *no_proxy;  /* hosts reached directly, or NULL */
};

struct oa_module {
    const char *name;
    const struct oa_param_spec *params;
    size_t n_params;
    /* The parameter holding the state's own timeout in seconds (NULL: none),
     * and the timeout when it is absent (0: the agent's state_timeout). */
    const char *timeout_param;
    uint64_t default_timeout_ms;
    bool in_agent;
    /* Runs the state with validated parameters; fills *out. Output for
     * people goes to stdout. Returns 0, or a negative code when the module
     * could not do its job (out says why). */
    int (*run)(const struct oa_run_ctx *ctx, const struct oa_params *p, struct oa_outcome *out);
};

/* The module called name, or NULL. */
const struct oa_module *oa_builtins_find(const char *name);

/* The timeout of one state of module m with the given parameters: the
 * module's own timeout parameter when present and valid, else its default,
 * else fallback_ms. */
uint64_t oa_builtins_timeout_ms(const struct oa_module *m, const struct oa_json *parameter,
                                uint64_t fallback_ms);

/* The body of `opsagent exec-state`: reads the request from stdin, runs the
 * module, writes the result on fd 3 (or stdout when fd 3 is not open).
 * Returns the process exit status: 0 success, 1 the state failed, 2 the
 * request was unusable. */
int oa_builtins_exec_state(void);

#endif
