/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parameters of linux.docker.running and linux.docker.deploy turned
 * into `docker run` arguments (modules.md §11.3, and the original
 * adaptor's translation: volumes host → container[:ro], devices host →
 * container[:perms], port bindings containerPort[/proto] →
 * [hostIp:]hostPort with hostPort + i for the i-th numbered container,
 * memory with a b/k/m/g/t suffix), and the fingerprint of the whole set.
 * Pure: nothing here touches the host.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <mbedtls/md.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "docker_run.h"
#include "err.h"
#include "fsutil.h"
#include "mem.h"
#include "parse.h"

#define COUNT_MAX 1000

static int bad_param(char *reterr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_param(char *reterr, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reterr, errlen, fmt, ap);
    va_end(ap);
    return OA_ESCHEMA;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || *s == 0x7f)
            return true;
    return false;
}

static int push_opt(struct oa_docker_run *r, const char *flag, const char *value)
{
    char **opts = oa_realloc(r->opts, (r->n_opts + 2) * sizeof(*opts));

    if (!opts)
        return -ENOMEM;
    r->opts = opts;
    if (!(opts[r->n_opts] = oa_strdup(flag)))
        return -ENOMEM;
    r->n_opts++;
    if (!(opts[r->n_opts] = oa_strdup(value)))
        return -ENOMEM;
    r->n_opts++;
    return 0;
}

/* volumes: host path (or a named volume) → container path, optionally
 * ":ro", ":rw" or other mount options. */
static int parse_volumes(struct oa_docker_run *r, const struct oa_pvalue *v, char *reterr,
                         size_t errlen)
{
    char spec[8192];
    int rc;

    for (size_t i = 0; v->present && i < v->n; i++) {
        const char *host = v->kv[i].key, *dest = v->kv[i].value;
        size_t plen = strcspn(dest, ":");
        if (!*host || strchr(host, ':') || has_control(host))
            return bad_param(reterr, errlen, "parameter 'volumes': '%.200s' is not a host path",
                             host);
        if (dest[0] != '/' || has_control(dest) ||
            (dest[plen] &&
             strspn(dest + plen + 1, "abcdefghijklmnopqrstuvwxyz,") != strlen(dest + plen + 1)))
            return bad_param(reterr, errlen,
                             "parameter 'volumes': '%.200s' (for %.200s) is not a container path "
                             "with optional :ro",
                             dest, host);
        if ((size_t)snprintf(spec, sizeof(spec), "%s:%s", host, dest) >= sizeof(spec))
            return bad_param(reterr, errlen, "parameter 'volumes': %.200s is too long", host);
        if ((rc = push_opt(r, "-v", spec)) < 0)
            return rc;
    }
    return 0;
}

/* devices: host device → container device, optionally ":rwm"; an empty
 * value keeps the host's path. */
static int parse_devices(struct oa_docker_run *r, const struct oa_pvalue *v, char *reterr,
                         size_t errlen)
{
    char spec[8192];
    int rc;

    for (size_t i = 0; v->present && i < v->n; i++) {
        const char *host = v->kv[i].key, *dest = v->kv[i].value;
        size_t plen = strcspn(dest, ":");
        if (host[0] != '/' || strchr(host, ':') || has_control(host))
            return bad_param(reterr, errlen, "parameter 'devices': '%.200s' is not a device path",
                             host);
        if (*dest && (dest[0] != '/' || has_control(dest) ||
                      (dest[plen] && (!dest[plen + 1] ||
                                      strspn(dest + plen + 1, "rwm") != strlen(dest + plen + 1)))))
            return bad_param(reterr, errlen,
                             "parameter 'devices': '%.200s' (for %.200s) is not a device path with "
                             "optional :rwm permissions",
                             dest, host);
        if ((size_t)snprintf(spec, sizeof(spec), "%s%s%s", host, *dest ? ":" : "", dest) >=
            sizeof(spec))
            return bad_param(reterr, errlen, "parameter 'devices': %.200s is too long", host);
        if ((rc = push_opt(r, "--device", spec)) < 0)
            return rc;
    }
    return 0;
}

