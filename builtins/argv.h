/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growing argv for tools whose command line has as many words as the
 * recipe gives (pvcreate, vgcreate, lvcreate, mdadm): every word is copied,
 * the array stays NULL-terminated, and an allocation failure is remembered
 * so that the caller checks once, at the end.
 */
#ifndef OA_ARGV_H
#define OA_ARGV_H

#include <stdbool.h>
#include <stddef.h>

struct oa_argv {
    char **v; /* NULL-terminated once anything was added; NULL before */
    size_t n, cap;
    bool failed; /* an allocation failed: v misses words */
};

void oa_argv_init(struct oa_argv *a);
void oa_argv_done(struct oa_argv *a);

/* Appends a copy of s. */
void oa_argv_add(struct oa_argv *a, const char *s);

/* Appends a formatted word. */
void oa_argv_addf(struct oa_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 0, or -ENOMEM when an addition failed (or nothing was added). */
int oa_argv_status(const struct oa_argv *a);

/* The words joined by blanks, for people ("lvcreate -n data -L 1G vg0"); a
 * word that is empty or holds a blank or a quote is shown in single quotes.
 * Cut to fit; returns buf. */
const char *oa_argv_text(const struct oa_argv *a, char *buf, size_t len);

#endif
