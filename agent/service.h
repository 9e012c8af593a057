/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `opsagent run` and `opsagent check`: the loop, the Manager and the
 * StatesWorker wired together, and the signals.
 *
 * run: connects, runs every recipe the backend pushes, reports each state,
 * and never exits on its own. SIGTERM/SIGINT stop after the running state
 * (a second one kills it), SIGUSR1 after the round, SIGHUP reconnects and
 * re-reads the identity; the connection closes with 1001 and the exit
 * status is 0.
 *
 * check: connects, sends the Handshake, answers the backend's Test and
 * exits with 0 when its TestAns says the installation works, 1 otherwise
 * (also when the connection fails or no TestAns comes in time).
 */
#ifndef OA_SERVICE_H
#define OA_SERVICE_H

#include <stdbool.h>

#include "cfg.h"

/* Returns the process exit status (see once.h for the values). */
/* cfg may be changed by the instance's user data (design.md). */
int oa_service_run(struct oa_cfg *cfg, const char *self_exe, bool check);

#endif
