/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linux.mesos.master and linux.mesos.slave (modules.md §13): configure and
 * run an EXISTING Mesos installation the way the original did (ZooKeeper,
 * mesos-master and Marathon on masters; mesos-slave, and the
 * haproxy-marathon bridge where it is installed, on slaves). Nothing is
 * ever installed: the 2015 repositories the original fetched from are gone,
 * so a host without mesos fails with a comment saying so.
 *
 * Every file is compared with what it should hold and written atomically
 * only when it differs; each service is kept running and restarted when
 * one of its files changed (watch sums under the state's id, first sighting
 * counts, §1.7; the original's slave watched /etc/mesos-master/… by
 * mistake, these watch the slave's own files). Upstart override files are
 * written only on Upstart hosts. Runs in the exec-state child.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fsutil.h"
#include "linux_mesos.h"
#include "linux_service.h"
#include "modules.h"
#include "osinfo.h"
#include "tool.h"
#include "watch.h"

#define MESOS_FILES_MAX 16
#define MESOS_FILE_MAX (1u << 20)
#define AZ_URL "http://169.254.169.254/latest/meta-data/placement/availability-zone"
#define AZ_TIMEOUT_MS 2000 /* §1.11 */
#define BRIDGE_DIR "/etc/haproxy-marathon-bridge"

static const struct oa_param_spec master_params[] = {
    {"cluster_name", OA_PT_LINE, OA_PF_REQUIRED},
    {"server_id", OA_PT_LINE, OA_PF_REQUIRED},
    {"masters_addresses", OA_PT_DICT, OA_PF_REQUIRED},
    {"master_ip", OA_PT_LINE, OA_PF_REQUIRED},
    {"hostname", OA_PT_LINE, 0},
    {"framework", OA_PT_ARRAY, 0},
};

static const struct oa_param_spec slave_params[] = {
    {"masters_addresses", OA_PT_DICT, OA_PF_REQUIRED},
    {"attributes", OA_PT_DICT, OA_PF_REQUIRED},
    {"slave_ip", OA_PT_LINE, OA_PF_REQUIRED},
};

/* A file the state keeps, and the service it belongs to (NULL: none). */
struct mfile {
    const char *path;
    const char *service;
    struct oa_buf want;
    bool differs;
};

struct mesos {
    const struct oa_run_ctx *ctx;
    struct oa_osinfo os;
    struct mfile f[MESOS_FILES_MAX];
    size_t n;
    struct oa_buf comment;
    bool ok, changed;
};

static struct oa_buf *add_file(struct mesos *m, const char *path, const char *service)
{
    struct mfile *f = &m->f[m->n++]; /* at most MESOS_FILES_MAX, by construction */

    f->path = path;
    f->service = service;
    oa_buf_init(&f->want, MESOS_FILE_MAX);
    return &f->want;
}

static void note(struct mesos *m, bool ok, bool changed, const char *text)
{
    (void)oa_buf_printf(&m->comment, "%s%s", m->comment.len ? "; " : "", text);
    m->ok &= ok;
    m->changed |= changed;
}

/* Writes the files that differ (a dry run only counts them). */
static void write_files(struct mesos *m)
{
    char why[512], dir[4096], text[1024] = "";
    size_t changed = 0;
    int r;

    for (size_t i = 0; i < m->n; i++) {
        struct mfile *f = &m->f[i];
        struct oa_buf cur;

        oa_buf_init(&cur, MESOS_FILE_MAX);
        f->differs = oa_fs_read_file(f->path, &cur) < 0 || cur.len != f->want.len ||
                     memcmp(cur.data ? cur.data : "", f->want.data, cur.len) != 0;
        oa_buf_done(&cur);
        if (!f->differs)
            continue;
        changed++;
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s", changed > 1 ? ", " : "",
                 f->path);
        if (m->ctx->dry_run)
            continue;
        snprintf(dir, sizeof(dir), "%s", f->path);
        if ((r = oa_fs_mkdir_p(dirname(dir), 0755)) < 0)
            snprintf(why, sizeof(why), "cannot create %.400s: %s", dir, strerror(-r));
        else
            r = oa_fs_write_atomic(f->path, f->want.data, f->want.len, 0644, 0, 0, why,
                                   sizeof(why));
        if (r < 0) {
            note(m, false, changed > 1, why);
            return;
        }
        printf("wrote %s\n", f->path);
    }
    if (changed) {
        char line[1200];
        snprintf(line, sizeof(line), "%s %s", m->ctx->dry_run ? "would write" : "wrote", text);
        note(m, true, true, line);
    }
}

