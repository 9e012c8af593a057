/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON through yajl, with limits. yajl's own tree API has no depth limit and
 * frees recursively, so this module builds its own tree from yajl's parser
 * callbacks, counting depth and nodes as it goes, and rejects input beyond
 * the limits before allocating for it. Numbers keep their source text so a
 * caller can read "1000" and 1000 alike. Strings are valid UTF-8 (the whole
 * text is checked first, then every string with escapes) and may contain
 * NUL bytes (len is authoritative).
 *
 * A caller may ask for the objects under one key to be kept as their JSON
 * text (OA_JSON_RAW): a recipe holds thousands of parameter sets that are
 * needed as trees only while their state runs, and a node per value would
 * take several times the size of the text. Such a tree also lives in one
 * arena (proto/arena.h) but for its RAW nodes: those may be taken out with
 * oa_json_take, nothing else may.
 *
 * Writing goes through yajl_gen; oa_json_gen_value() writes a tree.
 */
#ifndef OA_JSON_H
#define OA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

enum oa_json_type {
    OA_JSON_NULL,
    OA_JSON_BOOL,
    OA_JSON_NUMBER,
    OA_JSON_STRING,
    OA_JSON_ARRAY,
    OA_JSON_OBJECT,
    OA_JSON_RAW, /* an object kept as its text (u.str, len): see raw_key */
};

struct oa_json;

struct oa_json_member {
    char *key;
    struct oa_json *value; /* may be set to NULL by a caller that takes it */
};

struct oa_json {
    enum oa_json_type type;
    unsigned char alloc; /* how json.c gives the node back; 0: oa_free */
    size_t len;          /* bytes of a string or number; items of an array; members of an object */
    union {
        bool boolean;
        char *str; /* STRING, NUMBER and RAW, NUL-terminated */
        struct oa_json **items;
        struct oa_json_member *members;
    } u;
};

struct oa_json_limits {
    unsigned max_depth; /* containers nested at most this deep (64 by default) */
    size_t max_nodes;   /* values in the whole document */
    /* When set, an object that is the value of this key (at any depth) is
     * checked and counted like any other but kept as one OA_JSON_RAW node
     * holding its exact text; oa_json_parse of that text gives its tree. */
    const char *raw_key;
};

#define OA_JSON_DEFAULT_DEPTH 64

/* Parses exactly one JSON value from text (len bytes; trailing blanks are
 * fine). On success *ret is a tree owned by the caller (oa_json_free).
 * Returns 0, OA_ESYNTAX (with yajl's message and the byte offset in reterr),
 * OA_EDEPTH, OA_ETOOBIG (too many nodes) or -ENOMEM. reterr may be NULL. */
int oa_json_parse(const char *text, size_t len, const struct oa_json_limits *limits,
                  struct oa_json **ret, char *reterr, size_t errlen);

/* Frees a tree; accepts NULL. Members whose value was taken are skipped. */
void oa_json_free(struct oa_json *v);

/* The value of key in an object (the last one when a key repeats), or NULL
 * when v is not an object or has no such key. */
struct oa_json *oa_json_get(const struct oa_json *v, const char *key);
/* Like oa_json_get but removes the value from the object: the caller owns
 * it. In a tree parsed with a raw_key, only a RAW value may be taken. */
struct oa_json *oa_json_take(struct oa_json *v, const char *key);

/* "null", "bool", "number", "string", "array", "object" (also for RAW) —
 * for error texts. */
const char *oa_json_type_name(const struct oa_json *v);

/* A new empty object, or NULL when out of memory. */
struct oa_json *oa_json_new_object(void);

/* Writes v with g. Returns 0 or -ENOMEM / OA_ESYNTAX (yajl refused). */
int oa_json_gen_value(yajl_gen g, const struct oa_json *v);

/* Small yajl_gen helpers; each returns 0 or -ENOMEM. oa_json_gen_key_str
 * writes "key": "value", or "key": null when value is NULL. */
int oa_json_gen_str(yajl_gen g, const char *s);
int oa_json_gen_strn(yajl_gen g, const char *s, size_t len);
int oa_json_gen_key_str(yajl_gen g, const char *key, const char *value);
int oa_json_gen_key_int(yajl_gen g, const char *key, long long value);
int oa_json_gen_key_bool(yajl_gen g, const char *key, bool value);

/* A yajl_gen that checks UTF-8 of every string; NULL when out of memory. */
yajl_gen oa_json_gen_new(void);

#endif
