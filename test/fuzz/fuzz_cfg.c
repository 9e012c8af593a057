/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for agent/cfg.c: the INI config loader oa_cfg_load_stream, fed
 * the input through fmemopen(). The lowest bit of the first byte chooses the
 * flags, so that half the inputs also need the backend keys (what `run` and
 * `check` load with); the whole input is the file, so corpus files stay
 * plain INI. A config that loads must hold what the loader promises (derived
 * paths set, the rules between keys kept); a failure must say why. The
 * config is freed with oa_cfg_done in every case.
 */
#include <stdio.h>

#include "cfg.h"
#include "fuzz.h"
#include "log.h"

static void check_cfg(const struct oa_cfg *cfg, unsigned flags)
{
    if (!cfg->state_dir || !cfg->runtime_dir || !cfg->token_path || !cfg->watch_dir ||
        !cfg->mod_root || !cfg->mod_name || !cfg->mod_bootstrap || !cfg->version ||
        !cfg->userdata_url)
        __builtin_trap();
    if (cfg->reconnect_min_ms > cfg->reconnect_max_ms || cfg->keepalive_ms >= cfg->dead_after_ms)
        __builtin_trap();
    if ((flags & OA_CFG_REQUIRE_BACKEND) && (!cfg->ws_uri || !cfg->app_id || !cfg->app_id[0]))
        __builtin_trap();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    oa_log_set_level(OA_LOG_CRIT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned flags = size > 0 && (data[0] & 1) ? OA_CFG_REQUIRE_BACKEND : 0;
    struct oa_cfg cfg;
    char err[512] = "";
    FILE *f;
    int r;

    /* Opened for reading only: fmemopen does not write to the buffer. */
    f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    r = oa_cfg_load_stream(&cfg, f, "fuzz.conf", flags, err, sizeof(err));
    fclose(f);
    if (r == 0)
        check_cfg(&cfg, flags);
    else if (err[0] == '\0')
        __builtin_trap();
    oa_cfg_done(&cfg);
    return 0;
}
