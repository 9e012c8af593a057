/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.service's way of driving one service (modules.md §4.1), for the
 * modules that keep services of their own running (linux.mesos.*, §13).
 */
#ifndef OA_LINUX_SERVICE_H
#define OA_LINUX_SERVICE_H

#include <stdbool.h>

#include "builtins.h"

/* Starts the service when it is stopped; with restart, restarts it when it
 * runs (its configuration changed). Honours the dry run. The outcome goes
 * to it: "zookeeper started", "mesos-master already running", "service x
 * is not available". */
void oa_service_keep_running(const struct oa_run_ctx *ctx, const char *name, bool restart,
                             struct oa_item *it);

#endif
