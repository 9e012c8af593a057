/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checked parsers for numbers, durations and booleans written as text (config
 * values, recipe parameters that arrive as strings). Each accepts the whole
 * string or nothing: no sign, no leading or trailing garbage, no overflow.
 * They return 0, OA_ESYNTAX or OA_ERANGE and write *ret only on success.
 */
#ifndef OA_PARSE_H
#define OA_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Decimal digits only, at most max. */
int oa_parse_u64(const char *s, uint64_t max, uint64_t *ret);

/* A decimal number, optionally followed by (optional blanks and) a unit:
 * "ms", "s", "min" or "h". A bare number is in units of default_unit_ms.
 * The result in milliseconds must not exceed max_ms. */
int oa_parse_duration_ms(const char *s, uint64_t default_unit_ms, uint64_t max_ms, uint64_t *ret);

/* true/false, yes/no, on/off, 1/0, any case. */
int oa_parse_bool(const char *s, bool *ret);

/* Formats a duration for people: "90 s", "250 ms", "10 min" (whole minutes
 * from ten minutes on). Returns buf. */
const char *oa_format_duration(uint64_t ms, char *buf, unsigned size);

#endif
