/* SPDX-License-Identifier: Apache-2.0 */
/* The four recipe file shapes of `opsagent once`. */
#include "recipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "mem.h"

/* The components' state arrays concatenated, in file order, into one array
 * node whose items are taken from the tree. */
static int join_components(struct oa_json *components, struct oa_json *joined, char *reterr,
                           size_t errlen)
{
    size_t total = 0, n = 0;

    if (components->type != OA_JSON_OBJECT) {
        snprintf(reterr, errlen, "'component' must be an object, got %s",
                 oa_json_type_name(components));
        return OA_ESCHEMA;
    }
    for (size_t i = 0; i < components->len; i++) {
        const struct oa_json_member *m = &components->u.members[i];
        const struct oa_json *st = oa_json_get(m->value, "state");
        if (!st || st->type != OA_JSON_ARRAY) {
            snprintf(reterr, errlen, "component '%.60s': 'state' must be an array, got %s", m->key,
                     st ? oa_json_type_name(st) : "nothing");
            return OA_ESCHEMA;
        }
        total += st->len;
    }
    joined->type = OA_JSON_ARRAY;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    joined->u.items = oa_calloc(total, sizeof(*joined->u.items));
    if (!joined->u.items)
        return -ENOMEM;
    for (size_t i = 0; i < components->len; i++) {
        struct oa_json *st = oa_json_get(components->u.members[i].value, "state");
        /* An empty array has no items array (NULL), which memcpy must not get. */
        if (st->len) /* NOLINTNEXTLINE(bugprone-sizeof-expression): as above */
            memcpy(joined->u.items + n, st->u.items, st->len * sizeof(*st->u.items));
        n += st->len;
        st->len = 0; /* the items now belong to joined */
    }
    joined->len = n;
    return 0;
}

static int decode_shape(struct oa_json *root, struct oa_recipe *r, char *reterr, size_t errlen)
{
    const struct oa_json *code;
    struct oa_json *v, joined = {0};
    int ret;

    if (root->type == OA_JSON_ARRAY)
        return oa_msg_decode_states(root, OA_MSG_IDS_OPTIONAL, OA_MSG_MAX_STATES, r, reterr,
                                    errlen);
    if (root->type != OA_JSON_OBJECT) {
        snprintf(reterr, errlen, "expected a recipe (an array of states or an object), got %s",
                 oa_json_type_name(root));
        return OA_ESCHEMA;
    }
    code = oa_json_get(root, "code");
    if (code) {
        if (code->type != OA_JSON_STRING || strcmp(code->u.str, "RecipeMetadata") != 0) {
            snprintf(reterr, errlen, "'code' must be \"RecipeMetadata\" in a recipe file");
            return OA_ESCHEMA;
        }
        ret = oa_msg_decode_recipe(root, OA_MSG_IDS_OPTIONAL, OA_MSG_MAX_STATES, r, reterr, errlen);
        if (ret == 0 && !r->has_states) {
            snprintf(reterr, errlen, "the RecipeMetadata message has no 'state' to run");
            oa_msg_recipe_done(r);
            return OA_ESCHEMA;
        }
        return ret;
    }
    if ((v = oa_json_get(root, "state")))
        return oa_msg_decode_states(v, OA_MSG_IDS_OPTIONAL, OA_MSG_MAX_STATES, r, reterr, errlen);
    if ((v = oa_json_get(root, "component"))) {
        ret = join_components(v, &joined, reterr, errlen);
        if (ret == 0)
            ret = oa_msg_decode_states(&joined, OA_MSG_IDS_OPTIONAL, OA_MSG_MAX_STATES, r, reterr,
                                       errlen);
        /* The joined items are owned by joined now. */
        for (size_t i = 0; i < joined.len; i++)
            oa_json_free(joined.u.items[i]);
        oa_free(joined.u.items);
        return ret;
    }
    snprintf(reterr, errlen,
             "expected an array of states, or an object with 'state', 'component' or "
             "\"code\": \"RecipeMetadata\"");
    return OA_ESCHEMA;
}

int oa_recipe_parse(const char *text, size_t len, struct oa_recipe *ret, char *reterr,
                    size_t errlen)
{
    struct oa_json_limits limits = {OA_JSON_DEFAULT_DEPTH, SIZE_MAX, OA_MSG_RAW_KEY};
    struct oa_recipe r = {0};
    struct oa_json *root;
    int err;

    err = oa_json_parse(text, len, &limits, &root, reterr, errlen);
    if (err < 0)
        return err;
    err = decode_shape(root, &r, reterr, errlen);
    oa_json_free(root);
    if (err < 0)
        return err;
    *ret = r;
    return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len)
{
    struct stat st;
    char *data;
    size_t off = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int err = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        close(fd);
        return err;
    }
    if ((uint64_t)st.st_size > OA_RECIPE_FILE_MAX) {
        close(fd);
        return OA_ETOOBIG;
    }
    data = oa_malloc((size_t)st.st_size + 1);
    if (!data) {
        close(fd);
        return -ENOMEM;
    }
    while (off < (size_t)st.st_size) {
        ssize_t n = read(fd, data + off, (size_t)st.st_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    data[off] = '\0';
    *ret = data;
    *ret_len = off;
    return 0;
}

int oa_recipe_load(const char *path, struct oa_recipe *ret, char *reterr, size_t errlen)
{
    char why[1024];
    size_t len = 0;
    char *text = NULL;
    int r;

    r = read_file(path, &text, &len);
    if (r < 0) {
        snprintf(reterr, errlen, "%s: cannot read the recipe: %s", path,
                 r == OA_ETOOBIG ? "larger than 256 MiB" : oa_strerror(r));
        return r;
    }
    r = oa_recipe_parse(text, len, ret, why, sizeof(why));
    oa_free(text);
    if (r < 0)
        snprintf(reterr, errlen, "%s: %s", path, why);
    return r;
}