/* mem_limit: bytes, or a number with a b/k/m/g/t suffix (any case). */
static int parse_memory(const char *s, uint64_t *ret)
{
    static const char suffixes[] = "bkmgt";
    size_t len = strlen(s);
    const char *unit;
    char digits[32];
    uint64_t v;

    if (len == 0 || len >= sizeof(digits))
        return -EINVAL;
    /* s[len - 1] is the last character (len > 0). */
    /* cppcheck-suppress arrayIndexOutOfBoundsCond */
    unit = strchr(suffixes, s[len - 1] | 0x20);
    if (unit && s[len - 1] >= 'A')
        len--;
    else
        unit = suffixes;
    snprintf(digits, sizeof(digits), "%.*s", (int)len, s);
    if (oa_parse_u64(digits, UINT64_MAX, &v) < 0)
        return -EINVAL;
    for (const char *u = suffixes; u < unit; u++) {
        if (v > UINT64_MAX / 1024)
            return -ERANGE;
        v *= 1024;
    }
    *ret = v;
    return 0;
}

static int parse_limits(struct oa_docker_run *r, const struct oa_params *p, char *reterr,
                        size_t errlen)
{
    const char *mem = oa_params_str(p, "mem_limit");
    uint64_t bytes, shares;
    char text[32];
    int rc;

    if (mem && *mem) {
        if (parse_memory(mem, &bytes) < 0)
            return bad_param(
                reterr, errlen,
                "parameter 'mem_limit': '%.100s' is not a size (bytes, or a number with "
                "b, k, m, g or t)",
                mem);
        snprintf(text, sizeof(text), "%" PRIu64, bytes);
        if (bytes > 0 && (rc = push_opt(r, "-m", text)) < 0)
            return rc;
    }
    if ((rc = oa_params_uint(p, "cpu_shares", 0, 262144, 0, &shares, reterr, errlen)) < 0)
        return rc;
    snprintf(text, sizeof(text), "%" PRIu64, shares);
    if (shares > 0 && (rc = push_opt(r, "--cpu-shares", text)) < 0)
        return rc;
    return 0;
}

static int parse_port(struct oa_docker_port *pt, const char *key, const char *value, char *reterr,
                      size_t errlen)
{
    const char *slash = strchr(key, '/'), *colon = strrchr(value, ':');
    char num[16];
    uint64_t port;

    pt->spec = key;
    snprintf(num, sizeof(num), "%.*s", (int)(slash ? (size_t)(slash - key) : strlen(key)), key);
    snprintf(pt->proto, sizeof(pt->proto), "%s", slash ? slash + 1 : "tcp");
    if (oa_parse_u64(num, 65535, &port) < 0 || port == 0 || port > 65535 ||
        (strcmp(pt->proto, "tcp") != 0 && strcmp(pt->proto, "udp") != 0 &&
         strcmp(pt->proto, "sctp") != 0))
        return bad_param(reterr, errlen,
                         "parameter 'port_bindings': '%.100s' is not a container port "
                         "(port[/tcp|udp|sctp])",
                         key);
    if (!*value)
        return 0; /* docker picks the host port */
    if (colon) {
        size_t iplen = (size_t)(colon - value);
        if (iplen == 0 || iplen >= sizeof(pt->host_ip) ||
            strspn(value, "0123456789abcdefABCDEF.:[]") < iplen)
            return bad_param(reterr, errlen,
                             "parameter 'port_bindings': '%.100s' is not [hostIp:]hostPort", value);
        snprintf(pt->host_ip, sizeof(pt->host_ip), "%.*s", (int)iplen, value);
    }
    if (oa_parse_u64(colon ? colon + 1 : value, 65535, &port) < 0 || port == 0 || port > 65535)
        return bad_param(reterr, errlen,
                         "parameter 'port_bindings': '%.100s' is not [hostIp:]hostPort", value);
    pt->host_port = (unsigned)port;
    return 0;
}

/* §11.3: container i gets hostPort + i, so the host ports of one address
 * and protocol must lie at least as far apart as there are containers. */
