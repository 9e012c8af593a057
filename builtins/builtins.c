/* SPDX-License-Identifier: Apache-2.0 */
/* The single module table, and the meta.* descriptors (handled in the agent). */
#include "builtins.h"

#include <stdio.h>
#include <string.h>

#include "modules.h"

static const struct oa_param_spec comment_params[] = {
    {"comment", OA_PT_LINE, 0},
};

const struct oa_module oa_mod_meta_comment = {
    .name = "meta.comment",
    .params = comment_params,
    .n_params = 1,
    .in_agent = true,
};

static const struct oa_param_spec wait_params[] = {
    {"state", OA_PT_STATE, OA_PF_REQUIRED},
};

const struct oa_module oa_mod_meta_wait = {
    .name = "meta.wait",
    .params = wait_params,
    .n_params = 1,
    .in_agent = true,
};

/* One module per line, kept so by hand. */
/* clang-format off */
static const struct oa_module *const table[] = {
    &oa_mod_meta_comment,
    &oa_mod_meta_wait,
    &oa_mod_linux_cmd,
    &oa_mod_linux_apt_package,
    &oa_mod_linux_yum_package,
    &oa_mod_linux_apt_repo,
    &oa_mod_linux_yum_repo,
    &oa_mod_linux_rpm_key,
    &oa_mod_common_git,
    &oa_mod_common_archive,
    &oa_mod_common_pip_package,
    &oa_mod_common_npm_package,
    &oa_mod_common_gem_package,
    &oa_mod_common_virtualenv,
    &oa_mod_linux_apt_ppa,
    &oa_mod_linux_group,
    &oa_mod_linux_user,
    &oa_mod_linux_cronjob,
    &oa_mod_common_timezone,
    &oa_mod_linux_mkfs,
    &oa_mod_linux_mount,
    &oa_mod_linux_lvm_pv,
    &oa_mod_linux_lvm_vg,
    &oa_mod_linux_lvm_lv,
    &oa_mod_linux_raid,
    &oa_mod_linux_service,
    &oa_mod_linux_supervisord,
    &oa_mod_linux_file,
    &oa_mod_linux_dir,
    &oa_mod_linux_symlink,
    &oa_mod_common_hg,
    &oa_mod_common_svn,
    &oa_mod_linux_puppet_apply,
    &oa_mod_linux_puppet_run,
    &oa_mod_linux_puppet_agent,
    &oa_mod_linux_chef_solo,
    &oa_mod_linux_chef_client,
    &oa_mod_linux_mesos_master,
    &oa_mod_linux_mesos_slave,
    &oa_mod_linux_docker_pulled,
    &oa_mod_linux_docker_built,
    &oa_mod_linux_docker_running,
    &oa_mod_linux_docker_pushed,
    &oa_mod_linux_docker_deploy,
#ifdef OA_TEST_MODULES
    &oa_mod_test_watch,
#endif
};
/* clang-format on */

const struct oa_module *oa_builtins_find(const char *name)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

uint64_t oa_builtins_timeout_ms(const struct oa_module *m, const struct oa_json *parameter,
                                uint64_t fallback_ms)
{
    uint64_t dflt = m && m->default_timeout_ms ? m->default_timeout_ms : fallback_ms;
    uint64_t seconds;

    if (!m || !m->timeout_param)
        return dflt;
    /* An invalid value fails the state in the child; until then the
     * default bounds it. */
    if (oa_params_peek_uint(parameter, m->timeout_param, UINT64_MAX / 1000, 0, &seconds) < 0 ||
        seconds == 0)
        return dflt;
    return seconds * 1000;
}

void oa_outcome_set(struct oa_outcome *out, bool result, bool changed, const char *fmt, ...)
{
    va_list ap;

    out->result = result;
    out->changed = changed;
    va_start(ap, fmt);
    vsnprintf(out->comment, sizeof(out->comment), fmt, ap);
    va_end(ap);
}

void oa_item_set(struct oa_item *it, bool ok, bool changed, const char *fmt, ...)
{
    va_list ap;

    it->ok = ok;
    it->changed = changed;
    va_start(ap, fmt);
    vsnprintf(it->text, sizeof(it->text), fmt, ap);
    va_end(ap);
}
