/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounded JSON tree builder on yajl's callback parser. Every container is
 * attached to its parent when it opens, so on any failure freeing the root
 * frees everything built so far. Inside an object kept raw the callbacks
 * only count, check and track depth; its node is made when it closes.
 *
 * With a raw_key the tree is built in an arena owned by its root (the
 * arena's first block), but for the RAW nodes, which a recipe takes out:
 * freeing the root walks the tree for the RAW nodes left, then drops the
 * arena.
 */
#include "json.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "arena.h"
#include "err.h"
#include "mem.h"
#include "utf8.h"

/* oa_json.alloc */
enum { NODE_MALLOC, NODE_ARENA, NODE_ARENA_ROOT };

struct arena_root {
    struct oa_arena *arena;
    struct oa_json node;
};

struct frame {
    struct oa_json *node;
    size_t alloc; /* slots allocated in items / members */
};

struct builder {
    struct oa_json *root;
    struct frame *stack;
    unsigned depth; /* containers open in the tree */
    const struct oa_json_limits *limits;
    size_t nodes;
    int err; /* the reason we cancelled the parse */
    yajl_handle h;
    const char *text; /* the whole input, checked as UTF-8 */
    size_t len;
    struct oa_arena *arena; /* with a raw_key; the root's once there is one */
    bool raw_next;          /* the last key was raw_key */
    unsigned raw_open;      /* containers open inside a raw object; 0 outside */
    size_t raw_start;       /* offset of the raw object's '{' */
};

/* yajl's internal buffers do not survive a failed allocation (yajl_buf and
 * yajl_bytestack assume success), so yajl allocates with plain malloc and
 * only the tree built here goes through oa_malloc and its failure tests. */

/* A node's items, members and keys are allocated as the node is. */
/* NOLINTNEXTLINE(misc-no-recursion): a tree is at most max_depth deep */
void oa_json_free(struct oa_json *v)
{
    bool own;

    if (!v)
        return;
    own = v->alloc == NODE_MALLOC;
    switch (v->type) {
    case OA_JSON_STRING:
    case OA_JSON_NUMBER:
    case OA_JSON_RAW:
        break; /* the text is part of the node */
    case OA_JSON_ARRAY:
        for (size_t i = 0; i < v->len; i++)
            oa_json_free(v->u.items[i]);
        if (own)
            oa_free(v->u.items);
        break;
    case OA_JSON_OBJECT:
        for (size_t i = 0; i < v->len; i++) {
            if (own)
                oa_free(v->u.members[i].key);
            oa_json_free(v->u.members[i].value);
        }
        if (own)
            oa_free(v->u.members);
        break;
    default:
        break;
    }
    if (own)
        oa_free(v);
    else if (v->alloc == NODE_ARENA_ROOT)
        oa_arena_free(
            ((struct arena_root *)((char *)v - offsetof(struct arena_root, node)))->arena);
}

/* Memory for the tree but RAW nodes: from the arena, or on its own. */
static void *tree_alloc(struct builder *b, size_t size)
{
    return b->arena ? oa_arena_alloc(b->arena, size) : oa_malloc(size);
}

static int grow_frame(struct builder *b, struct frame *f, size_t elem_size)
{
    size_t alloc = f->alloc ? f->alloc * 2 : 4;
    void **slot =
        f->node->type == OA_JSON_ARRAY ? (void **)&f->node->u.items : (void **)&f->node->u.members;
    void *p;

    if (!b->arena) {
        p = oa_realloc(*slot, alloc * elem_size);
    } else if ((p = oa_arena_alloc(b->arena, alloc * elem_size)) && f->node->len) {
        /* The old block stays in the arena: at most as much as the last. */
        memcpy(p, *slot, f->node->len * elem_size);
    }
    if (!p)
        return -ENOMEM;
    *slot = p;
    f->alloc = alloc;
    return 0;
}

/* A zeroed node with extra bytes after it. In an arena the root is the
 * arena's first block and owns it from then on. */
static struct oa_json *new_node(struct builder *b, enum oa_json_type type, size_t extra)
{
    struct oa_json *v = NULL;
    struct arena_root *r;
    unsigned char kind = NODE_ARENA;

    if (!b->arena || type == OA_JSON_RAW)
        return oa_calloc(1, sizeof(*v) + extra);
    if (b->depth > 0) {
        v = oa_arena_alloc(b->arena, sizeof(*v) + extra);
    } else if ((r = oa_arena_alloc(b->arena, sizeof(*r) + extra))) {
        r->arena = b->arena;
        v = &r->node;
        kind = NODE_ARENA_ROOT;
    }
    if (v) {
        memset(v, 0, sizeof(*v));
        v->alloc = kind;
    }
    return v;
}

static int count_node(struct builder *b)
{
    if (++b->nodes > b->limits->max_nodes) {
        b->err = OA_ETOOBIG;
        return 0;
    }
    return 1;
}

/* Creates a node and attaches it where the parser is: as the root, as the
 * next array item, or as the value of the object's last key. */
static struct oa_json *attach_node(struct builder *b, enum oa_json_type type, size_t extra)
{
    struct oa_json *v = new_node(b, type, extra);

    if (!v) {
        b->err = -ENOMEM;
        return NULL;
    }
    v->type = type;
    if (b->depth == 0) {
        b->root = v;
        return v;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (f->node->type == OA_JSON_ARRAY) {
        if (f->node->len == f->alloc && grow_frame(b, f, sizeof(struct oa_json *)) < 0) {
            if (v->alloc == NODE_MALLOC)
                oa_free(v);
            b->err = -ENOMEM;
            return NULL;
        }
        f->node->u.items[f->node->len++] = v;
    } else {
        /* on_key added the member; its value is still empty. */
        f->node->u.members[f->node->len - 1].value = v;
    }
    return v;
}

static struct oa_json *add_node(struct builder *b, enum oa_json_type type, size_t extra)
{
    b->raw_next = false;
    return count_node(b) ? attach_node(b, type, extra) : NULL;
}

static void set_text(struct oa_json *v, const char *s, size_t len)
{
    v->u.str = (char *)(v + 1);
    memcpy(v->u.str, s, len);
    v->u.str[len] = '\0';
    v->len = len;
}

/* A string or a number: its text is stored right after the node, in the
 * same allocation (half the allocations of a recipe's tree). */
static int add_text(struct builder *b, enum oa_json_type type, const char *s, size_t len)
{
    struct oa_json *v;

    if (b->raw_open)
        return count_node(b);
    v = add_node(b, type, len + 1);
    if (v)
        set_text(v, s, len);
    return v != NULL;
}

static int on_null(void *ctx)
{
    struct builder *b = ctx;
    return b->raw_open ? count_node(b) : add_node(b, OA_JSON_NULL, 0) != NULL;
}

static int on_boolean(void *ctx, int value)
{
    struct builder *b = ctx;
    struct oa_json *v;

    if (b->raw_open)
        return count_node(b);
    v = add_node(b, OA_JSON_BOOL, 0);
    if (v)
        v->u.boolean = value != 0;
    return v != NULL;
}

static int on_number(void *ctx, const char *s, size_t len)
{
    return add_text(ctx, OA_JSON_NUMBER, s, len);
}

/* The whole text was checked before parsing, so only a string that yajl
 * decoded into a buffer of its own (one with escapes) needs a check: a
 * \uD800 escape turns into a surrogate. yajl's own UTF-8 check is off; it
 * only looks at the shape of each sequence anyway. */
static int check_utf8(struct builder *b, const unsigned char *s, size_t len)
{
    uintptr_t p = (uintptr_t)s, text = (uintptr_t)b->text;

    if ((p >= text && p - text <= b->len) || oa_utf8_valid((const char *)s, len))
        return 1;
    b->err = OA_ESYNTAX;
    return 0;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    return check_utf8(ctx, s, len) && add_text(ctx, OA_JSON_STRING, (const char *)s, len);
}

/* The offset just past the token yajl has handed to a callback. */
static size_t parsed_bytes(const struct builder *b)
{
    return yajl_get_bytes_consumed(b->h);
}

static int open_container(struct builder *b, enum oa_json_type type)
{
    struct oa_json *v;

    if (b->depth + b->raw_open >= b->limits->max_depth) {
        b->err = OA_EDEPTH;
        return 0;
    }
    if (b->raw_open || (type == OA_JSON_OBJECT && b->raw_next)) {
        if (!b->raw_open++)
            b->raw_start = parsed_bytes(b) - 1;
        b->raw_next = false;
        return count_node(b);
    }
    v = add_node(b, type, 0);
    if (!v)
        return 0;
    b->stack[b->depth].node = v;
    b->stack[b->depth].alloc = 0;
    b->depth++;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, OA_JSON_OBJECT);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, OA_JSON_ARRAY);
}

