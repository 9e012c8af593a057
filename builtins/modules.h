/* SPDX-License-Identifier: Apache-2.0 */
/* The module descriptors, one per module, defined in their family's file.
 * Private to builtins/: the rest of the agent goes through builtins.h. */
#ifndef OA_MODULES_H
#define OA_MODULES_H

#include "builtins.h"

extern const struct oa_module oa_mod_meta_comment;
extern const struct oa_module oa_mod_meta_wait;
extern const struct oa_module oa_mod_linux_cmd;
extern const struct oa_module oa_mod_linux_apt_package;
extern const struct oa_module oa_mod_linux_yum_package;
extern const struct oa_module oa_mod_linux_apt_repo;
extern const struct oa_module oa_mod_linux_yum_repo;
extern const struct oa_module oa_mod_linux_rpm_key;
extern const struct oa_module oa_mod_common_git;
extern const struct oa_module oa_mod_common_archive;
extern const struct oa_module oa_mod_common_pip_package;
extern const struct oa_module oa_mod_common_npm_package;
extern const struct oa_module oa_mod_common_gem_package;
extern const struct oa_module oa_mod_common_virtualenv;
extern const struct oa_module oa_mod_linux_apt_ppa;
extern const struct oa_module oa_mod_linux_group;
extern const struct oa_module oa_mod_linux_user;
extern const struct oa_module oa_mod_linux_cronjob;
extern const struct oa_module oa_mod_common_timezone;
extern const struct oa_module oa_mod_linux_mkfs;
extern const struct oa_module oa_mod_linux_mount;
extern const struct oa_module oa_mod_linux_lvm_pv;
extern const struct oa_module oa_mod_linux_lvm_vg;
extern const struct oa_module oa_mod_linux_lvm_lv;
extern const struct oa_module oa_mod_linux_raid;
extern const struct oa_module oa_mod_linux_service;
extern const struct oa_module oa_mod_linux_supervisord;
extern const struct oa_module oa_mod_linux_file;
extern const struct oa_module oa_mod_linux_dir;
extern const struct oa_module oa_mod_linux_symlink;
extern const struct oa_module oa_mod_common_hg;
extern const struct oa_module oa_mod_common_svn;
extern const struct oa_module oa_mod_linux_puppet_apply;
extern const struct oa_module oa_mod_linux_puppet_run;
extern const struct oa_module oa_mod_linux_puppet_agent;
extern const struct oa_module oa_mod_linux_chef_solo;
extern const struct oa_module oa_mod_linux_chef_client;
extern const struct oa_module oa_mod_linux_mesos_master;
extern const struct oa_module oa_mod_linux_mesos_slave;
extern const struct oa_module oa_mod_linux_docker_pulled;
extern const struct oa_module oa_mod_linux_docker_built;
extern const struct oa_module oa_mod_linux_docker_running;
extern const struct oa_module oa_mod_linux_docker_pushed;
extern const struct oa_module oa_mod_linux_docker_deploy;
#ifdef OA_TEST_MODULES
/* Modules that exist only in builds with tests (test_*.c). */
extern const struct oa_module oa_mod_test_watch;
#endif

#endif
