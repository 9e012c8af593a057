/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 validation (RFC 3629) and repair. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

#include "mem.h"

size_t oa_utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if (n < len)
        return 0;
    /* The second byte's range excludes overlong forms, surrogates and
     * code points past U+10FFFF. */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

/* Whether the 8 bytes at p are all ASCII. */
static bool ascii8(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return (w & UINT64_C(0x8080808080808080)) == 0;
}

size_t oa_utf8_valid_len(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        /* Protocol text is nearly all ASCII: skip it a word at a time. */
        if (i + 8 <= n && ascii8(p + i)) {
            i += 8;
            continue;
        }
        size_t l = oa_utf8_seq_len(p + i, n - i);
        if (!l)
            break;
        i += l;
    }
    return i;
}

bool oa_utf8_valid(const char *s, size_t n)
{
    return oa_utf8_valid_len(s, n) == n;
}

char *oa_utf8_sanitize(const char *s, size_t n, size_t *ret_len)
{
    static const char replacement[] = "\xEF\xBF\xBD";
    const unsigned char *p = (const unsigned char *)s;
    char *out;
    size_t o = 0;

    /* Worst case: every byte becomes a 3-byte replacement. */
    out = oa_malloc(n * 3 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t l = oa_utf8_seq_len(p + i, n - i);
        if (l) {
            memcpy(out + o, p + i, l);
            o += l;
            i += l;
        } else {
            memcpy(out + o, replacement, 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    if (ret_len)
        *ret_len = o;
    return out;
}

size_t oa_utf8_prefix(const char *s, size_t n, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    for (size_t chars = 0; i < n && chars < max_chars; chars++) {
        size_t l = oa_utf8_seq_len(p + i, n - i);
        i += l ? l : 1;
    }
    return i;
}
