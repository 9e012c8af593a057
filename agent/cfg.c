/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Config loading. One table lists every key with its section, type, unit and
 * range; inih reads the file through our own line reader, which counts lines
 * (Debian's inih is built without line numbers in the handler), rejects
 * overlong lines instead of letting inih cut them, and strips leading blanks
 * so that an indented line is never taken as a continuation of the previous
 * value.
 */
#include "cfg.h"

#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "parse.h"

enum kind {
    K_STR,      /* any text */
    K_PATH,     /* an absolute path */
    K_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    K_DURATION, /* a number in `unit`, or with ms, s, min, h */
    K_UINT,     /* a whole number (bytes, counts) */
    K_LOGLVL,   /* DEBUG, INFO, NOTICE, WARNING, ERROR */
    K_WSURI,    /* ws://host… or wss://host… */
    K_PROXY,    /* http://[user:pass@]host:port */
    K_IGNORED,  /* accepted for compatibility, not used */
};

struct key {
    const char *section;
    const char *name;
    enum kind kind;
    size_t offset;
    uint64_t unit_ms; /* K_DURATION: the unit of a bare number */
    uint64_t min, max;
};

#define MS_S 1000ULL
#define MS_MIN (60 * MS_S)
#define MS_H (60 * MS_MIN)
#define MS_DAY (24 * MS_H)
#define F(field) offsetof(struct oa_cfg, field)

static const struct key keys[] = {
    {"global", "loglvl", K_LOGLVL, F(loglvl), 0, 0, 0},
    {"global", "state_dir", K_PATH, F(state_dir), 0, 0, 0},
    {"global", "runtime_dir", K_PATH, F(runtime_dir), 0, 0, 0},
    {"global", "token", K_PATH, F(token_path), 0, 0, 0},
    {"global", "watch", K_PATH, F(watch_dir), 0, 0, 0},
    {"global", "update_key", K_PATH, F(update_key), 0, 0, 0},
    {"global", "conf_path", K_IGNORED, 0, 0, 0, 0},
    {"global", "user", K_IGNORED, 0, 0, 0, 0},
    {"global", "envroot", K_IGNORED, 0, 0, 0, 0},
    {"global", "log_path", K_IGNORED, 0, 0, 0, 0},
    {"global", "package_path", K_IGNORED, 0, 0, 0, 0},
    {"global", "scripts_path", K_IGNORED, 0, 0, 0, 0},
    {"global", "logfile", K_IGNORED, 0, 0, 0, 0},
    {"global", "platform", K_IGNORED, 0, 0, 0, 0},
    {"userdata", "ws_uri", K_WSURI, F(ws_uri), 0, 0, 0},
    {"userdata", "app_id", K_STR, F(app_id), 0, 0, 0},
    {"userdata", "version", K_STR, F(version), 0, 0, 0},
    {"userdata", "base_remote", K_STR, F(base_remote), 0, 0, 0},
    {"userdata", "gpg_key_uri", K_STR, F(gpg_key_uri), 0, 0, 0},
    {"module", "root", K_PATH, F(mod_root), 0, 0, 0},
    {"module", "name", K_STR, F(mod_name), 0, 0, 0},
    {"module", "bootstrap", K_STR, F(mod_bootstrap), 0, 0, 0},
    {"module", "mod_repo", K_STR, F(mod_repo), 0, 0, 0},
    {"module", "mod_tag", K_STR, F(mod_tag), 0, 0, 0},
    {"network", "instance_id", K_STR, F(instance_id), 0, 0, 0},
    {"network", "metadata", K_STR, F(metadata), 0, 0, 0},
    {"network", "userdata", K_STR, F(userdata_url), 0, 0, 0},
    {"network", "get_retry", K_UINT, F(get_retry), 0, 0, 1000000},
    {"network", "ca_file", K_PATH, F(ca_file), 0, 0, 0},
    {"network", "insecure", K_BOOL, F(insecure), 0, 0, 0},
    {"network", "proxy", K_PROXY, F(proxy), 0, 0, 0},
    {"network", "connect_timeout", K_DURATION, F(connect_timeout_ms), MS_S, 1, MS_H},
    {"network", "keepalive", K_DURATION, F(keepalive_ms), MS_S, 1, MS_H},
    {"network", "dead_after", K_DURATION, F(dead_after_ms), MS_S, 1, MS_H},
    {"network", "reconnect_min", K_DURATION, F(reconnect_min_ms), MS_S, 1, MS_DAY},
    {"network", "reconnect_max", K_DURATION, F(reconnect_max_ms), MS_S, 1, MS_DAY},
    {"network", "handshake_retry", K_DURATION, F(handshake_retry_ms), MS_S, 1, MS_DAY},
    {"runtime", "delay", K_DURATION, F(delay_ms), MS_MIN, 0, 7 * MS_DAY},
    {"runtime", "retry_wait", K_DURATION, F(retry_wait_ms), MS_S, 0, MS_DAY},
    {"runtime", "state_timeout", K_DURATION, F(state_timeout_ms), MS_S, 1, 30 * MS_DAY},
    {"runtime", "kill_grace", K_DURATION, F(kill_grace_ms), MS_S, 0, MS_H},
    {"runtime", "output_limit", K_UINT, F(output_limit), 0, 256, 64ULL << 20},
    {"runtime", "modules_dir", K_PATH, F(modules_dir), 0, 0, 0},
    {"runtime", "max_message", K_UINT, F(max_message), 0, 1024, 1ULL << 30},
    {"runtime", "update_deadline", K_DURATION, F(update_deadline_ms), MS_S, 1, MS_DAY},
    /* The original agent's Salt section. */
    {"salt", "delay", K_DURATION, F(delay_ms), MS_MIN, 0, 7 * MS_DAY},
    {"salt", "timeout", K_DURATION, F(state_timeout_ms), MS_S, 1, 30 * MS_DAY},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const expectations[] = {
    [K_STR] = "text",
    [K_PATH] = "an absolute path",
    [K_BOOL] = "a boolean (true/false, yes/no, on/off, 1/0)",
    [K_DURATION] = "a duration: a whole number, optionally followed by ms, s, min or h",
    [K_UINT] = "a whole number",
    [K_LOGLVL] = "one of DEBUG, INFO, NOTICE, WARNING, ERROR",
    [K_WSURI] = "a ws:// or wss:// URL with a host",
    [K_PROXY] = "an http://[user:pass@]host:port URL",
    [K_IGNORED] = "anything",
};

struct reader {
    FILE *f;
    unsigned line;
    char *buf;
    size_t alloc;
    bool too_long;
};

struct parse_ctx {
    struct oa_cfg *cfg;
    struct reader *rd;
    const char *path;
    bool seen[N_KEYS];
    unsigned seen_line[N_KEYS];
    char *err; /* the first error, one line */
    size_t errlen;
    bool failed;
    struct oa_buf warnings; /* logged only when the whole file is valid */
};

static char *read_line(char *str, int num, void *stream)
{
    struct reader *rd = stream;
    ssize_t n = getline(&rd->buf, &rd->alloc, rd->f);
    char *p;

    if (n < 0)
        return NULL;
    rd->line++;
    p = rd->buf + strspn(rd->buf, " \t");
    if (strlen(p) >= (size_t)num) {
        rd->too_long = true;
        return NULL;
    }
    memcpy(str, p, strlen(p) + 1);
    return str;
}

static void fail(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parse_ctx *c, const char *fmt, ...)
{
    va_list ap;

    if (c->failed)
        return;
    c->failed = true;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
}

/* A warning waits until the file turned out valid: a broken file gets its
 * one error line and nothing else. */
static void warn(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct parse_ctx *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (oa_buf_puts(&c->warnings, line) == 0)
        (void)oa_buf_append(&c->warnings, "\n", 1);
}

static bool valid_url_host(const char *rest)
{
    /* Something that is not a delimiter must follow the scheme. */
    return rest[0] != '\0' && rest[0] != '/' && rest[0] != ':' && rest[0] != '?';
}

bool oa_cfg_ws_uri_valid(const char *s)
{
    return (strncasecmp(s, "ws://", 5) == 0 && valid_url_host(s + 5)) ||
           (strncasecmp(s, "wss://", 6) == 0 && valid_url_host(s + 6));
}

/* Checks one value against its kind; writes it into the config. Returns false
 * when the value is not of the kind (the caller reports it). */
static bool store(struct oa_cfg *cfg, const struct key *k, const char *value, bool *range_error)
{
    void *field = (char *)cfg + k->offset;
    uint64_t u;
    bool b;
    int lvl, r;

    *range_error = false;
    switch (k->kind) {
    case K_IGNORED:
        return true;
    case K_PATH:
        if (value[0] != '/')
            return false;
        /* fall through */
    case K_STR:
        oa_free(*(char **)field);
        *(char **)field = oa_strdup(value);
        return *(char **)field != NULL;
    case K_WSURI:
        if (!oa_cfg_ws_uri_valid(value))
            return false;
        oa_free(*(char **)field);
        return (*(char **)field = oa_strdup(value)) != NULL;
    case K_PROXY:
        if (value[0] && !(strncasecmp(value, "http://", 7) == 0 && valid_url_host(value + 7)))
            return false;
        oa_free(*(char **)field);
        return (*(char **)field = oa_strdup(value)) != NULL;
    case K_BOOL:
        if (oa_parse_bool(value, &b) < 0)
            return false;
        *(bool *)field = b;
        return true;
    case K_LOGLVL:
        if ((lvl = oa_log_level_parse(value)) < 0)
            return false;
        *(int *)field = lvl;
        cfg->loglvl_set = true;
        return true;
    case K_DURATION:
        r = oa_parse_duration_ms(value, k->unit_ms, k->max, &u);
        if (r == 0 && u < k->min)
            r = OA_ERANGE;
        *range_error = r == OA_ERANGE;
        if (r < 0)
            return false;
        *(uint64_t *)field = u;
        return true;
    case K_UINT:
        r = oa_parse_u64(value, k->max, &u);
        if (r == 0 && u < k->min)
            r = OA_ERANGE;
        *range_error = r == OA_ERANGE;
        if (r < 0)
            return false;
        *(uint64_t *)field = u;
        return true;
    }
    return false;
}

static void describe_range(const struct key *k, char *buf, size_t len)
{
    char lo[32], hi[32];

    if (k->kind == K_DURATION)
        snprintf(buf, len, "a duration from %s to %s", oa_format_duration(k->min, lo, sizeof(lo)),
                 oa_format_duration(k->max, hi, sizeof(hi)));
    else
        snprintf(buf, len, "a whole number from %llu to %llu", (unsigned long long)k->min,
                 (unsigned long long)k->max);
}

static bool known_section(const char *section)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0)
            return true;
    return false;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *c = user;
    const struct key *k = NULL;
    bool range_error;
    char expected[128];

    for (size_t i = 0; i < N_KEYS && !k; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            k = &keys[i];
    if (!k) {
        if (strcmp(section, "salt") == 0)
            oa_debug("%s:%u: [salt] %s is not used, ignoring", c->path, c->rd->line, name);
        else if (!section[0])
            warn(c, "%s:%u: key %s outside any section, ignoring", c->path, c->rd->line, name);
        else if (!known_section(section))
            warn(c, "%s:%u: unknown section [%s] (key %s), ignoring", c->path, c->rd->line, section,
                 name);
        else
            warn(c, "%s:%u: unknown key %s in [%s], ignoring", c->path, c->rd->line, name, section);
        return 1;
    }
    size_t idx = (size_t)(k - keys);
    if (k->kind == K_IGNORED) {
        oa_debug("%s:%u: [%s] %s is kept for compatibility and not used", c->path, c->rd->line,
                 section, name);
        return 1;
    }
    if (c->seen[idx])
        warn(c, "%s:%u: [%s] %s repeats line %u; the later value wins", c->path, c->rd->line,
             section, name, c->seen_line[idx]);
    c->seen[idx] = true;
    c->seen_line[idx] = c->rd->line;
    /* An empty value leaves a typed key at its default (a template may list
     * keys without values); text keys keep "" (userdata = skips user data). */
    if (value[0] == '\0' && k->kind != K_STR)
        return 1;
    if (!store(c->cfg, k, value, &range_error)) {
        if (range_error)
            describe_range(k, expected, sizeof(expected));
        else
            snprintf(expected, sizeof(expected), "%s", expectations[k->kind]);
        /* The value is not echoed for keys that may hold credentials. */
        fail(c, "%s:%u: [%s] %s = '%.80s': expected %s", c->path, c->rd->line, section, name,
             k->kind == K_PROXY ? "***" : value, expected);
        return 0;
    }
    return 1;
}

static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = oa_malloc(dl + nl + 2);

    if (!p)
        return NULL;
    snprintf(p, dl + nl + 2, "%s/%s", dir, name);
    return p;
}

