/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-string number, duration and boolean parsers (no strtol surprises). */
#include "parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"

static int parse_digits(const char **sp, uint64_t max, uint64_t *ret)
{
    const char *s = *sp;
    uint64_t v = 0;

    if (*s < '0' || *s > '9')
        return OA_ESYNTAX;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        /* d > max: "5" with a max of 3 (max - d would wrap around). */
        if (d > max || v > (max - d) / 10)
            return OA_ERANGE;
        v = v * 10 + d;
    }
    *sp = s;
    *ret = v;
    return 0;
}

int oa_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
    uint64_t v;
    int r = parse_digits(&s, max, &v);

    if (r < 0)
        return r;
    if (*s != '\0')
        return OA_ESYNTAX;
    *ret = v;
    return 0;
}

int oa_parse_duration_ms(const char *s, uint64_t default_unit_ms, uint64_t max_ms, uint64_t *ret)
{
    static const struct {
        const char *name;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}};
    uint64_t v, unit = default_unit_ms;
    int r = parse_digits(&s, UINT64_MAX, &v);

    if (r < 0)
        return r;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '\0') {
        size_t i;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (strcmp(s, units[i].name) == 0)
                break;
        if (i == sizeof(units) / sizeof(units[0]))
            return OA_ESYNTAX;
        unit = units[i].ms;
    }
    if (unit && v > max_ms / unit)
        return OA_ERANGE;
    *ret = v * unit;
    return 0;
}

int oa_parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return OA_ESYNTAX;
}

const char *oa_format_duration(uint64_t ms, char *buf, unsigned size)
{
    if (ms % 60000 == 0 && ms >= 600000)
        snprintf(buf, size, "%llu min", (unsigned long long)(ms / 60000));
    else if (ms % 1000 == 0)
        snprintf(buf, size, "%llu s", (unsigned long long)(ms / 1000));
    else
        snprintf(buf, size, "%llu ms", (unsigned long long)ms);
    return buf;
}
