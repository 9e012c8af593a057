/* SPDX-License-Identifier: Apache-2.0 */
/* KEY=value lines of the user data. */
#include "userdata.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "mem.h"

static const struct {
    const char *key;
    size_t off;
} keys[] = {
    {"APP_ID", offsetof(struct oa_userdata, app_id)},
    {"WS_URI", offsetof(struct oa_userdata, ws_uri)},
    {"VERSION", offsetof(struct oa_userdata, version)},
    {"BASE_REMOTE", offsetof(struct oa_userdata, base_remote)},
    {"GPG_KEY_URI", offsetof(struct oa_userdata, gpg_key_uri)},
};

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* One line: [export] KEY=value, value bare, "quoted" or 'quoted'. */
static int parse_line(const char *p, const char *end, struct oa_userdata *u)
{
    p = skip_blanks(p, end);
    if ((size_t)(end - p) > 7 && strncmp(p, "export ", 7) == 0)
        p = skip_blanks(p + 7, end);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t klen = strlen(keys[i].key);
        const char *v = p + klen, *vend = end;
        char **field = (char **)((char *)u + keys[i].off);

        if ((size_t)(end - p) <= klen || strncmp(p, keys[i].key, klen) != 0 || *v != '=')
            continue;
        v++;
        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t' || vend[-1] == '\r'))
            vend--;
        if (vend - v >= 2 && (*v == '"' || *v == '\'') && vend[-1] == *v) {
            v++;
            vend--;
        }
        oa_free(*field);
        *field = oa_strndup(v, (size_t)(vend - v));
        return *field ? 0 : -ENOMEM;
    }
    return 0;
}

int oa_userdata_parse(const char *text, size_t len, struct oa_userdata *ret)
{
    const char *p = text, *end = text + len;
    int r = 0;

    memset(ret, 0, sizeof(*ret));
    while (p < end && r == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        r = parse_line(p, line_end, ret);
        p = nl ? nl + 1 : end;
    }
    if (r < 0)
        oa_userdata_done(ret);
    return r;
}

void oa_userdata_done(struct oa_userdata *u)
{
    oa_free(u->app_id);
    oa_free(u->ws_uri);
    oa_free(u->version);
    oa_free(u->base_remote);
    oa_free(u->gpg_key_uri);
    memset(u, 0, sizeof(*u));
}
