/* SPDX-License-Identifier: Apache-2.0 */
/* A growing, NULL-terminated argv of copied words. */
#include "argv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

void oa_argv_init(struct oa_argv *a)
{
    memset(a, 0, sizeof(*a));
}

void oa_argv_done(struct oa_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        oa_free(a->v[i]);
    oa_free(a->v);
    oa_argv_init(a);
}

/* Takes ownership of word (NULL: an allocation failed). */
static void push(struct oa_argv *a, char *word)
{
    if (!word || a->failed) {
        oa_free(word);
        a->failed = true;
        return;
    }
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        char **v = oa_realloc(a->v, cap * sizeof(*v));
        if (!v) {
            oa_free(word);
            a->failed = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = word;
    a->v[a->n] = NULL;
}

void oa_argv_add(struct oa_argv *a, const char *s)
{
    push(a, oa_strdup(s));
}

void oa_argv_addf(struct oa_argv *a, const char *fmt, ...)
{
    char small[256], *word;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        push(a, NULL);
        return;
    }
    if ((size_t)n < sizeof(small)) {
        push(a, oa_strdup(small));
        return;
    }
    word = oa_malloc((size_t)n + 1);
    if (word) {
        va_start(ap, fmt);
        vsnprintf(word, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    push(a, word);
}

int oa_argv_status(const struct oa_argv *a)
{
    return a->failed || !a->v ? -ENOMEM : 0;
}

const char *oa_argv_text(const struct oa_argv *a, char *buf, size_t len)
{
    size_t used = 0;

    if (!len)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n && used < len; i++) {
        const char *w = a->v[i];
        bool quote = !w[0] || strpbrk(w, " \t\n'\"");
        int k = snprintf(buf + used, len - used, "%s%s%s%s", i ? " " : "", quote ? "'" : "", w,
                         quote ? "'" : "");
        if (k < 0)
            break;
        used += (size_t)k;
    }
    return buf;
}