/* systemd passes StateDirectory= and RuntimeDirectory= as colon-separated
 * lists; the first entry is ours. */
static char *dir_from_env(const char *var, const char *fallback)
{
    const char *v = getenv(var);

    if (!v || v[0] != '/')
        return oa_strdup(fallback);
    return oa_strndup(v, strcspn(v, ":"));
}

static void set_defaults(struct oa_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->loglvl = OA_LOG_INFO;
    cfg->connect_timeout_ms = 10 * MS_S;
    cfg->keepalive_ms = 30 * MS_S;
    cfg->dead_after_ms = 75 * MS_S;
    cfg->reconnect_min_ms = 1 * MS_S;
    cfg->reconnect_max_ms = 60 * MS_S;
    cfg->handshake_retry_ms = 30 * MS_S;
    cfg->delay_ms = 10 * MS_MIN;
    cfg->retry_wait_ms = 5 * MS_S;
    cfg->state_timeout_ms = 3600 * MS_S;
    cfg->kill_grace_ms = 10 * MS_S;
    cfg->output_limit = 65536;
    cfg->max_message = 16ULL << 20;
    cfg->update_deadline_ms = 120 * MS_S;
}

/* Fills in what derives from other keys once the file is read. */
static int derive(struct oa_cfg *cfg)
{
    if (!cfg->state_dir && !(cfg->state_dir = dir_from_env("STATE_DIRECTORY", "/var/lib/opsagent")))
        return -ENOMEM;
    if (!cfg->runtime_dir &&
        !(cfg->runtime_dir = dir_from_env("RUNTIME_DIRECTORY", "/run/opsagent")))
        return -ENOMEM;
    if (!cfg->token_path && !(cfg->token_path = join_path(cfg->state_dir, "token")))
        return -ENOMEM;
    if (!cfg->watch_dir && !(cfg->watch_dir = join_path(cfg->state_dir, "watch")))
        return -ENOMEM;
    if (!cfg->mod_root && !(cfg->mod_root = join_path(cfg->state_dir, "modules")))
        return -ENOMEM;
    if (!cfg->mod_name && !(cfg->mod_name = oa_strdup("repo")))
        return -ENOMEM;
    if (!cfg->mod_bootstrap && !(cfg->mod_bootstrap = oa_strdup("bootstrap.sh")))
        return -ENOMEM;
    if (!cfg->version && !(cfg->version = oa_strdup(OA_VERSION)))
        return -ENOMEM;
    if (!cfg->metadata && !(cfg->metadata = oa_strdup("http://169.254.169.254")))
        return -ENOMEM;
    if (!cfg->userdata_url &&
        !(cfg->userdata_url = oa_strdup("http://169.254.169.254/latest/user-data")))
        return -ENOMEM;
    return 0;
}