static int check_spacing(const struct oa_docker_run *r, char *reterr, size_t errlen)
{
    size_t n = r->n_names;

    for (size_t i = 0; i < r->n_ports; i++) {
        const struct oa_docker_port *a = &r->ports[i];
        if (a->host_port && a->host_port + n - 1 > 65535)
            return bad_param(
                reterr, errlen,
                "parameter 'port_bindings': host port %u + %zu containers is over 65535",
                a->host_port, n);
        for (size_t j = i + 1; a->host_port && j < r->n_ports; j++) {
            const struct oa_docker_port *b = &r->ports[j];
            unsigned gap = a->host_port > b->host_port ? a->host_port - b->host_port
                                                       : b->host_port - a->host_port;
            if (!b->host_port || strcmp(a->proto, b->proto) != 0 ||
                strcmp(a->host_ip, b->host_ip) != 0 || gap >= n)
                continue;
            if (gap == 0)
                return bad_param(reterr, errlen,
                                 "parameter 'port_bindings': host port %u is bound twice",
                                 a->host_port);
            return bad_param(reterr, errlen,
                             "parameter 'port_bindings': host ports %u and %u are closer together "
                             "than the %zu containers need",
                             a->host_port, b->host_port, n);
        }
    }
    return 0;
}

static int parse_ports(struct oa_docker_run *r, const struct oa_pvalue *v, char *reterr,
                       size_t errlen)
{
    int rc;

    if (!v->present || v->n == 0)
        return 0;
    if (!(r->ports = oa_calloc(v->n, sizeof(*r->ports))))
        return -ENOMEM;
    for (size_t i = 0; i < v->n; i++, r->n_ports++)
        if ((rc = parse_port(&r->ports[i], v->kv[i].key, v->kv[i].value, reterr, errlen)) < 0)
            return rc;
    return check_spacing(r, reterr, errlen);
}

/* docker's env file holds KEY=VALUE lines: a key with '=' or a blank, one
 * starting with '#', and a value with a line break cannot be written. */
static int check_env(const struct oa_pvalue *v, char *reterr, size_t errlen)
{
    for (size_t i = 0; v->present && i < v->n; i++) {
        const char *k = v->kv[i].key;
        if (!*k || k[0] == '#' || strpbrk(k, "= \t") || has_control(k))
            return bad_param(reterr, errlen,
                             "parameter 'environment': '%.200s' is not a variable name", k);
        if (strpbrk(v->kv[i].value, "\r\n"))
            return bad_param(reterr, errlen,
                             "parameter 'environment': the value of %.200s has a line break, which "
                             "docker's env file cannot hold",
                             k);
    }
    return 0;
}

/* <state dir>/docker-config/<container>/<path with every '/' as '-'>
 * (§1.12, the original's docker-config layout). */
static char *host_copy(const struct oa_docker_run *r, const char *path)
{
    size_t len = strlen(r->ctx->state_dir) + strlen(r->container) + strlen(path) + 32;
    char *host = oa_malloc(len), *c;

    if (!host)
        return NULL;
    snprintf(host, len, "%s/docker-config/%s/", r->ctx->state_dir, r->container);
    c = host + strlen(host);
    snprintf(c, len - strlen(host), "%s", path);
    for (; *c; c++)
        if (*c == '/')
            *c = '-';
    return host;
}

static int parse_files(struct oa_docker_run *r, const struct oa_pvalue *v, char *reterr,
                       size_t errlen)
{
    char spec[8192];
    int rc;

    if (!v->present || v->n == 0)
        return 0;
    if (!r->ctx->state_dir)
        return bad_param(reterr, errlen, "parameter 'files' needs the agent's state directory");
    if (!(r->files = oa_calloc(v->n, sizeof(*r->files))))
        return -ENOMEM;
    for (size_t i = 0; i < v->n; i++, r->n_files++) {
        struct oa_docker_file *f = &r->files[i];
        f->path = v->kv[i].key;
        f->content = v->kv[i].value;
        if (!oa_fs_is_absolute(f->path) || strchr(f->path, ':') || has_control(f->path) ||
            strlen(f->path) > 200)
            return bad_param(reterr, errlen, "parameter 'files': '%.200s' is not a container path",
                             f->path);
        if (!(f->host = host_copy(r, f->path)))
            return -ENOMEM;
        if ((size_t)snprintf(spec, sizeof(spec), "%s:%s", f->host, f->path) >= sizeof(spec))
            return bad_param(reterr, errlen, "parameter 'files': %.200s: the path is too long",
                             f->path);
        if ((rc = push_opt(r, "-v", spec)) < 0)
            return rc;
    }
    return 0;
}

