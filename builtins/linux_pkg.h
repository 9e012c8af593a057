/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OS package family (modules.md §5), private to builtins/:
 * linux.apt.package and linux.yum.package share one driver (linux_pkg.c)
 * behind a small backend table (linux_apt.c, linux_yum.c); the repository
 * modules (linux_repo.c) share the package index record with them.
 *
 * What lives here, and what the unit tests reach:
 * - what one `name` entry asks for (§5.0) and the version orderings of dpkg
 *   and rpm, with the decision per package (linux_pkg_plan.c);
 * - the parsers of dpkg-query, apt-cache policy, rpm -q and yum
 *   check-update output, and the argv of every package-manager call;
 * - the package index record under the state dir: when it was last
 *   refreshed, so that `latest` refreshes at most hourly and a changed
 *   repository marks it stale (§5.0, §D), and small memos keyed by URL so
 *   that a no-op round needs no download (linux_pkg_util.c);
 * - repository file names, the rpm calls of the repository modules and the
 *   identity rpm gives an OpenPGP public key (gpg-pubkey-V-R), in
 *   linux_repo.c.
 *
 * Nothing here logs. Tools run through builtins/tool.h with argv arrays.
 */
#ifndef OA_LINUX_PKG_H
#define OA_LINUX_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "builtins.h"
#include "osinfo.h"

/* ---- What an entry asks for (linux_pkg_plan.c) ---- */

enum oa_pkg_want {
    OA_PKG_ANY,     /* value empty: installed, any version */
    OA_PKG_LATEST,  /* "latest": installed at the candidate version */
    OA_PKG_REMOVED, /* "removed": not installed (Debian keeps the configuration) */
    OA_PKG_PURGED,  /* "purged": not installed, configuration purged */
    OA_PKG_FILE,    /* a .deb/.rpm path or http(s) URL: installed from it */
    OA_PKG_VERSION, /* a version, with an optional comparison */
};

enum oa_pkg_op { OA_PKG_EQ, OA_PKG_LT, OA_PKG_LE, OA_PKG_GT, OA_PKG_GE };

/* One `name` entry. name and arg point into the strings given to
 * oa_pkg_entry_parse and live as long as they do. */
struct oa_pkg_entry {
    const char *name;
    enum oa_pkg_want want;
    enum oa_pkg_op op; /* OA_PKG_VERSION only */
    const char *arg;   /* the version (without its comparison), or the file/URL */
    bool url;          /* OA_PKG_FILE: arg is an http(s) URL */
};

/* Classifies key=value. file_ext is ".deb" or ".rpm". Returns 0, or
 * OA_ESCHEMA with a reason in why: a name that is empty, starts with '-'
 * or holds characters no package name has; a version with such characters;
 * a file that is neither an absolute path nor an http(s) URL. */
int oa_pkg_entry_parse(const char *name, const char *value, const char *file_ext,
                       struct oa_pkg_entry *ret, char *why, size_t len);

/* A version ordering: <0, 0, >0. */
typedef int (*oa_pkg_cmp_fn)(const char *a, const char *b);

/* dpkg's ordering ([epoch:]upstream[-revision], '~' before anything). */
int oa_pkg_dpkg_vercmp(const char *a, const char *b);

/* rpm's ordering of [epoch:]version[-release] (rpmvercmp on each part). A
 * release is compared only when both sides have one, so "1.2" equals an
 * installed "1.2-3.el7", as yum matches name-version. */
int oa_pkg_rpm_vercmp(const char *a, const char *b);

/* Whether installed satisfies "op wanted". */
bool oa_pkg_version_matches(enum oa_pkg_op op, const char *installed, const char *wanted,
                            oa_pkg_cmp_fn cmp);

/* What the host says about one package. Strings are borrowed. */
struct oa_pkg_facts {
    bool installed;               /* dpkg "install ok installed" (or hold), rpm -q found it */
    bool present;                 /* files on disk: installed, or half-installed */
    bool config_left;             /* dpkg "config-files": removed, configuration kept */
    const char *version;          /* the installed version, or NULL */
    bool indexed;                 /* the index was asked: candidate and available are known */
    const char *candidate;        /* NULL: no installation candidate */
    const char *const *available; /* versions the index offers, best first */
    size_t n_available;
};

