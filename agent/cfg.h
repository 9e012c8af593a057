/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's configuration (design.md, Files and defaults): an INI file read
 * with inih, every key checked for its type and range, defaults for all that
 * is optional. The original agent's /etc/opsagent.conf is accepted as it
 * was: its unused keys are ignored with a debug line, `[salt] delay` and
 * `[salt] timeout` are read as `[runtime] delay` and `state_timeout`. An
 * unknown key or section is a warning, never an error.
 */
#ifndef OA_CFG_H
#define OA_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OA_CFG_DEFAULT_PATH "/etc/opsagent/opsagent.conf"

struct oa_cfg {
    char *path; /* the file read, or NULL (defaults only) */

    /* [global] */
    int loglvl;      /* a syslog priority */
    bool loglvl_set; /* the file set loglvl */
    char *state_dir;
    char *runtime_dir;
    char *token_path;
    char *watch_dir;
    char *update_key;
    /* [userdata] */
    char *ws_uri;
    char *app_id;
    char *version;
    char *base_remote;
    char *gpg_key_uri;
    /* [module] */
    char *mod_root;
    char *mod_name;
    char *mod_bootstrap;
    char *mod_repo;
    char *mod_tag;
    /* [network] */
    char *instance_id;  /* NULL: cloud metadata */
    char *metadata;     /* the metadata service's base URL */
    char *userdata_url; /* "" : skip user data */
    uint64_t get_retry;
    char *ca_file; /* NULL: the system bundle */
    bool insecure;
    char *proxy; /* NULL: $https_proxy */
    uint64_t connect_timeout_ms;
    uint64_t keepalive_ms;
    uint64_t dead_after_ms;
    uint64_t reconnect_min_ms;
    uint64_t reconnect_max_ms;
    uint64_t handshake_retry_ms;
    /* [runtime] */
    uint64_t delay_ms;
    uint64_t retry_wait_ms;
    uint64_t state_timeout_ms;
    uint64_t kill_grace_ms;
    uint64_t output_limit;
    char *modules_dir;
    uint64_t max_message;
    uint64_t update_deadline_ms; /* a new binary must reach READY within this */
};

enum {
    OA_CFG_REQUIRE_BACKEND = 1u << 0, /* `run` and `check`: ws_uri and app_id must be set */
};

/* Reads path (NULL: defaults only) into *cfg, which the caller frees with
 * oa_cfg_done (also after a failure). Returns 0, or a negative code with one
 * line in reterr naming the file, the line, the key and what was expected:
 * -ENOENT / -EACCES… (the file cannot be read), OA_ESYNTAX (not INI),
 * OA_ESCHEMA (a bad or missing value), -ENOMEM. Warnings (unknown keys) are
 * logged. */
int oa_cfg_load(struct oa_cfg *cfg, const char *path, unsigned flags, char *reterr, size_t errlen);
/* The same, reading an open stream; name is used in messages. */
int oa_cfg_load_stream(struct oa_cfg *cfg, FILE *f, const char *name, unsigned flags, char *reterr,
                       size_t errlen);
void oa_cfg_done(struct oa_cfg *cfg);

/* Whether s is a ws_uri the config accepts: ws:// or wss:// (any case)
 * followed by a host. A value from elsewhere (the user data's WS_URI) is
 * checked with it before it is written into the config file, so that the
 * next start does not fail on it. */
bool oa_cfg_ws_uri_valid(const char *s);

#endif