static int make_names(struct oa_docker_run *r)
{
    size_t n = r->count ? r->count : 1;

    if (!(r->names = oa_calloc(n, sizeof(*r->names))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++, r->n_names++) {
        size_t len = strlen(r->container) + 24;
        if (!(r->names[i] = oa_malloc(len)))
            return -ENOMEM;
        if (r->count)
            snprintf(r->names[i], len, "%s_%zu", r->container, i + 1);
        else
            snprintf(r->names[i], len, "%s", r->container);
    }
    return 0;
}

static void fp_add(struct oa_buf *b, const char *name, const char *value)
{
    (void)oa_buf_printf(b, "%s %zu:%s\n", name, strlen(value), value);
}

/* §11.3 step 1: everything that shapes the containers, in a fixed order
 * and length-prefixed so that no two parameter sets read the same. File
 * contents are left out: a changed file restarts through the watch. */
static int fingerprint(struct oa_docker_run *r)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    unsigned char sum[32];
    struct oa_buf b;
    char num[32];
    int rc = 0;

    oa_buf_init(&b, SIZE_MAX);
    fp_add(&b, "container", r->container);
    fp_add(&b, "image", r->image);
    snprintf(num, sizeof(num), "%" PRIu64, r->count);
    fp_add(&b, "count", num);
    for (size_t i = 0; i < r->n_command; i++)
        fp_add(&b, "command", r->command[i]);
    for (size_t i = 0; i < r->n_env; i++) {
        fp_add(&b, "env", r->env[i].key);
        fp_add(&b, "=", r->env[i].value);
    }
    for (size_t i = 0; i < r->n_opts; i++)
        fp_add(&b, "opt", r->opts[i]);
    for (size_t i = 0; i < r->n_ports; i++) {
        fp_add(&b, "port", r->ports[i].spec);
        snprintf(num, sizeof(num), "%u", r->ports[i].host_port);
        fp_add(&b, r->ports[i].host_ip, num);
    }
    if (!b.data || !info || mbedtls_md(info, (const unsigned char *)b.data, b.len, sum) != 0)
        rc = -ENOMEM;
    else
        oa_digest_hex(sum, sizeof(sum), r->fingerprint);
    oa_buf_done(&b);
    return rc;
}

static int parse_all(struct oa_docker_run *r, const struct oa_params *p, char *reterr,
                     size_t errlen)
{
    const struct oa_pvalue *command = oa_params_get(p, "command");
    const struct oa_pvalue *env = oa_params_get(p, "environment");
    const char *image = oa_params_str(p, "image"), *tag = oa_params_str(p, "tag");
    int rc;

    if (!oa_docker_valid_name(r->container))
        return bad_param(reterr, errlen, "parameter 'container': '%.200s' is not a container name",
                         r->container);
    if (!oa_docker_valid_ref(image) || (tag && !oa_docker_valid_ref(tag)) ||
        !oa_docker_ref(image, tag, r->image, sizeof(r->image)))
        return bad_param(reterr, errlen, "parameter '%s': '%.200s' is not an image name",
                         tag && !oa_docker_valid_ref(tag) ? "tag" : "image",
                         tag && !oa_docker_valid_ref(tag) ? tag : image);
    if ((rc = oa_params_uint(p, "count", 0, COUNT_MAX, 0, &r->count, reterr, errlen)) < 0 ||
        (rc = check_env(env, reterr, errlen)) < 0 || (rc = make_names(r)) < 0 ||
        (rc = parse_ports(r, oa_params_get(p, "port_bindings"), reterr, errlen)) < 0 ||
        (rc = parse_volumes(r, oa_params_get(p, "volumes"), reterr, errlen)) < 0 ||
        (rc = parse_files(r, oa_params_get(p, "files"), reterr, errlen)) < 0 ||
        (rc = parse_devices(r, oa_params_get(p, "devices"), reterr, errlen)) < 0 ||
        (rc = parse_limits(r, p, reterr, errlen)) < 0 ||
        (rc = oa_watch_list_from_param(oa_params_get(p, "watch"), "watch", &r->watch, reterr,
                                       errlen)) < 0)
        return rc;
    r->env = env->present ? env->kv : NULL;
    r->n_env = env->present ? env->n : 0;
    r->command = command->present ? command->items : NULL;
    r->n_command = command->present ? command->n : 0;
    r->force = oa_params_bool(p, "force", false);
    return fingerprint(r);
}

