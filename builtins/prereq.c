/* SPDX-License-Identifier: Apache-2.0 */
/* Installing the tool a module needs (modules.md §1.6). */
#include "prereq.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const char *const apt_env[] = {"DEBIAN_FRONTEND=noninteractive", NULL};

static int apt_install(const char *const *packages, int *status, char *why, size_t len)
{
    char *argv[32] = {"apt-get",
                      "-q",
                      "-y",
                      "-o",
                      "DPkg::Lock::Timeout=300",
                      "install",
                      "--no-install-recommends"};
    size_t n = 7;
    int r;

    for (size_t i = 0; packages[i] && n < 31; i++)
        argv[n++] = (char *)packages[i];
    argv[n] = NULL;
    r = oa_tool_exec(argv, apt_env, NULL, status, why, len);
    if (r < 0 || oa_tool_ok(*status))
        return r;
    /* A package the index does not know yet: refresh it once and retry. */
    char *update[] = {"apt-get", "-q", "-o", "DPkg::Lock::Timeout=300", "update", NULL};
    int ustatus;
    if (oa_tool_exec(update, apt_env, NULL, &ustatus, why, len) < 0 || !oa_tool_ok(ustatus))
        return 0;
    return oa_tool_exec(argv, apt_env, NULL, status, why, len);
}

int oa_prereq_install(const struct oa_osinfo *os, const char *const *packages, int *ret_status,
                      char *why, size_t len)
{
    char *argv[32] = {"yum", "-y", "install"};
    size_t n = 3;

    if (os->family == OA_OS_DEBIAN)
        return apt_install(packages, ret_status, why, len);
    if (os->family != OA_OS_RHEL) {
        snprintf(why, len, "no package manager known for %s", os->pretty);
        return -ENOTSUP;
    }
    for (size_t i = 0; packages[i] && n < 31; i++)
        argv[n++] = (char *)packages[i];
    argv[n] = NULL;
    return oa_tool_exec(argv, NULL, NULL, ret_status, why, len);
}

int oa_prereq_ensure(const struct oa_run_ctx *ctx, const struct oa_osinfo *os, const char *tool,
                     const char *deb_pkg, const char *rpm_pkg, bool *installed,
                     struct oa_outcome *out)
{
    const char *pkg = os->family == OA_OS_DEBIAN ? deb_pkg : rpm_pkg;
    const char *packages[2] = {pkg, NULL};
    char path[4096], why[512], st[64];
    int status, r;

    *installed = false;
    if (oa_tool_which(tool, path, sizeof(path)))
        return 0;
    if (!pkg || os->family == OA_OS_UNKNOWN) {
        oa_outcome_set(out, false, false,
                       "%s is not installed and no package is known for it on %s", tool,
                       os->pretty);
        return -ENOENT;
    }
    *installed = true;
    if (ctx->dry_run) {
        printf("would install the package %s (for %s)\n", pkg, tool);
        return 0;
    }
    printf("installing the package %s (for %s)\n", pkg, tool);
    r = oa_prereq_install(os, packages, &status, why, sizeof(why));
    if (r == 0 && !oa_tool_ok(status)) {
        snprintf(why, sizeof(why), "%s install %s %s",
                 os->family == OA_OS_DEBIAN ? "apt-get" : "yum", pkg,
                 oa_tool_status_text(status, st, sizeof(st)));
        r = -EIO;
    }
    if (r == 0 && !oa_tool_which(tool, path, sizeof(path))) {
        snprintf(why, sizeof(why), "the package %s does not provide %s", pkg, tool);
        r = -ENOENT;
    }
    if (r < 0) {
        oa_outcome_set(out, false, false, "%s is not installed and cannot be: %s", tool, why);
        return r;
    }
    return 0;
}