/* /etc/hosts names each master that has a host name (§13). */
static void hosts_entries(struct mesos *m, const struct oa_pvalue *masters)
{
    struct oa_buf cur, next;
    char why[512];
    bool differs = false;
    int r = 0;

    oa_buf_init(&cur, MESOS_FILE_MAX);
    oa_buf_init(&next, MESOS_FILE_MAX);
    (void)oa_fs_read_file("/etc/hosts", &cur);
    for (size_t i = 0; i < masters->n && r >= 0; i++) {
        if (!masters->kv[i].value[0])
            continue;
        oa_buf_reset(&next);
        r = oa_mesos_hosts_with(cur.data, masters->kv[i].key, masters->kv[i].value, &next);
        if (r > 0) {
            differs = true;
            oa_buf_reset(&cur);
            r = oa_buf_append(&cur, next.data, next.len);
        }
    }
    if (r < 0)
        note(m, false, false, "/etc/hosts: out of memory");
    else if (differs && m->ctx->dry_run)
        note(m, true, true, "would add the masters to /etc/hosts");
    else if (differs &&
             oa_fs_write_atomic("/etc/hosts", cur.data, cur.len, 0644, 0, 0, why, sizeof(why)) < 0)
        note(m, false, false, why);
    else if (differs)
        note(m, true, true, "added the masters to /etc/hosts");
    oa_buf_done(&cur);
    oa_buf_done(&next);
}

/* Keeps service running; restarts it when one of its files changed. */
static void keep_service(struct mesos *m, const char *service)
{
    char *files[MESOS_FILES_MAX];
    struct oa_watch_list list = {files, 0, false};
    struct oa_watch w = {0};
    struct oa_item it;
    bool fired = false;
    char why[512];

    for (size_t i = 0; i < m->n; i++) {
        if (m->f[i].service && strcmp(m->f[i].service, service) == 0) {
            files[list.n++] = (char *)m->f[i].path;
            fired |= m->f[i].differs;
        }
    }
    if (m->ctx->watch_dir && list.n &&
        oa_watch_compare(m->ctx->watch_dir, m->ctx->id, &list, true, &w, why, sizeof(why)) < 0) {
        note(m, false, false, why);
        return;
    }
    oa_service_keep_running(m->ctx, service, fired || w.fired, &it);
    note(m, it.ok, it.changed, it.text);
    if (it.ok && !m->ctx->dry_run && w.n && oa_watch_store(&w, why, sizeof(why)) < 0)
        note(m, false, false, why);
    oa_watch_done(&w);
}

/* The original's `hostname $(cat /etc/hostname)`, without a shell. */
static void set_hostname(struct mesos *m, const char *name)
{
    char now[256] = "", text[512];

    gethostname(now, sizeof(now) - 1);
    if (strcmp(now, name) == 0)
        return;
    if (m->ctx->dry_run) {
        snprintf(text, sizeof(text), "would set the host name to %s", name);
        note(m, true, true, text);
    } else if (sethostname(name, strlen(name)) < 0) {
        snprintf(text, sizeof(text), "cannot set the host name to %s: %s", name, strerror(errno));
        note(m, false, false, text);
    } else {
        snprintf(text, sizeof(text), "host name set to %s", name);
        note(m, true, true, text);
    }
}

/* Fails the state when a program of the installation is missing. */
static bool installed(struct mesos *m, const char *program, const char *what,
                      struct oa_outcome *out)
{
    char path[4096];

    if (program[0] == '/' ? oa_fs_exists(program)
                          : oa_tool_which(program, path, sizeof(path)) != NULL)
        return true;
    oa_outcome_set(out, false, false,
                   "%s is not installed (%s not found): this module configures an existing "
                   "installation and installs nothing",
                   what, program);
    return false;
}