/* Rules between keys, and the keys `run` and `check` need. */
static int check_whole(const struct oa_cfg *cfg, unsigned flags, const char *path, char *reterr,
                       size_t errlen)
{
    const char *where = path ? path : "(defaults)";

    if (cfg->reconnect_min_ms > cfg->reconnect_max_ms) {
        snprintf(reterr, errlen, "%s: [network] reconnect_min must not exceed reconnect_max",
                 where);
        return OA_ESCHEMA;
    }
    if (cfg->keepalive_ms >= cfg->dead_after_ms) {
        snprintf(reterr, errlen, "%s: [network] keepalive must be shorter than dead_after", where);
        return OA_ESCHEMA;
    }
    if (!(flags & OA_CFG_REQUIRE_BACKEND))
        return 0;
    if (!cfg->ws_uri) {
        snprintf(reterr, errlen,
                 "%s: [userdata] ws_uri is missing: expected a ws:// or wss:// URL of the backend",
                 where);
        return OA_ESCHEMA;
    }
    if (!cfg->app_id || !cfg->app_id[0]) {
        snprintf(reterr, errlen, "%s: [userdata] app_id is missing: expected the app's id", where);
        return OA_ESCHEMA;
    }
    return 0;
}

static int parse_stream(struct oa_cfg *cfg, FILE *f, const char *name, char *reterr, size_t errlen)
{
    struct reader rd = {0};
    struct parse_ctx c = {0};
    int r;

    rd.f = f;
    c.cfg = cfg;
    c.rd = &rd;
    c.path = name;
    c.err = reterr;
    c.errlen = errlen;
    oa_buf_init(&c.warnings, 16384);
    r = ini_parse_stream(read_line, &rd, on_key, &c);
    if (rd.too_long) {
        snprintf(reterr, errlen, "%s:%u: line longer than %d bytes", name, rd.line,
                 INI_MAX_LINE - 1);
        r = OA_ESYNTAX;
    } else if (c.failed) {
        r = OA_ESCHEMA;
    } else if (r > 0) {
        snprintf(reterr, errlen, "%s:%d: expected '[section]', 'key = value' or a comment", name,
                 r);
        r = OA_ESYNTAX;
    } else if (r < 0) {
        snprintf(reterr, errlen, "%s: out of memory", name);
        r = -ENOMEM;
    }
    if (r == 0 && c.warnings.len)
        oa_log(OA_LOG_WARNING, "%.*s", (int)c.warnings.len - 1, c.warnings.data);
    oa_buf_done(&c.warnings);
    free(rd.buf);
    return r;
}

