/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The language package managers (modules.md §6.2, §6.3), private to
 * builtins/: common.npm.package and common.gem.package share one driver
 * behind a small backend table, as the OS package modules do (linux_pkg.h).
 *
 * Each entry of `name` is installed (any version), pinned to a version or a
 * requirement, kept at the latest version (⚠ the original treated `latest`
 * as installed; §D) or removed. The driver reads what is installed once
 * before acting (the backend's list), decides per entry, runs the tool only
 * for entries that need it, reads the list again and judges each entry that
 * ran against it (§1.3's post-check). A `latest` entry asks the backend
 * whether a newer version exists first, so an entry already at the latest
 * version changes nothing. Every entry is attempted, in order; the state
 * fails if one failed, and the comment gives each entry's outcome.
 *
 * The tool is installed from the distribution when missing (§1.6) and runs
 * with the modules' clean environment (§1.10) plus the backend's settings.
 * Nothing here logs.
 */
#ifndef OA_LANGPKG_H
#define OA_LANGPKG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "builtins.h"

#define OA_LANGPKG_VERSION_MAX 128

/* What an entry of `name` asks for, by its value. */
enum oa_langpkg_want {
    OA_LANGPKG_INSTALLED, /* "": any version */
    OA_LANGPKG_VERSION,   /* an exact version */
    OA_LANGPKG_SPEC,      /* a requirement or range (">= 1.2", "^1.2", a tag): the tool decides */
    OA_LANGPKG_LATEST,    /* "latest" */
    OA_LANGPKG_REMOVED,   /* "removed" */
    OA_LANGPKG_INVALID,   /* a value the tool cannot take (a leading '-', a line break) */
};

/* The value's kind: "" installed, "latest", "removed" (any case), a value
 * starting with '-' or holding a control character invalid, else
 * is_version(value) tells a version from a requirement. */
enum oa_langpkg_want oa_langpkg_want(const char *value, bool (*is_version)(const char *value));

/* One entry of `name` while the state runs. */
struct oa_langpkg_item {
    const char *name, *value;
    enum oa_langpkg_want want;
    bool present;
    char was[OA_LANGPKG_VERSION_MAX]; /* the installed version(s) before, as the backend shows them
                                       */
    bool ran, failed;
    char note[512];
};

enum oa_langpkg_act { OA_LANGPKG_ACT_INSTALL, OA_LANGPKG_ACT_UPGRADE, OA_LANGPKG_ACT_REMOVE };

struct oa_langpkg_run;

struct oa_langpkg_backend {
    const char *tool;    /* the program, found on the modules' PATH: "npm" */
    const char *deb_pkg; /* its distribution package (§1.6) */
    const char *rpm_pkg;
    const struct oa_kv *env; /* settings added to the clean environment */
    size_t n_env;
    const char *const *passed; /* variables passed on from the module's own environment */
    size_t n_passed;
    bool (*name_ok)(const char *name);
    bool (*is_version)(const char *value);
    /* Checks the module's parameters beyond `name` and sets r->cwd; sets
     * out and returns false when they are unusable. May be NULL. */
    bool (*validate)(struct oa_langpkg_run *r, struct oa_outcome *out);
    /* Reads what is installed into list (initialised by the driver).
     * Returns 0, or a negative code with why. */
    int (*list)(struct oa_langpkg_run *r, struct oa_buf *list, char *why, size_t len);
    /* Finds name in a list; its version goes to ver (several installed
     * side by side: newest first, joined by ", "). */
    bool (*find)(const char *list, const char *name, char *ver, size_t len);
    /* Whether an installed entry (version(s) ver) meets its VERSION or
     * SPEC value: 1, 0, or -1 when the backend cannot tell (then the tool
     * is run and decides). */
    int (*satisfied)(struct oa_langpkg_run *r, const struct oa_langpkg_item *it, const char *ver);
    /* For an installed `latest` entry: 1 with the newer version in ver, 0
     * when it is the latest, or -1 with why. */
    int (*newer)(struct oa_langpkg_run *r, const struct oa_langpkg_item *it, char *ver, size_t len,
                 char *why, size_t wlen);
    /* Installs (at the entry's version or requirement), upgrades to the
     * latest version, or removes. Returns 0, or non-zero with why. */
    int (*act)(struct oa_langpkg_run *r, const struct oa_langpkg_item *it, enum oa_langpkg_act act,
               char *why, size_t len);
};

struct oa_langpkg_run {
    const struct oa_langpkg_backend *b;
    const struct oa_run_ctx *ctx;
    const struct oa_params *p;
    char exe[PATH_MAX];  /* the tool's absolute path */
    const char *cwd;     /* where the tool runs (NULL: "/"); set by validate */
    bool tool_installed; /* the tool's package was installed (a change, §1.6) */
    char **env;
    struct oa_langpkg_item *items;
    size_t n;
};

/* The body of a language package module: validates, installs the tool when
 * missing, plans, acts, checks, reports. Returns 0 (out says how it went)
 * or -ENOMEM. */
int oa_langpkg_run(const struct oa_langpkg_backend *b, const struct oa_run_ctx *ctx,
                   const struct oa_params *p, struct oa_outcome *out);

/* Runs the tool with args (NULL-terminated) in r->cwd with r->env: its
 * stdout goes to capture when given, else to the state's output like its
 * stderr. Returns 0 when it exited 0, 1 when it did not (why: "<what>
 * exited with status 1: <its error line>"), or a negative errno when it
 * could not start (why says so). */
int oa_langpkg_call(struct oa_langpkg_run *r, struct oa_buf *capture, char *const *args,
                    const char *what, char *why, size_t len);

#endif