enum oa_pkg_action {
    OA_PKG_KEEP,      /* already in the wanted state */
    OA_PKG_INSTALL,   /* install (target: the version, NULL: the manager's choice) */
    OA_PKG_UPGRADE,   /* installed, go up to target */
    OA_PKG_DOWNGRADE, /* installed, go down to target */
    OA_PKG_REMOVE,
    OA_PKG_PURGE,
    OA_PKG_NEED_INDEX, /* the index must be asked (or refreshed) first */
    OA_PKG_FAIL,       /* cannot be satisfied: why says so */
};

struct oa_pkg_decision {
    enum oa_pkg_action action;
    const char *target; /* borrowed from the facts, the entry, or NULL */
    char why[256];
};

/* Decides what to do with one entry. Without the index (f->indexed false)
 * an entry that needs it gets OA_PKG_NEED_INDEX when need_index_ok, else
 * the best decision without it (yum: the manager chooses); with the index,
 * a package or version it does not know is OA_PKG_NEED_INDEX again when
 * refreshed is false (refresh, then ask again) and OA_PKG_FAIL otherwise. */
void oa_pkg_decide(const struct oa_pkg_entry *e, const struct oa_pkg_facts *f, oa_pkg_cmp_fn cmp,
                   bool need_index_ok, bool refreshed, struct oa_pkg_decision *ret);

/* Whether the host is in the state the entry wants, after acting. target
 * is what was installed or upgraded to (NULL: any). */
bool oa_pkg_satisfied(const struct oa_pkg_entry *e, const struct oa_pkg_facts *f,
                      const char *target, oa_pkg_cmp_fn cmp);

/* ---- Parsers of tool output (linux_apt.c, linux_yum.c) ---- */

/* One line of `dpkg-query -W -f '${Status}\t${Version}\n'`. Fills
 * installed/present/config_left; *ret_version points into line (its
 * length in *ret_vlen; 0 when the package has none). */
void oa_pkg_dpkg_status_parse(const char *line, struct oa_pkg_facts *f, const char **ret_version,
                              size_t *ret_vlen);

/* `apt-cache policy NAME` output for one package. Returns the number of
 * versions in the table (put in versions, up to max, in the table's order,
 * NUL-terminated copies in the caller's text, which is modified) and the
 * candidate in *ret_candidate (NULL for "(none)" or when the package is
 * unknown). */
size_t oa_pkg_apt_policy_parse(char *text, char **ret_candidate, char **versions, size_t max);

/* `yum -q check-update NAME` output: the version offered for name (the
 * second column of the "name.arch" line), copied into buf. Returns false
 * when there is no such line. */
bool oa_pkg_yum_update_parse(const char *text, const char *name, char *buf, size_t len);

/* ---- argv (linux_pkg_util.c; each manager's calls in linux_apt.c, linux_yum.c) ---- */

/* A NULL-terminated argv whose strings it owns. An allocation failure is
 * remembered and reported by oa_pkg_argv_ok. */
struct oa_pkg_argv {
    char **v;
    size_t n, alloc;
    bool oom;
};

