/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the five docker modules (modules.md §11) share: the docker CLI run
 * with argv arrays, the engine made ready (§1.6: docker installed from the
 * distribution, its daemon started), a registry login whose password goes
 * on stdin into a private client config that is removed after the state,
 * image ids, the container list, and stopping a container with its
 * numbered variants. Private to builtins/docker_*.c; everything runs in the
 * exec-state child and blocks on the CLI.
 *
 * The CLI, not the Engine API on /var/run/docker.sock: the CLI already
 * does what the API would make us rewrite (tarring a build context,
 * registry authentication and credential helpers, the pull and push
 * streams), its argv is what a person would type to check a state by hand,
 * and a recording stand-in first on PATH can prove each state's exact
 * calls where no engine runs.
 */
#ifndef OA_DOCKER_H
#define OA_DOCKER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "builtins.h"
#include "osinfo.h"

#define DOCKER_ID_MAX 80    /* "sha256:" and 64 hex digits, and the NUL */
#define DOCKER_LINE_MAX 512 /* a line of the CLI's output kept for a comment */
#define DOCKER_REF_MAX 512  /* an image reference: repository[:tag] */
#define DOCKER_NAME_MAX 128 /* a container name, with its "_<n>" suffix */
#define DOCKER_CAPTURE_MAX (4u << 20)
#define DOCKER_COMMENT_MAX (64u << 10) /* a comment being put together */

/* The distribution packages that provide the docker CLI and engine. */
#define DOCKER_DEB_PACKAGE "docker.io"
#define DOCKER_RPM_PACKAGE "docker"

/* The bottom of every docker call (docker_exec.c; the unit tests replace
 * it): runs argv (argv[0] is "docker"), the text input on stdin (NULL:
 * /dev/null), stdout and stderr together. With capture the output is kept
 * there (queries); without, it goes to the state's output, a line
 * rewritten with '\r' only by its last version and progress lines of dots
 * dropped (§1.3), and each line is handed to on_line (may be NULL).
 * Returns 0 with the wait status, -ENOENT with "docker is not installed",
 * or what oa_tool_run returns, with a sentence in why. */
int oa_docker_exec(char *const argv[], const char *input, struct oa_buf *capture,
                   void (*on_line)(void *arg, const char *line), void *arg, int *ret_status,
                   char *why, size_t len);

/* One state's use of docker, from oa_docker_open to oa_docker_close. */
struct oa_docker {
    const struct oa_run_ctx *ctx;
    struct oa_osinfo os;
    bool live;                 /* the daemon answers (false only in a dry run that would
                                * install docker or start its daemon: nothing can be asked) */
    bool changed;              /* docker was installed or its daemon started */
    char done[256];            /* what that was, for the comment, or "" */
    char tmp_dir[PATH_MAX];    /* for a login's config and an env file: <state dir>/docker/tmp
                                * (0700, emptied by oa_docker_open), or /tmp */
    char config[PATH_MAX];     /* the private client config made by a login, or "" */
    char why[DOCKER_LINE_MAX]; /* why the last call failed: its last line of output */
};

/* Makes docker usable for this state: the CLI is installed when missing
 * (docker.io, or docker on the RHEL family), and the daemon is started
 * (systemctl, or service) when `docker info` cannot reach it, then awaited.
 * In a dry run neither happens: d->live is false and d->done says what
 * would be done. Leftovers of a killed state (a login config, an env file)
 * are removed first. Returns 0, or a negative code with out set. */
int oa_docker_open(struct oa_docker *d, const struct oa_run_ctx *ctx, struct oa_outcome *out);

/* Removes the private login config; accepts a zeroed d. */
void oa_docker_close(struct oa_docker *d);

/* Logs in to the registry of ref (Docker Hub when its first part is not a
 * host) as user, in a private client config (0700 under d->tmp_dir) that
 * the registry commands then use (`docker --config DIR`): the
 * credentials are never left on the host, and root's own docker logins are
 * neither used nor changed. The password goes on stdin
 * (`--password-stdin`), never in argv, and is replaced by *** in the
 * output. In a dry run it only says so. Returns 0, or a negative code with
 * d->why set ("cannot log in to Docker Hub as bob: …"). */
int oa_docker_login(struct oa_docker *d, const char *ref, const char *user, const char *password);

/* Registry credentials of a state (§11: `email` is obsolete). */
struct oa_docker_creds {
    const char *user;     /* NULL: no login */
    const char *password; /* set when user is */
};

/* Reads username/password/email of p: a username needs a password; a
 * password without a username and any email are ignored with a line in the
 * output. Returns 0 or OA_ESCHEMA with out set. */
int oa_docker_creds_read(const struct oa_params *p, struct oa_docker_creds *ret,
                         struct oa_outcome *out);

/* Runs `docker [--config DIR] args…` as an action: "+ docker …" is
 * printed first, the output goes to the state's output and each line to
 * on_line (may be NULL). with_config adds the login's config when there
 * is one. Returns 0 when docker exited 0; otherwise a negative code with
 * d->why set (its last line of output, or how it ended). */