static int finish_load(struct oa_cfg *cfg, unsigned flags, const char *name, char *reterr,
                       size_t errlen)
{
    int r = derive(cfg);

    if (r < 0) {
        snprintf(reterr, errlen, "out of memory");
        return r;
    }
    return check_whole(cfg, flags, name, reterr, errlen);
}

int oa_cfg_load_stream(struct oa_cfg *cfg, FILE *f, const char *name, unsigned flags, char *reterr,
                       size_t errlen)
{
    int r;

    set_defaults(cfg);
    if (!(cfg->path = oa_strdup(name)))
        return -ENOMEM;
    if ((r = parse_stream(cfg, f, name, reterr, errlen)) < 0)
        return r;
    return finish_load(cfg, flags, name, reterr, errlen);
}

int oa_cfg_load(struct oa_cfg *cfg, const char *path, unsigned flags, char *reterr, size_t errlen)
{
    FILE *f;
    int r;

    if (!path) {
        set_defaults(cfg);
        return finish_load(cfg, flags, NULL, reterr, errlen);
    }
    f = fopen(path, "re");
    if (!f) {
        r = -errno;
        set_defaults(cfg);
        snprintf(reterr, errlen, "%s: cannot read the config file: %s", path, strerror(-r));
        return r;
    }
    r = oa_cfg_load_stream(cfg, f, path, flags, reterr, errlen);
    fclose(f);
    return r;
}

void oa_cfg_done(struct oa_cfg *cfg)
{
    char **strings[] = {
        &cfg->path,        &cfg->state_dir,     &cfg->runtime_dir,  &cfg->token_path,
        &cfg->watch_dir,   &cfg->update_key,    &cfg->ws_uri,       &cfg->app_id,
        &cfg->version,     &cfg->base_remote,   &cfg->gpg_key_uri,  &cfg->mod_root,
        &cfg->mod_name,    &cfg->mod_bootstrap, &cfg->mod_repo,     &cfg->mod_tag,
        &cfg->instance_id, &cfg->metadata,      &cfg->userdata_url, &cfg->ca_file,
        &cfg->proxy,       &cfg->modules_dir,
    };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        oa_free(*strings[i]);
        *strings[i] = NULL;
    }
}