/* The raw object's text runs from its '{' to the '}' just parsed; it was
 * counted when it opened. */
static int close_raw(struct builder *b)
{
    size_t len = parsed_bytes(b) - b->raw_start;
    struct oa_json *v = attach_node(b, OA_JSON_RAW, len + 1);

    if (v)
        set_text(v, b->text + b->raw_start, len);
    return v != NULL;
}

static int on_end(void *ctx)
{
    struct builder *b = ctx;

    if (b->raw_open)
        return --b->raw_open ? 1 : close_raw(b);
    b->depth--;
    return 1;
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
    struct builder *b = ctx;
    struct frame *f = &b->stack[b->depth - 1];
    char *k;

    if (!check_utf8(b, key, len))
        return 0;
    if (b->raw_open)
        return 1;
    if (f->node->len == f->alloc && grow_frame(b, f, sizeof(struct oa_json_member)) < 0) {
        b->err = -ENOMEM;
        return 0;
    }
    k = tree_alloc(b, len + 1);
    if (!k) {
        b->err = -ENOMEM;
        return 0;
    }
    memcpy(k, key, len);
    k[len] = '\0';
    f->node->u.members[f->node->len].key = k;
    f->node->u.members[f->node->len].value = NULL;
    f->node->len++;
    b->raw_next = b->limits->raw_key && len == strlen(b->limits->raw_key) &&
                  memcmp(key, b->limits->raw_key, len) == 0;
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null,      on_boolean, NULL,   NULL,           on_number, on_string,
    on_start_map, on_map_key, on_end, on_start_array, on_end,
};

