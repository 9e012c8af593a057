/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Identity: the instance id, the app id, the token file. Files here are
 * tiny and local (the token is 64 bytes), so they are read synchronously at
 * start-up and when the backend says AppNotReady.
 */
#include "ident.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "mem.h"

#define TOKEN_BYTES 32
#define TOKEN_FILE_MAX 16384 /* the original agent's token was an SSH key */

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        oa_free(s);
    }
}

void oa_ident_done(struct oa_ident *id)
{
    oa_free(id->instance_id);
    oa_free(id->app_id);
    oa_free(id->agent_version);
    free_secret(id->token);
    oa_free(id->init_errors);
    memset(id, 0, sizeof(*id));
}

struct oa_msg_ident oa_ident_view(const struct oa_ident *id)
{
    struct oa_msg_ident v = {id->instance_id, id->app_id, id->agent_version, id->token,
                             id->init_errors};
    return v;
}

static int read_token(int fd, char **ret)
{
    char buf[TOKEN_FILE_MAX + 1];
    size_t len = 0;
    ssize_t n;

    while ((n = read(fd, buf + len, TOKEN_FILE_MAX - len)) > 0)
        len += (size_t)n;
    if (n < 0)
        return -errno;
    if (len == TOKEN_FILE_MAX)
        return OA_ETOOBIG;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        len--;
    *ret = oa_strndup(buf, len);
    explicit_bzero(buf, sizeof(buf));
    return *ret ? 0 : -ENOMEM;
}

/* Writes a new token next to path and renames it into place. */
static int create_token(const char *path, struct oa_rng *rng, char **ret)
{
    unsigned char raw[TOKEN_BYTES];
    char hex[TOKEN_BYTES * 2 + 2], tmp[4096];
    int fd, r;

    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    if ((r = oa_rng_bytes(rng, raw, sizeof(raw))) < 0)
        return r;
    for (size_t i = 0; i < TOKEN_BYTES; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof(raw));
    hex[TOKEN_BYTES * 2] = '\n';
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    r = 0;
    if (fchmod(fd, 0400) < 0 || write(fd, hex, TOKEN_BYTES * 2 + 1) != TOKEN_BYTES * 2 + 1 ||
        fsync(fd) < 0)
        r = errno ? -errno : -EIO;
    close(fd);
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        explicit_bzero(hex, sizeof(hex));
        return r;
    }
    *ret = oa_strndup(hex, TOKEN_BYTES * 2);
    explicit_bzero(hex, sizeof(hex));
    return *ret ? 0 : -ENOMEM;
}

static int make_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');

    if (!slash || slash == path)
        return 0;
    if ((size_t)(slash - path) >= sizeof(dir))
        return -ENAMETOOLONG;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int oa_ident_token(const char *path, struct oa_rng *rng, char **ret, char *reterr, size_t errlen)
{
    char *token = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int r;

    if (fd >= 0) {
        r = read_token(fd, &token);
        close(fd);
        if (r < 0) {
            snprintf(reterr, errlen, "token file %s: %s", path, oa_strerror(r));
            return r;
        }
        /* read_token sets token when it returns 0 (clang 14 takes -errno for
         * possibly 0). NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
        if (token[0]) {
            *ret = token;
            return 0;
        }
        oa_free(token);
        oa_log(OA_LOG_WARNING, "token file %s is empty; creating a new token", path);
    } else if (errno != ENOENT) {
        r = -errno;
        snprintf(reterr, errlen, "token file %s: %s", path, strerror(-r));
        return r;
    }
    r = make_parent(path);
    if (r == 0)
        r = create_token(path, rng, ret);
    if (r < 0) {
        snprintf(reterr, errlen, "cannot create the token file %s: %s", path, oa_strerror(r));
        return r;
    }
    oa_log(OA_LOG_NOTICE, "created a new instance token in %s", path);
    return 0;
}

static int add_error(struct oa_buf *errors, const char *text)
{
    oa_log(OA_LOG_WARNING, "%s", text);
    if (errors->len && oa_buf_puts(errors, "; ") < 0)
        return -ENOMEM;
    return oa_buf_puts(errors, text) == -ENOMEM ? -ENOMEM : 0;
}

/* The instance id: the configured literal. Otherwise the service asks the
 * cloud (cloud.c) and replaces the host name put here meanwhile; when the
 * cloud does not answer, the host name stays and init_errors says why. */
static int instance_id(const struct oa_cfg *cfg, struct oa_ident *id, struct oa_buf *errors)
{
    char host[256] = "unknown-host";

    if (cfg->instance_id && cfg->instance_id[0] && !oa_ident_is_url(cfg->instance_id)) {
        id->instance_id = oa_strdup(cfg->instance_id);
        return id->instance_id ? 0 : -ENOMEM;
    }
    (void)gethostname(host, sizeof(host) - 1);
    id->instance_id = oa_strdup(host);
    return id->instance_id ? 0 : -ENOMEM;
}

bool oa_ident_is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

int oa_ident_join_error(char **list, const char *text)
{
    struct oa_buf b;
    int r;

    oa_buf_init(&b, 8192);
    r = oa_buf_puts(&b, *list ? *list : "");
    if (r == 0 && *list)
        r = oa_buf_puts(&b, "; ");
    if (r == 0)
        r = oa_buf_puts(&b, text);
    if (r == 0) {
        oa_free(*list);
        *list = oa_buf_steal(&b, NULL);
    }
    oa_buf_done(&b);
    return r;
}

int oa_ident_add_error(struct oa_ident *id, const char *text)
{
    return oa_ident_join_error(&id->init_errors, text);
}

int oa_ident_load(const struct oa_cfg *cfg, struct oa_rng *rng, struct oa_ident *ret)
{
    struct oa_ident id = {0};
    struct oa_buf errors;
    char why[512];
    int r;

    oa_buf_init(&errors, 4096);
    r = instance_id(cfg, &id, &errors);
    if (r == 0 && !(id.app_id = oa_strdup(cfg->app_id ? cfg->app_id : "")))
        r = -ENOMEM;
    if (r == 0 && !(id.agent_version = oa_strdup(cfg->version ? cfg->version : OA_VERSION)))
        r = -ENOMEM;
    if (r == 0 && oa_ident_token(cfg->token_path, rng, &id.token, why, sizeof(why)) < 0) {
        r = add_error(&errors, why);
        if (r == 0 && !(id.token = oa_strdup("")))
            r = -ENOMEM;
    }
    if (r == 0 && errors.len && !(id.init_errors = oa_buf_steal(&errors, NULL)))
        r = -ENOMEM;
    oa_buf_done(&errors);
    *ret = id;
    return r;
}
