/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container set of linux.docker.running and linux.docker.deploy
 * (modules.md §11.3, §11.5): their parameters checked and turned into the
 * names of the containers and the `docker run` argv of each, with the
 * fingerprint that detects a changed parameter set between rounds; then
 * the work itself. Private to builtins/docker_*.c.
 */
#ifndef OA_DOCKER_RUN_H
#define OA_DOCKER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker.h"
#include "params.h"
#include "watch.h"

/* The parameters both modules take (deploy adds nothing to them but the
 * pull), for their schemas. */
#define OA_DOCKER_RUN_PARAMS                                                                       \
    {"container", OA_PT_LINE, OA_PF_REQUIRED}, {"image", OA_PT_LINE, OA_PF_REQUIRED},              \
        {"tag", OA_PT_LINE, 0}, {"count", OA_PT_LINE, 0}, {"command", OA_PT_ARRAY, 0},             \
        {"environment", OA_PT_DICT, 0}, {"volumes", OA_PT_DICT, 0}, {"devices", OA_PT_DICT, 0},    \
        {"mem_limit", OA_PT_LINE, 0}, {"cpu_shares", OA_PT_LINE, 0},                               \
        {"port_bindings", OA_PT_DICT, 0}, {"force", OA_PT_BOOL, 0}, {"files", OA_PT_DICT, 0},      \
        {"watch", OA_PT_ARRAY_OR_BOOL, 0}, {"username", OA_PT_LINE, 0},                            \
        {"password", OA_PT_LINE, 0},                                                               \
    {                                                                                              \
        "email", OA_PT_LINE, 0                                                                     \
    }

/* One port binding: key containerPort[/proto], value [hostIp:]hostPort. */
struct oa_docker_port {
    const char *spec;   /* the key as given: "80", "53/udp" */
    char proto[8];      /* "tcp" when not given */
    char host_ip[64];   /* "" or the address as given */
    unsigned host_port; /* 0: docker picks one */
};

/* One `files` entry (§11.5 step 1): content written to host, which is
 * bind-mounted at path in the container. */
struct oa_docker_file {
    const char *path;    /* in the container (borrowed) */
    const char *content; /* borrowed */
    char *host;          /* <state dir>/docker-config/<container>/<path, '/' as '-'> */
    bool differs;        /* set by oa_docker_files_write: host had other content */
};

struct oa_docker_run {
    const struct oa_run_ctx *ctx;
    const char *container;      /* the name, or the base of the numbered names */
    char image[DOCKER_REF_MAX]; /* image:tag */
    uint64_t count;             /* 0: one container, called container */
    char **names;               /* the containers wanted: container, or container_1 … _count */
    size_t n_names;
    char **opts; /* options shared by every container: -v, --device, -m, --cpu-shares */
    size_t n_opts;
    struct oa_docker_port *ports;
    size_t n_ports;
    const struct oa_kv *env; /* environment (borrowed); given through an env file */
    size_t n_env;
    char *const *command; /* argv in the container (borrowed) */
    size_t n_command;
    struct oa_docker_file *files;
    size_t n_files;
    struct oa_watch_list watch; /* the `watch` parameter (borrowed) */
    bool force;
    bool pulled_first;    /* deploy: in a dry run the image would be pulled just before,
                           * so its absence is no failure */
    char fingerprint[65]; /* SHA-256 hex of the parameter set */
};

/* Checks the parameters of p and fills *ret (free with
 * oa_docker_run_done). Returns 0, or OA_ESCHEMA / -ENOMEM with a sentence
 * naming the parameter in reterr. */
int oa_docker_run_parse(const struct oa_run_ctx *ctx, const struct oa_params *p,
                        struct oa_docker_run *ret, char *reterr, size_t errlen);
void oa_docker_run_done(struct oa_docker_run *r);

/* A `docker run` argv; owns the strings made for it. */
struct oa_docker_args {
    const char **argv; /* NULL-terminated, without the leading "docker" */
    char **owned;
    size_t n_owned;
};

/* The arguments after "docker" that create container i of r: run -d
 * --name N --hostname N [--env-file F] [-p …] [-v …] [--device …] [-m …]
 * [--cpu-shares …] image [command…], into *ret (free with
 * oa_docker_args_done). env_file is NULL without an environment.
 * Returns 0 or -ENOMEM. */
int oa_docker_run_args(const struct oa_docker_run *r, size_t i, const char *env_file,
                       struct oa_docker_args *ret);
void oa_docker_args_done(struct oa_docker_args *a);

/* §11.5 step 1: writes every files entry whose host copy differs
 * (atomically, root 0644), noting each; in a dry run only notes it.
 * Returns 0, or a negative code with the failure noted. */
int oa_docker_files_write(struct oa_docker_run *r, struct oa_buf *comment, bool *changed);

/* §11.3 steps 1-4: the fingerprint compared, leftover numbered containers
 * stopped, each container kept, started or recreated, and restarted when
 * a watched file (the `watch` list and the host copies of files, first
 * sighting a baseline) changed; then, after success and outside a dry run,
 * the fingerprint and the watch sums stored. Returns 0, or a negative code
 * with the failure noted. */
int oa_docker_running(struct oa_docker *d, struct oa_docker_run *r, struct oa_buf *comment,
                      bool *changed);

#endif
