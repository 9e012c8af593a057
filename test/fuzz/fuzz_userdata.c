/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for agent/userdata.c: oa_userdata_parse, the KEY=value lines
 * of the instance's user data (APP_ID, WS_URI, VERSION, BASE_REMOTE,
 * GPG_KEY_URI), which come from the cloud's metadata service. The agent
 * hands it the text up to its first NUL (agent/service.c uses strlen); the
 * target gives it every byte, NULs included, which is harder.
 *
 * Then each value takes the agent's way into the config file: a WS_URI
 * that oa_cfg_ws_uri_valid refuses is dropped (as service.c does), the
 * others are written back with oa_cfgedit_apply, and the config must load
 * again with the same value. cfgedit may refuse a value (the agent then
 * uses it without writing it, and says so), but a config it wrote must
 * never fail to load at the next start (exit 78 for good) or read back a
 * different value (for APP_ID: a new token at every start).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "cfgedit.h"
#include "err.h"
#include "fuzz.h"
#include "log.h"
#include "userdata.h"

/* A config as install.sh writes it, to apply the edits to. */
static const char config[] = "[userdata]\n"
                             "app_id = app-1\n"
                             "ws_uri = wss://backend.example.com/agent/\n"
                             "\n"
                             "[module]\n"
                             "mod_repo = https://example.com/mods.git\n";

static const char *field(const struct oa_cfg *cfg, const char *key)
{
    if (strcmp(key, "app_id") == 0)
        return cfg->app_id;
    if (strcmp(key, "ws_uri") == 0)
        return cfg->ws_uri;
    if (strcmp(key, "version") == 0)
        return cfg->version;
    if (strcmp(key, "base_remote") == 0)
        return cfg->base_remote;
    return cfg->gpg_key_uri;
}

/* Loads text as the agent's config and compares key's value with v. */
static void check_reload(const struct oa_buf *text, const char *key, const char *v)
{
    struct oa_cfg cfg;
    char err[512] = "";
    const char *got;
    FILE *f = fmemopen(text->data, text->len, "r");
    int r;

    if (!f)
        __builtin_trap();
    r = oa_cfg_load_stream(&cfg, f, "opsagent.conf", 0, err, sizeof(err));
    fclose(f);
    if (r != 0)
        __builtin_trap(); /* the next start would exit 78 */
    got = field(&cfg, key);
    if (!got || strcmp(got, v) != 0)
        __builtin_trap();
    oa_cfg_done(&cfg);
}

static void check_value(const char *key, const char *v)
{
    struct oa_cfgedit e = {"userdata", key, v};
    struct oa_buf out;
    int r;

    if (!v || (strcmp(key, "ws_uri") == 0 && !oa_cfg_ws_uri_valid(v)))
        return;
    oa_buf_init(&out, 1u << 20);
    r = oa_cfgedit_apply(config, sizeof(config) - 1, &e, 1, &out);
    if (r == 0)
        check_reload(&out, key, v);
    else if (r != OA_ESCHEMA)
        __builtin_trap();
    oa_buf_done(&out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oa_userdata u;

    if (oa_userdata_parse((const char *)data, size, &u) < 0)
        return 0;
    check_value("app_id", u.app_id);
    check_value("ws_uri", u.ws_uri);
    check_value("version", u.version);
    check_value("base_remote", u.base_remote);
    check_value("gpg_key_uri", u.gpg_key_uri);
    oa_userdata_done(&u);
    return 0;
}