int oa_docker_action(struct oa_docker *d, const char *const *args, bool with_config,
                     void (*on_line)(void *arg, const char *line), void *arg);

/* Runs `docker args…` as a query: nothing is printed, the output is kept
 * in cap (initialised by the caller with its limit). Returns 0 when docker
 * exited 0; otherwise a negative code with d->why set. */
int oa_docker_query(struct oa_docker *d, const char *const *args, struct oa_buf *cap);

/* The id of the local image ref ("sha256:…"). Returns 1, 0 when there is
 * no such image, or a negative code with d->why set. */
int oa_docker_image_id(struct oa_docker *d, const char *ref, char id[DOCKER_ID_MAX]);

/* The containers of the host, from `docker ps -a`. */
struct oa_docker_ps {
    char **names;  /* every name (a container with links has several) */
    bool *running; /* up, restarting or paused: docker's State.Running */
    size_t n;
};

/* Lists the containers into *ret (free with oa_docker_ps_done). Without a
 * live daemon (dry run) the list is empty. Returns 0 or a negative code
 * with d->why set. */
int oa_docker_ps_read(struct oa_docker *d, struct oa_docker_ps *ret);

/* Parses the output of `docker ps -a --format {{.Names}}|{{.Status}}`.
 * Returns 0 or -ENOMEM. */
int oa_docker_ps_parse(const char *text, struct oa_docker_ps *ret);
void oa_docker_ps_done(struct oa_docker_ps *ps);

/* -1: no container called name; 0: it exists, stopped; 1: it runs. */
int oa_docker_ps_find(const struct oa_docker_ps *ps, const char *name);

/* Stops the container name and its numbered variants name_1, name_2, …
 * up to the first missing one, those that run (§11.1), and adds each
 * stopped name to stopped ("web, web_1"). In a dry run nothing is
 * stopped and the names are still added. Returns 0, or a negative code
 * with d->why set (the names stopped before stay in stopped). */
int oa_docker_stop_family(struct oa_docker *d, const struct oa_docker_ps *ps, const char *name,
                          struct oa_buf *stopped);

/* ref for repository repo and tag (NULL: none given): repo:tag; without a
 * tag, repo itself when its last part already has a tag or a digest,
 * else repo:latest. Returns buf, or NULL when it does not fit. */
const char *oa_docker_ref(const char *repo, const char *tag, char *buf, size_t len);

/* The registry host of ref ("registry.example.com:5000"), or "" for
 * Docker Hub: the first part of a ref is a host when it has a '.' or a
 * ':' or is "localhost". Returns buf. */
const char *oa_docker_registry(const char *ref, char *buf, size_t len);

/* "sha256:0123456789ab" from an id: the first 12 digits. Returns buf. */
const char *oa_docker_short_id(const char *id, char *buf, size_t len);

/* Whether s is a usable container name (docker's rule
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most DOCKER_NAME_MAX - 8 bytes, leaving
 * room for "_<n>"). */
bool oa_docker_valid_name(const char *s);

/* Whether s can be an image reference or a tag on the command line: not
 * empty, not starting with '-', no blank or control character, shorter
 * than DOCKER_REF_MAX. */
bool oa_docker_valid_ref(const char *s);

/* The last line of text that is not blank, without its line end, into buf
 * ("" when there is none). */
void oa_docker_last_line(const char *text, char *buf, size_t len);

/* Appends "; " (unless b is empty) and the formatted text to b. */
void oa_docker_note(struct oa_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether every entry of the array parameter param is a container name;
 * otherwise out says which is not. */
bool oa_docker_names_valid(const struct oa_params *p, const char *param, struct oa_outcome *out);

/* Whether value (NULL: absent, fine) can be an image name or tag;
 * otherwise out says so, naming param. */
bool oa_docker_ref_valid(const char *param, const char *value, struct oa_outcome *out);

/* Stops each of names with its numbered variants (oa_docker_stop_family)
 * and notes them in comment: "stopped web, web_1" ("would stop" in a dry
 * run). Returns 0, or a negative code with the failure noted. */
int oa_docker_stop_containers(struct oa_docker *d, char *const *names, size_t n,
                              struct oa_buf *comment);

/* linux.docker.pulled's work (§11.1), also step 2 of deploy: logs in when
 * cr has a user, pulls ref, and when the image id changed stops each of
 * containers with its numbered variants and removes dangling images.
 * Appends what it did to comment; *changed is set when the id changed (in a
 * dry run: when the image is not there yet). Returns 0, or a negative code
 * with the failure appended to comment. */
int oa_docker_pull(struct oa_docker *d, const struct oa_docker_creds *cr, const char *ref,
                   char *const *containers, size_t n, struct oa_buf *comment, bool *changed);

/* Sets out from a comment buffer: the engine's own notes (d->done) first. */
void oa_docker_outcome(const struct oa_docker *d, struct oa_outcome *out, bool ok, bool changed,
                       const struct oa_buf *comment);

#endif
