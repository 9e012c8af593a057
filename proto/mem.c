/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation wrapper with a failure-injection counter for tests. The counter
 * is the only mutable global of proto/ and is touched only by tests.
 */
#include "mem.h"

#include <stdlib.h>
#include <string.h>

static unsigned long fail_at;
static unsigned long count;

static int should_fail(void)
{
    count++;
    return fail_at != 0 && count >= fail_at;
}

void oa_mem_fail_after(unsigned long k)
{
    fail_at = k;
    count = 0;
}

unsigned long oa_mem_count(void)
{
    return count;
}

void *oa_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *oa_calloc(size_t nmemb, size_t n)
{
    return should_fail() ? NULL : calloc(nmemb ? nmemb : 1, n ? n : 1);
}

void *oa_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *oa_strndup(const char *s, size_t len)
{
    char *d = oa_malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *oa_strdup(const char *s)
{
    return oa_strndup(s, strlen(s));
}

void oa_free(void *p)
{
    free(p);
}
