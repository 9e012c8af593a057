/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one allocation wrapper of proto/ (and of the code built on it). Every
 * allocation of a buffer filled from outside goes through here so that a
 * test can make the k-th allocation fail and check that the caller returns
 * cleanly (nghttp2's failmalloc, curl's torture mode).
 */
#ifndef OA_MEM_H
#define OA_MEM_H

#include <stddef.h>

void *oa_malloc(size_t n);
void *oa_calloc(size_t count, size_t n);
void *oa_realloc(void *p, size_t n);
/* Returns a NUL-terminated copy of the first len bytes of s, or NULL. */
char *oa_strndup(const char *s, size_t len);
char *oa_strdup(const char *s);
void oa_free(void *p);

/* Test hook: the allocation numbered k (counting from 1 after this call)
 * and every later one fail. 0 turns failures off. */
void oa_mem_fail_after(unsigned long k);
/* Number of allocations made since the last oa_mem_fail_after(). */
unsigned long oa_mem_count(void);

#endif