static bool masters_ok(const struct oa_pvalue *masters, struct oa_outcome *out)
{
    for (size_t i = 0; i < masters->n; i++) {
        if (!oa_mesos_token_ok(masters->kv[i].key) ||
            (masters->kv[i].value[0] && !oa_mesos_token_ok(masters->kv[i].value))) {
            oa_outcome_set(out, false, false,
                           "parameter 'masters_addresses': '%.100s' → '%.100s' is not an "
                           "address and a host name",
                           masters->kv[i].key, masters->kv[i].value);
            return false;
        }
    }
    return true;
}

static bool param_token(const struct oa_params *p, const char *name, struct oa_outcome *out)
{
    const char *v = oa_params_str(p, name);

    if (!v || oa_mesos_token_ok(v))
        return true;
    oa_outcome_set(out, false, false, "parameter '%s': '%s' is not a host name or address", name,
                   v);
    return false;
}

/* The end of both modules: the comment, and everything freed. */
static void finish(struct mesos *m, const char *what, struct oa_outcome *out)
{
    oa_outcome_set(out, m->ok, m->changed, "%s%s%s", what, m->comment.len ? ": " : "",
                   m->comment.data ? m->comment.data : "");
    for (size_t i = 0; i < m->n; i++)
        oa_buf_done(&m->f[i].want);
    oa_buf_done(&m->comment);
}

static bool master_valid(const struct oa_params *p, unsigned long *id, bool *marathon,
                         struct oa_outcome *out)
{
    const struct oa_pvalue *fw = oa_params_get(p, "framework");
    const char *sid = oa_params_str(p, "server_id"), *cluster = oa_params_str(p, "cluster_name");
    char *end;

    *id = strtoul(sid, &end, 10);
    if (*end || *id < 1 || *id > 255) {
        oa_outcome_set(out, false, false,
                       "parameter 'server_id': '%s' is not a number from 1 to 255 "
                       "(ZooKeeper's myid)",
                       sid);
        return false;
    }
    if (strpbrk(cluster, "\r\n")) {
        oa_outcome_set(out, false, false, "parameter 'cluster_name': must be a single line");
        return false;
    }
    *marathon = false;
    for (size_t i = 0; fw->present && i < fw->n; i++) {
        if (strcmp(fw->items[i], "marathon") != 0) {
            oa_outcome_set(out, false, false,
                           "parameter 'framework': unknown framework '%s' (only "
                           "marathon is known)",
                           fw->items[i]);
            return false;
        }
        *marathon = true;
    }
    return masters_ok(oa_params_get(p, "masters_addresses"), out) &&
           param_token(p, "master_ip", out) && param_token(p, "hostname", out);
}

