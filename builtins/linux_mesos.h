/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.mesos.master and linux.mesos.slave (modules.md §13): the contents
 * of the configuration files they keep, computed from the parameters. Pure
 * functions, exported for the unit tests; the modules are
 * oa_mod_linux_mesos_* (modules.h).
 */
#ifndef OA_LINUX_MESOS_H
#define OA_LINUX_MESOS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "params.h"

/* Whether s can stand in a configuration file as a host name, an address
 * or a name: not empty, letters, digits and . - _ : only. */
bool oa_mesos_token_ok(const char *s);

/* "zk://a:2181,b:2181/<suffix>", from the masters' addresses (keys) or,
 * with names, their host names where given (values). */
int oa_mesos_zk_url(const struct oa_kv *masters, size_t n, bool names, const char *suffix,
                    struct oa_buf *out);

/* zoo.cfg: ZooKeeper's settings and one "server.N=<ip>:2888:3888" line per
 * master, N from 1 in the given order. */
int oa_mesos_zoo_cfg(const struct oa_kv *masters, size_t n, struct oa_buf *out);

/* The quorum of n masters: a majority, ⌊n/2⌋+1. */
unsigned oa_mesos_quorum(size_t n);

/* The slave's attributes line, "k:v;k2:v2", plus "az:<zone>" when zone is
 * not NULL (the original added the EC2 availability zone). */
int oa_mesos_attributes(const struct oa_kv *attrs, size_t n, const char *zone, struct oa_buf *out);

/* The zone of an "az:<zone>" entry of an attributes line into buf ("" when
 * none). Returns buf. */
const char *oa_mesos_zone_of(const char *attributes, char *buf, size_t len);

/* /etc/hosts with `ip name` present: unchanged when a line already maps
 * ip to name; otherwise name is taken off the lines of other addresses (a
 * line left with no name goes) and "ip\tname" is added at the end. Comments
 * and other lines are kept. Returns 1 when out differs from current, 0
 * when not, or -ENOMEM. */
int oa_mesos_hosts_with(const char *current, const char *ip, const char *name, struct oa_buf *out);

#endif
