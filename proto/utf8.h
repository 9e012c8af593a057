/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 checks. Text that goes into a JSON string on the wire must be valid
 * UTF-8 (the backend, like wslay, closes the connection with 1007 otherwise),
 * and a state's output is whatever bytes its tools printed.
 */
#ifndef OA_UTF8_H
#define OA_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid or
 * cut off by the end of the n bytes. Overlong forms, surrogates and code
 * points above U+10FFFF are invalid. */
size_t oa_utf8_seq_len(const unsigned char *s, size_t n);

bool oa_utf8_valid(const char *s, size_t n);
/* Length of the longest valid prefix of s: n when all of it is valid,
 * otherwise the offset of the first byte that is not. */
size_t oa_utf8_valid_len(const char *s, size_t n);

/* Returns a newly allocated NUL-terminated copy of s with every invalid
 * byte replaced by U+FFFD, and its length in *ret_len. NULL if out of memory. */
char *oa_utf8_sanitize(const char *s, size_t n, size_t *ret_len);

/* Length in bytes of the longest prefix of s (n bytes) that holds at most
 * max_chars characters and does not cut a sequence. */
size_t oa_utf8_prefix(const char *s, size_t n, size_t max_chars);

#endif