static void syntax_error(yajl_handle h, const char *text, size_t len, size_t at, char *reterr,
                         size_t errlen)
{
    unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, len);
    const char *m = msg ? (const char *)msg : "parse error";

    /* yajl's text reads "parse error: <what>\n"; keep only <what>. */
    if (strncmp(m, "parse error: ", 13) == 0)
        m += 13;
    snprintf(reterr, errlen, "invalid JSON at byte %zu: %.*s", at, (int)strcspn(m, "\n"), m);
    if (msg)
        yajl_free_error(h, msg);
}

static bool only_blanks(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
            return false;
    return true;
}

int oa_json_parse(const char *text, size_t len, const struct oa_json_limits *limits,
                  struct oa_json **ret, char *reterr, size_t errlen)
{
    static const struct oa_json_limits defaults = {OA_JSON_DEFAULT_DEPTH, SIZE_MAX, NULL};
    char dummy[1];
    struct builder b = {.text = text, .len = len};
    yajl_handle h;
    yajl_status st;
    size_t at;
    int r = 0;

    if (!reterr) {
        reterr = dummy;
        errlen = sizeof(dummy);
    }
    if (only_blanks(text, len)) {
        snprintf(reterr, errlen, "invalid JSON: empty input");
        return OA_ESYNTAX;
    }
    at = oa_utf8_valid_len(text, len);
    if (at < len) {
        snprintf(reterr, errlen, "invalid JSON at byte %zu: invalid UTF-8", at);
        return OA_ESYNTAX;
    }
    b.limits = limits ? limits : &defaults;
    b.stack = oa_calloc(b.limits->max_depth + 1, sizeof(*b.stack));
    if (b.stack && b.limits->raw_key)
        b.arena = oa_arena_new();
    h = b.stack && (b.arena || !b.limits->raw_key) ? yajl_alloc(&callbacks, NULL, &b) : NULL;
    if (!h) {
        oa_arena_free(b.arena);
        oa_free(b.stack);
        return -ENOMEM;
    }
    b.h = h;
    yajl_config(h, yajl_dont_validate_strings, 1);
    st = yajl_parse(h, (const unsigned char *)text, len);
    /* An error found by yajl_complete_parse is at the end of the text; yajl
     * would count bytes of its own final call instead. */
    at = yajl_get_bytes_consumed(h);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
        at = len;
    }

    if (st == yajl_status_client_canceled) {
        r = b.err;
        if (r == OA_ESYNTAX)
            snprintf(reterr, errlen, "invalid JSON at byte %zu: invalid UTF-8 in a string", at);
        else if (r == OA_EDEPTH)
            snprintf(reterr, errlen, "JSON nested deeper than %u levels", b.limits->max_depth);
        else if (r == OA_ETOOBIG)
            snprintf(reterr, errlen, "JSON has more than %zu values", b.limits->max_nodes);
        else
            snprintf(reterr, errlen, "out of memory");
    } else if (st != yajl_status_ok) {
        /* yajl reports its own allocation failures as parse errors. */
        r = b.err ? b.err : OA_ESYNTAX;
        syntax_error(h, text, len, at, reterr, errlen);
    } else if (!b.root) {
        r = OA_ESYNTAX;
        snprintf(reterr, errlen, "invalid JSON: empty input");
    }
    yajl_free(h);
    oa_free(b.stack);
    if (!b.root)
        oa_arena_free(b.arena); /* a root owns it */
    if (r < 0) {
        oa_json_free(b.root);
        return r;
    }
    *ret = b.root;
    return 0;
}

struct oa_json *oa_json_get(const struct oa_json *v, const char *key)
{
    if (!v || v->type != OA_JSON_OBJECT)
        return NULL;
    for (size_t i = v->len; i-- > 0;)
        if (strcmp(v->u.members[i].key, key) == 0)
            return v->u.members[i].value;
    return NULL;
}

struct oa_json *oa_json_take(struct oa_json *v, const char *key)
{
    if (!v || v->type != OA_JSON_OBJECT)
        return NULL;
    for (size_t i = v->len; i-- > 0;) {
        if (strcmp(v->u.members[i].key, key) == 0) {
            struct oa_json *taken = v->u.members[i].value;
            /* An arena's node cannot outlive its root (json.h). */
            assert(!taken || taken->alloc == NODE_MALLOC);
            v->u.members[i].value = NULL;
            return taken;
        }
    }
    return NULL;
}

const char *oa_json_type_name(const struct oa_json *v)
{
    static const char *const names[] = {"null",  "bool",   "number", "string",
                                        "array", "object", "object"};
    return v ? names[v->type] : "nothing";
}

struct oa_json *oa_json_new_object(void)
{
    struct oa_json *v = oa_calloc(1, sizeof(*v));
    if (v)
        v->type = OA_JSON_OBJECT;
    return v;
}