static int master_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                      struct oa_outcome *out)
{
    const struct oa_pvalue *ms = oa_params_get(p, "masters_addresses");
    const char *ip = oa_params_str(p, "master_ip"), *host = oa_params_str(p, "hostname");
    struct mesos m = {.ctx = ctx, .ok = true};
    unsigned long id;
    bool marathon;
    struct stat st;

    if (!master_valid(p, &id, &marathon, out) || !installed(&m, "mesos-master", "mesos", out))
        return 0;
    if (stat("/etc/zookeeper/conf", &st) < 0 || !S_ISDIR(st.st_mode)) {
        installed(&m, "/etc/zookeeper/conf", "zookeeper", out);
        return 0;
    }
    if (marathon && !installed(&m, "marathon", "marathon", out))
        return 0;
    oa_osinfo_read(&m.os);
    oa_buf_init(&m.comment, sizeof(out->comment));
    oa_buf_printf(add_file(&m, "/var/lib/zookeeper/myid", "zookeeper"), "%lu\n", id);
    oa_mesos_zoo_cfg(ms->kv, ms->n, add_file(&m, "/etc/zookeeper/conf/zoo.cfg", "zookeeper"));
    oa_mesos_zk_url(ms->kv, ms->n, false, "mesos", add_file(&m, "/etc/mesos/zk", "mesos-master"));
    oa_buf_printf(add_file(&m, "/etc/mesos-master/quorum", "mesos-master"), "%u\n",
                  oa_mesos_quorum(ms->n));
    oa_buf_printf(add_file(&m, "/etc/mesos-master/ip", "mesos-master"), "%s\n", ip);
    oa_buf_printf(add_file(&m, "/etc/mesos-master/hostname", "mesos-master"), "%s\n", ip);
    oa_buf_printf(add_file(&m, "/etc/mesos-master/cluster", "mesos-master"), "%s\n",
                  oa_params_str(p, "cluster_name"));
    if (marathon) {
        oa_buf_printf(add_file(&m, "/etc/marathon/conf/hostname", "marathon"), "%s\n", ip);
        oa_mesos_zk_url(ms->kv, ms->n, true, "mesos",
                        add_file(&m, "/etc/marathon/conf/master", "marathon"));
        oa_mesos_zk_url(ms->kv, ms->n, true, "marathon",
                        add_file(&m, "/etc/marathon/conf/zk", "marathon"));
    }
    oa_buf_printf(add_file(&m, "/etc/hostname", NULL), "%s\n", host ? host : ip);
    if (m.os.init == OA_INIT_UPSTART) {
        oa_buf_puts(add_file(&m, "/etc/init/mesos-slave.override", NULL), "manual\n");
        oa_buf_puts(add_file(&m, "/etc/init/chronos.override", NULL), "manual\n");
    }
    hosts_entries(&m, ms);
    if (m.ok)
        write_files(&m);
    if (m.ok)
        set_hostname(&m, host ? host : ip);
    for (size_t i = 0; m.ok && i < 3; i++)
        if (i < 2 || marathon)
            keep_service(&m, (const char *[]){"zookeeper", "mesos-master", "marathon"}[i]);
    finish(&m, "mesos master", out);
    return 0;
}

/* The availability zone from the EC2 metadata service (2 s, never through
 * the agent's proxy), else the one the attributes file already names, so
 * that a metadata hiccup does not rewrite the file and restart the slave. */
static void zone(char *buf, size_t len)
{
    struct oa_fetch_opts o = {NULL, NULL, NULL, 256, AZ_TIMEOUT_MS};
    char why[256];
    struct oa_buf b;

    oa_buf_init(&b, 256);
    buf[0] = '\0';
    if (oa_fetch_buf(AZ_URL, &o, &b, why, sizeof(why)) == 0 && b.data) {
        snprintf(buf, len, "%.*s", (int)strcspn(b.data, "\r\n"), b.data);
        if (!oa_mesos_token_ok(buf))
            buf[0] = '\0';
    }
    oa_buf_reset(&b);
    if (!buf[0] && oa_fs_read_file("/etc/mesos-slave/attributes", &b) == 0 && b.data)
        oa_mesos_zone_of(b.data, buf, len);
    oa_buf_done(&b);
}

/* The haproxy-marathon bridge of the original, where it is installed. */
static bool bridge(struct mesos *m, const struct oa_pvalue *ms)
{
    char path[4096];
    struct oa_buf *b;

    if (!oa_tool_which("haproxy-marathon-bridge", path, sizeof(path)))
        return false;
    b = add_file(m, BRIDGE_DIR "/marathons", NULL); /* read by its cron job */
    for (size_t i = 0; i < ms->n; i++)
        oa_buf_printf(b, "%s:8080\n", ms->kv[i].value[0] ? ms->kv[i].value : ms->kv[i].key);
    return true;
}

/* Once: the bridge's cron job (the original's marker file says it is done). */
static void bridge_cron(struct mesos *m)
{
    char *argv[] = {(char *)"haproxy-marathon-bridge", (char *)"install_cronjob", NULL};
    char why[512], st[64];
    int status;

    if (oa_fs_exists(BRIDGE_DIR "/setup"))
        return;
    if (m->ctx->dry_run) {
        note(m, true, true, "would install the haproxy-marathon-bridge cron job");
        return;
    }
    printf("+ haproxy-marathon-bridge install_cronjob\n");
    if (oa_tool_exec(argv, NULL, NULL, &status, why, sizeof(why)) == 0 && !oa_tool_ok(status))
        snprintf(why, sizeof(why), "haproxy-marathon-bridge install_cronjob %s",
                 oa_tool_status_text(status, st, sizeof(st)));
    else if (oa_tool_ok(status) &&
             oa_fs_write_atomic(BRIDGE_DIR "/setup", "", 0, 0644, 0, 0, why, sizeof(why)) == 0) {
        note(m, true, true, "installed the haproxy-marathon-bridge cron job");
        return;
    }
    note(m, false, true, why);
}

