/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one parameter validation shared by every module (modules.md §1.1,
 * §1.2). A module declares its parameters with a type from module.json; the
 * recipe's "parameter" object is checked against that list and each value is
 * coerced to its type, accepting the encodings the original backend really
 * sent (numbers as strings, a single string for an array, a dict as a list of
 * {"key","value"} objects, "y"/"n" for a bool, …).
 *
 * A missing or empty required parameter, or a value of the wrong type, fails
 * the state with a comment naming the parameter; an unknown parameter is a
 * warning ("ignoring unknown parameter 'NAME'") written to the state's output.
 */
#ifndef OA_PARAMS_H
#define OA_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"

enum oa_ptype {
    OA_PT_LINE,  /* a string, or a number used as its decimal text */
    OA_PT_TEXT,  /* a string, used verbatim */
    OA_PT_ARRAY, /* an array of strings; a single string is a one-element array */
    OA_PT_DICT,  /* [{"key","value"}…], {K: V}, ["K"…] or "K=V K2=V2" */
    OA_PT_BOOL,  /* true/false, "true"/"yes"/"y"/"1"…, 1/0 */
    OA_PT_STATE, /* opaque (meta.wait); kept as JSON */
    /* A list of strings like ARRAY, or a bool (`watch: true` in the example
     * recipes, modules.md §1.7, §I): JSON true/false, or a single string or
     * number that is a bool word ("true", "no", …). A list fills items/n; a
     * bool leaves n == 0 and sets boolean. */
    OA_PT_ARRAY_OR_BOOL,
};

enum {
    OA_PF_REQUIRED = 1u << 0,   /* missing or empty → the state fails */
    OA_PF_JOIN_LINES = 1u << 1, /* a LINE/TEXT that may arrive as an array: joined with '\n' */
    /* An empty string or array is a value of its own (present, "" or n == 0),
     * not "absent": linux.user `groups: []` removes every supplementary group
     * while a missing `groups` leaves them alone (modules.md §7.2). */
    OA_PF_EMPTY_IS_VALUE = 1u << 2,
};

struct oa_param_spec {
    const char *name;
    enum oa_ptype type;
    unsigned flags;
};

struct oa_kv {
    char *key;
    char *value; /* "" when the recipe gave none */
};

struct oa_pvalue {
    bool present;
    char *str;                 /* LINE, TEXT */
    char **items;              /* ARRAY */
    struct oa_kv *kv;          /* DICT */
    size_t n;                  /* items or kv */
    bool boolean;              /* BOOL */
    const struct oa_json *raw; /* STATE: points into the parsed request */
};

struct oa_params {
    const struct oa_param_spec *spec;
    size_t n_spec;
    struct oa_pvalue *v; /* one per spec entry, same order */
};

/* Checks obj (the state's "parameter" object) against spec. On success
 * fills *ret (free with oa_params_done) and appends one warning line per
 * unknown parameter to warnings (may be NULL). Returns 0, OA_ESCHEMA with a
 * comment such as "missing required parameter 'cmd'" in reterr, or -ENOMEM. */
int oa_params_parse(const struct oa_param_spec *spec, size_t n_spec, const struct oa_json *obj,
                    struct oa_params *ret, struct oa_buf *warnings, char *reterr, size_t errlen);
void oa_params_done(struct oa_params *p);

/* Accessors by name; name must be in the spec (a programmer error otherwise). */
const struct oa_pvalue *oa_params_get(const struct oa_params *p, const char *name);
/* The string of a LINE/TEXT parameter, or NULL when absent. */
const char *oa_params_str(const struct oa_params *p, const char *name);
bool oa_params_bool(const struct oa_params *p, const char *name, bool absent);

/* Reads a LINE parameter holding a whole number in [min, max]. Absent →
 * *ret = absent, 0. Otherwise 0 or OA_ESCHEMA with a comment in reterr. */
int oa_params_uint(const struct oa_params *p, const char *name, uint64_t min, uint64_t max,
                   uint64_t absent, uint64_t *ret, char *reterr, size_t errlen);

/* The same number read straight from a JSON parameter object, without the
 * full validation: used by the agent to find a state's own timeout before it
 * spawns the child. Returns 0 (also when absent: *ret = absent) or OA_ESCHEMA. */
int oa_params_peek_uint(const struct oa_json *obj, const char *name, uint64_t max, uint64_t absent,
                        uint64_t *ret);

#endif
