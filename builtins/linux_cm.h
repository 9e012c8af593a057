/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the configuration-management runners share (modules.md §12:
 * linux.puppet.apply/run/agent, linux.chef.solo/client): the `arguments`
 * dict turned into options, a command line assembled as an argv, the
 * installed version read and compared with `version`, and the parsing of
 * the tools' answers (puppet's detailed exit codes, chef's summary line).
 * Pure functions, exported for the unit tests; the modules are
 * oa_mod_linux_puppet_* and oa_mod_linux_chef_* (modules.h).
 */
#ifndef OA_LINUX_CM_H
#define OA_LINUX_CM_H

#include <stdbool.h>
#include <stddef.h>

#include "params.h"

#define OA_CM_ARGV_MAX 64

/* A command line being built: owned strings, NULL-terminated. */
struct oa_cm_argv {
    char *v[OA_CM_ARGV_MAX + 1];
    size_t n;
    bool full; /* an entry did not fit or memory ran out */
};

/* Appends a copy of s (printf-style). */
void oa_cm_argv_add(struct oa_cm_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees the strings; a may be reused. */
void oa_cm_argv_done(struct oa_cm_argv *a);
/* The argv as one line for the output ("+ puppet apply …"), cut to fit. */
const char *oa_cm_argv_line(const struct oa_cm_argv *a, char *buf, size_t len);

/* Appends the `arguments` dict (§12): {k, v} → "--k=v", {k} alone (or an
 * empty value) → "--k". A key may be written with its dashes ("--noop");
 * a key that is empty, or holds '=', a blank or a control character, is
 * refused. Returns 0, or OA_ESCHEMA with "parameter 'arguments': …" in
 * err. */
int oa_cm_arguments(struct oa_cm_argv *a, const struct oa_pvalue *args, char *err, size_t len);

/* The first version number in a tool's --version answer ("7.23.0",
 * "Chef Infra Client: 18.2.7", "Chef: 12.0.1") into buf, "" when none.
 * Returns buf. */
const char *oa_cm_parse_version(const char *text, char *buf, size_t len);

/* Whether the installed version is the wanted one: equal, or wanted is a
 * leading part of it at a dot ("12" and "12.0" match "12.0.3"). */
bool oa_cm_version_matches(const char *installed, const char *wanted);

/* Puppet's --detailed-exitcodes: 0 no changes, 2 changes, anything else
 * (1, 4, 6, a signal) a failure. */
enum oa_cm_puppet_exit { OA_CM_NO_CHANGES, OA_CM_CHANGES, OA_CM_FAILED };
enum oa_cm_puppet_exit oa_cm_puppet_exit(int wait_status);

/* Whether a --noop run's output reports a change it would have made (an
 * event ending in "(noop)"): Puppet 4 and later exit 0 from such a run. */
bool oa_cm_puppet_noop_events(const char *out);

/* The option that makes `puppet agent` ignore a cached catalog: Puppet 3's
 * --ignorecache (removed in Puppet 4) or --no-use_cached_catalog. */
const char *oa_cm_puppet_cache_flag(const char *puppet_version);

/* Chef's summary: "Chef Client finished, 3/10 resources updated in …"
 * (also "Chef Infra Client finished", "… would have been updated" in a
 * why-run, and chef 11's "3 resources updated"). Returns true with the
 * counts (*total 0 when chef gave none), false when out has no summary. */
bool oa_cm_chef_summary(const char *out, unsigned long *updated, unsigned long *total);

/* The line of chef's output that says why it failed: the text after the
 * first "FATAL: " that is not about the stacktrace file; "" when none.
 * Returns buf. */
const char *oa_cm_chef_reason(const char *out, char *buf, size_t len);

#endif