static int slave_run(const struct oa_run_ctx *ctx, const struct oa_params *p,
                     struct oa_outcome *out)
{
    const struct oa_pvalue *ms = oa_params_get(p, "masters_addresses");
    const struct oa_pvalue *at = oa_params_get(p, "attributes");
    const char *ip = oa_params_str(p, "slave_ip");
    struct mesos m = {.ctx = ctx, .ok = true};
    char az[128], path[4096];
    bool with_bridge;

    for (size_t i = 0; i < at->n; i++) {
        if (strpbrk(at->kv[i].key, ":;\r\n") || strpbrk(at->kv[i].value, ";\r\n")) {
            oa_outcome_set(out, false, false,
                           "parameter 'attributes': '%.100s' → '%.100s' cannot "
                           "stand in a mesos attributes line",
                           at->kv[i].key, at->kv[i].value);
            return 0;
        }
    }
    if (!masters_ok(ms, out) || !param_token(p, "slave_ip", out) ||
        !installed(&m, "mesos-slave", "mesos", out))
        return 0;
    oa_osinfo_read(&m.os);
    oa_buf_init(&m.comment, sizeof(out->comment));
    zone(az, sizeof(az));
    with_bridge = bridge(&m, ms);
    if (!with_bridge)
        printf("haproxy-marathon-bridge is not installed: no haproxy service discovery\n");
    oa_mesos_zk_url(ms->kv, ms->n, false, "mesos", add_file(&m, "/etc/mesos/zk", "mesos-slave"));
    oa_buf_printf(add_file(&m, "/etc/mesos-slave/ip", "mesos-slave"), "%s\n", ip);
    oa_buf_printf(add_file(&m, "/etc/mesos-slave/hostname", "mesos-slave"), "%s\n", ip);
    /* The docker containerizer only where docker is there to use. */
    oa_buf_puts(add_file(&m, "/etc/mesos-slave/containerizers", "mesos-slave"),
                oa_tool_which("docker", path, sizeof(path)) ? "docker,mesos\n" : "mesos\n");
    oa_buf_puts(add_file(&m, "/etc/mesos-slave/executor_registration_timeout", "mesos-slave"),
                "5mins\n");
    oa_mesos_attributes(at->kv, at->n, az[0] ? az : NULL,
                        add_file(&m, "/etc/mesos-slave/attributes", "mesos-slave"));
    if (m.os.init == OA_INIT_UPSTART) {
        oa_buf_puts(add_file(&m, "/etc/init/mesos-master.override", NULL), "manual\n");
        oa_buf_puts(add_file(&m, "/etc/init/zookeeper.override", NULL), "manual\n");
        oa_buf_puts(add_file(&m, "/etc/init/chronos.override", NULL), "manual\n");
    }
    hosts_entries(&m, ms);
    if (m.ok)
        write_files(&m);
    if (m.ok && with_bridge)
        bridge_cron(&m);
    if (m.ok && with_bridge)
        keep_service(&m, "haproxy");
    if (m.ok)
        keep_service(&m, "mesos-slave");
    finish(&m, "mesos slave", out);
    return 0;
}

const struct oa_module oa_mod_linux_mesos_master = {
    .name = "linux.mesos.master",
    .params = master_params,
    .n_params = sizeof(master_params) / sizeof(master_params[0]),
    .run = master_run,
};

const struct oa_module oa_mod_linux_mesos_slave = {
    .name = "linux.mesos.slave",
    .params = slave_params,
    .n_params = sizeof(slave_params) / sizeof(slave_params[0]),
    .run = slave_run,
};
