/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer that gets its "too big" limit when it is created
 * (curl's dynbuf): growing past the limit is an error, not a realloc. The
 * contents are always NUL-terminated so that text can be used as a string.
 */
#ifndef OA_BUF_H
#define OA_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct oa_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t max; /* the largest len allowed */
};

void oa_buf_init(struct oa_buf *b, size_t max);
/* Frees the contents; the buffer may be reused after oa_buf_init. */
void oa_buf_done(struct oa_buf *b);
/* Empties the buffer, keeping its memory. */
void oa_buf_reset(struct oa_buf *b);

/* Makes room for n more bytes without appending them (one allocation for
 * data whose length is announced). Returns 0, OA_ETOOBIG or -ENOMEM. */
int oa_buf_reserve(struct oa_buf *b, size_t n);

/* Appends n bytes. Returns 0, OA_ETOOBIG (nothing appended) or -ENOMEM. */
int oa_buf_append(struct oa_buf *b, const void *p, size_t n);
int oa_buf_puts(struct oa_buf *b, const char *s);
/* Appends formatted text; same returns as oa_buf_append. */
int oa_buf_printf(struct oa_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands the contents to the caller (NUL-terminated, never NULL unless out of
 * memory) and leaves the buffer empty. *ret_len gets the length if non-NULL. */
char *oa_buf_steal(struct oa_buf *b, size_t *ret_len);

#endif
