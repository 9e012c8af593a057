/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Implicit prerequisites (modules.md §1.6): a module makes sure the tool it
 * drives exists, and installs the distribution's package when it does not.
 * That install counts as a change, is reported in the output, and its
 * failure fails the state. In dry run nothing is installed: the output says
 * what would be.
 */
#ifndef OA_PREREQ_H
#define OA_PREREQ_H

#include <stdbool.h>

#include "builtins.h"
#include "osinfo.h"

/* Makes sure `tool` is on the modules' PATH, installing `deb_pkg` (Debian
 * family) or `rpm_pkg` (RHEL family) when it is not. Returns 0 (*installed
 * tells whether something was installed, or would be in dry run), or a
 * negative code with out's comment set: "git is not installed and cannot be:
 * apt-get install git exited with status 100". */
int oa_prereq_ensure(const struct oa_run_ctx *ctx, const struct oa_osinfo *os, const char *tool,
                     const char *deb_pkg, const char *rpm_pkg, bool *installed,
                     struct oa_outcome *out);

/* Installs packages with the distribution's tool (one call, argv only):
 * apt-get install (DEBIAN_FRONTEND=noninteractive, waiting up to 5 minutes
 * for the dpkg lock, refreshing the index once when a package is unknown)
 * or yum install. Returns 0 with the wait status, or a negative code with
 * why. */
int oa_prereq_install(const struct oa_osinfo *os, const char *const *packages, int *ret_status,
                      char *why, size_t len);

#endif