void oa_pkg_argv_add(struct oa_pkg_argv *a, const char *s);
void oa_pkg_argv_addf(struct oa_pkg_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool oa_pkg_argv_ok(const struct oa_pkg_argv *a);
void oa_pkg_argv_done(struct oa_pkg_argv *a);
/* "apt-get -q -y install a b=1" for comments and tests (argv joined by
 * spaces). Returns buf. */
const char *oa_pkg_argv_join(const struct oa_pkg_argv *a, char *buf, size_t len);

/* The calls of each package manager. specs are package names, name=version
 * (apt), name-version (yum) or file paths; QUERY and CANDIDATE take one
 * name. */
enum oa_pkg_call {
    OA_PKG_CALL_QUERY,        /* dpkg-query -W / rpm -q: the installed version */
    OA_PKG_CALL_CANDIDATE,    /* apt-cache policy / yum check-update */
    OA_PKG_CALL_REFRESH,      /* apt-get update / yum makecache */
    OA_PKG_CALL_INSTALL,      /* apt-get install / yum install */
    OA_PKG_CALL_DOWNGRADE,    /* yum only: apt installs with --allow-downgrades */
    OA_PKG_CALL_LOCALINSTALL, /* yum only: files (apt installs them like packages) */
    OA_PKG_CALL_UPDATE,       /* yum only: `latest` of an installed package */
    OA_PKG_CALL_REMOVE,
    OA_PKG_CALL_PURGE, /* apt; yum removes */
};

struct oa_pkg_opts {
    const char *repo; /* apt: target release (-t); yum: the only repo enabled */
    bool verify_gpg;  /* false: apt --allow-unauthenticated, yum --nogpgcheck */
    bool downgrades;  /* apt install: --allow-downgrades */
    bool cache_only;  /* yum check-update: -C (the index is fresh) */
};

void oa_pkg_apt_argv(struct oa_pkg_argv *a, enum oa_pkg_call call, const struct oa_pkg_opts *o,
                     const char *const *specs, size_t n);
void oa_pkg_yum_argv(struct oa_pkg_argv *a, enum oa_pkg_call call, const struct oa_pkg_opts *o,
                     const char *const *specs, size_t n);

/* ---- Running queries (linux_pkg_util.c) ---- */

/* Runs a query tool with stdout captured into out (cap 1 MiB) and stderr
 * into err (cap 4 KiB), so that its noise ("no packages found matching")
 * stays out of the state's output. extra_env as oa_tool_exec. Returns 0
 * with the wait status, or a negative code with why. */
int oa_pkg_query(char *const argv[], const char *const *extra_env, struct oa_buf *out,
                 struct oa_buf *err, int *ret_status, char *why, size_t len);

/* The first non-empty line of text, cut to fit buf ("" when none). */
const char *oa_pkg_first_line(const char *text, char *buf, size_t len);

/* ---- The package index record and memos (linux_pkg_util.c) ---- */

#define OA_PKG_INDEX_MAX_AGE_S 3600

/* Whether manager's ("apt", "yum") index was refreshed by the agent less
 * than max_age seconds before now. NULL state_dir: never fresh. */
bool oa_pkg_index_fresh(const char *state_dir, const char *manager, time_t now, time_t max_age);
/* Records a refresh at now (<state_dir>/pkg/<manager>-index, written
 * atomically). Returns 0 or a negative errno (a missing state dir: 0). */
int oa_pkg_index_touch(const char *state_dir, const char *manager, time_t now);
/* Marks the index stale (a repository changed). Returns 0 or a negative
 * errno other than ENOENT. */
int oa_pkg_index_mark_stale(const char *state_dir, const char *manager);

/* A small value kept for key (a URL) under <state_dir>/pkg/<kind>-<hash>.
 * get: 0 with the value in buf, -ENOENT, or another negative errno. */
int oa_pkg_memo_get(const char *state_dir, const char *kind, const char *key, char *buf,
                    size_t len);
int oa_pkg_memo_put(const char *state_dir, const char *kind, const char *key, const char *value);

/* Downloads url (http/https, through builtins/fetch.h, at most max_bytes)
 * into a new file in the private directory dir, named after the URL's last
 * path segment when it is a plain file name ending in ext, else
 * fallback_name. The file is left 0644 so that apt's unprivileged
 * downloader can read it. Returns 0 with its path in path, or a negative
 * code with why. */
int oa_pkg_download(const struct oa_run_ctx *ctx, const char *url, const char *dir, const char *ext,
                    const char *fallback_name, size_t max_bytes, char *path, size_t pathlen,
                    char *why, size_t len);

/* ---- Repository files, release packages, keys (linux_repo.c) ---- */

/* dir/name + ext, ext added unless name already ends with it (⚠ §D for
 * yum: the original skipped ".repo" for any name ending in "repo"). A name
 * that is empty, ".", "..", or holds '/' or a line break is refused with
 * why ("parameter 'name': …"). Returns 0 or a negative errno. */
int oa_repo_file_path(const char *dir, const char *name, const char *ext, char *buf, size_t len,
                      char *why, size_t whylen);

/* Makes path hold content, root:root with mode, atomically, like
 * linux.file (parents made 0755); a dry run changes nothing. Sets out's
 * comment ("PATH: created", "PATH: content changed, mode 0600 → 0644",
 * "PATH is up to date, no changes", "would create PATH"; never the
 * content) and *changed. Returns 0, or a negative errno with out failed. */
int oa_repo_manage_file(const struct oa_run_ctx *ctx, const char *path, const char *content,
                        mode_t mode, bool *changed, struct oa_outcome *out);

/* linux.yum.repo's checks beyond the types: the file name, one of content
 * and rpm-url, rpm-url an http(s) URL or an absolute path. Fills path.
 * Returns 0, or a negative errno with out set. */
int oa_repo_yum_validate(const struct oa_params *p, char *path, size_t len, struct oa_outcome *out);

enum oa_repo_rpm_call {
    OA_REPO_RPM_NAME,      /* rpm -qp --qf %{NAME} FILE */
    OA_REPO_RPM_INSTALLED, /* rpm -q --quiet NAME */
    OA_REPO_RPM_INSTALL,   /* yum -y install FILE */
    OA_REPO_RPM_IMPORT,    /* rpm --import FILE */
    OA_REPO_RPM_LIST,      /* rpm -q NAME (gpg-pubkey: every imported key) */
};
void oa_repo_rpm_argv(struct oa_pkg_argv *a, enum oa_repo_rpm_call call, const char *arg);

/* Whether rpm says NAME (or N-V-R) is installed. */
bool oa_repo_rpm_installed(const char *name);

/* The rpm name of the first public key in an ASCII-armoured block:
 * "gpg-pubkey-<last 8 hex digits of the key id>-<creation time, 8 hex
 * digits>", lower case (v4 keys). Returns 0, or OA_ESYNTAX when text holds
 * no armoured v4 public key. */
int oa_repo_pgp_rpm_name(const char *text, size_t len, char *buf, size_t buflen);

/* ---- The package-state driver (linux_pkg.c) ---- */

/* One entry of a package state while it runs. */
struct oa_pkg_item {
    struct oa_pkg_entry e;
    /* Facts, owned. */
    struct oa_pkg_facts f;
    char *version, *candidate;
    char **available;
    size_t n_available;
    char *before; /* the installed version before acting */
    struct oa_pkg_decision d;
    char *target;     /* owned copy of d.target */
    char *file;       /* FILE: the local file to install (downloaded or given) */
    bool call_failed; /* its package-manager call exited non-zero; why says so */
    bool failed;
    char why[256];
};

struct oa_pkg_run;

/* Groups of one package-manager call each, in the order they run (§5.0). */
enum oa_pkg_group { OA_PKG_G_PURGE, OA_PKG_G_REMOVE, OA_PKG_G_INSTALL, OA_PKG_G_LATEST };

struct oa_pkg_backend {
    const char *module;  /* "linux.apt.package" */
    const char *manager; /* "apt", "yum": names the index record */
    const char *tool;    /* the program that must exist: "apt-get", "yum" */
    enum oa_os_family family;
    const char *file_ext; /* ".deb", ".rpm" */
    oa_pkg_cmp_fn cmp;
    /* Checks the module's own parameters (beyond name); sets out. */
    bool (*validate)(const struct oa_params *p, struct oa_outcome *out);
    /* Fills it->f from the installed package database (with_index false)
     * or also from the index. Returns 0, or a negative code with it->why. */
    int (*query)(struct oa_pkg_run *r, struct oa_pkg_item *it, bool with_index);
    /* Refreshes the index. Returns 0 when it succeeded. */
    int (*refresh)(struct oa_pkg_run *r);
    /* Before installing anything (debconf selections). Returns 0, or a
     * negative code with why. */
    int (*prepare)(struct oa_pkg_run *r, char *why, size_t len);
    /* Runs group g for n items. Returns 0 when every call exited 0, 1 when
     * one did not (failure says which), or a negative code (failure says
     * why). */
    int (*act)(struct oa_pkg_run *r, enum oa_pkg_group g, struct oa_pkg_item *const *items,
               size_t n, char *failure, size_t len);
};

struct oa_pkg_run {
    const struct oa_pkg_backend *b;
    const struct oa_run_ctx *ctx;
    const struct oa_params *p;
    struct oa_osinfo os;
    struct oa_pkg_opts opts;
    struct oa_pkg_item *items;
    size_t n;
    bool refreshed;   /* the index was refreshed in this run */
    bool index_fresh; /* the index record is less than an hour old */
    char tmpdir[64];  /* downloads of FILE entries ("" until needed) */
};

/* The body of a package module: validates, plans, acts, checks, reports. */
int oa_pkg_run(const struct oa_pkg_backend *b, const struct oa_run_ctx *ctx,
               const struct oa_params *p, struct oa_outcome *out);

/* Runs a package-manager call for a backend: prints "+ argv" to the
 * state's output, then runs it with its output going there too. Returns 0
 * when it exited 0, 1 when it did not (why: "<label> exited with status
 * 100"), or a negative code when it could not run (why says so). */
int oa_pkg_exec(const struct oa_pkg_argv *a, const char *const *extra_env, const char *label,
                char *why, size_t len);

#endif