int oa_docker_run_parse(const struct oa_run_ctx *ctx, const struct oa_params *p,
                        struct oa_docker_run *ret, char *reterr, size_t errlen)
{
    struct oa_docker_run r = {.ctx = ctx, .container = oa_params_str(p, "container")};
    int rc = parse_all(&r, p, reterr, errlen);

    if (rc < 0) {
        if (rc == -ENOMEM)
            snprintf(reterr, errlen, "out of memory");
        oa_docker_run_done(&r);
        return rc;
    }
    *ret = r;
    return 0;
}

void oa_docker_run_done(struct oa_docker_run *r)
{
    for (size_t i = 0; r->names && i < r->n_names; i++)
        oa_free(r->names[i]);
    for (size_t i = 0; r->opts && i < r->n_opts; i++)
        oa_free(r->opts[i]);
    for (size_t i = 0; r->files && i < r->n_files; i++)
        oa_free(r->files[i].host);
    oa_free(r->names);
    oa_free(r->opts);
    oa_free(r->ports);
    oa_free(r->files);
    *r = (struct oa_docker_run){0};
}

/* The -p value of port pt for container i: [hostIp:]hostPort+i:spec. */
static char *port_arg(const struct oa_docker_port *pt, size_t i)
{
    size_t len = strlen(pt->spec) + sizeof(pt->host_ip) + 16;
    char *s = oa_malloc(len);

    if (!s)
        return NULL;
    if (!pt->host_port)
        snprintf(s, len, "%s", pt->spec);
    else
        snprintf(s, len, "%s%s%zu:%s", pt->host_ip, pt->host_ip[0] ? ":" : "",
                 (size_t)pt->host_port + i, pt->spec);
    return s;
}

int oa_docker_run_args(const struct oa_docker_run *r, size_t i, const char *env_file,
                       struct oa_docker_args *ret)
{
    size_t max = 10 + 2 * r->n_ports + r->n_opts + r->n_command, n = 0;
    struct oa_docker_args a = {oa_calloc(max, sizeof(*a.argv)),
                               r->n_ports ? oa_calloc(r->n_ports, sizeof(char *)) : NULL, 0};

    if (!a.argv || (r->n_ports && !a.owned)) {
        oa_docker_args_done(&a);
        return -ENOMEM;
    }
    a.argv[n++] = "run";
    a.argv[n++] = "-d";
    a.argv[n++] = "--name";
    a.argv[n++] = r->names[i];
    a.argv[n++] = "--hostname";
    a.argv[n++] = r->names[i];
    if (env_file) {
        a.argv[n++] = "--env-file";
        a.argv[n++] = env_file;
    }
    for (size_t k = 0; k < r->n_ports; k++, a.n_owned++) {
        if (!(a.owned[k] = port_arg(&r->ports[k], i))) {
            oa_docker_args_done(&a);
            return -ENOMEM;
        }
        a.argv[n++] = "-p";
        a.argv[n++] = a.owned[k];
    }
    for (size_t k = 0; k < r->n_opts; k++)
        a.argv[n++] = r->opts[k];
    a.argv[n++] = r->image;
    for (size_t k = 0; k < r->n_command; k++)
        a.argv[n++] = r->command[k];
    a.argv[n] = NULL;
    *ret = a;
    return 0;
}

void oa_docker_args_done(struct oa_docker_args *a)
{
    for (size_t k = 0; a->owned && k < a->n_owned; k++)
        oa_free(a->owned[k]);
    oa_free(a->owned);
    oa_free(a->argv);
    *a = (struct oa_docker_args){0};
}
