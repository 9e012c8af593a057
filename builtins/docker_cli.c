/* SPDX-License-Identifier: Apache-2.0 */
/*
 * docker CLI calls shared by the docker modules: actions (printed, output
 * passed on), queries (output kept), image ids, the container list, and
 * stopping a container with its numbered variants; with the small string
 * rules they need (references, registries, names).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "docker.h"
#include "err.h"
#include "mem.h"
#include "tool.h"

/* Most containers a numbered family is looked for in (web_1 … web_N). */
#define FAMILY_MAX 10000

/* argv for `docker [--config DIR] args…`, or NULL when out of memory. */
static char **build_argv(const struct oa_docker *d, const char *const *args, bool with_config)
{
    size_t n = 0, k = 0;
    char **argv;

    while (args[n])
        n++;
    if (!(argv = oa_calloc(n + 4, sizeof(*argv))))
        return NULL;
    argv[k++] = (char *)"docker";
    if (with_config && d->config[0]) {
        argv[k++] = (char *)"--config";
        argv[k++] = (char *)d->config;
    }
    for (size_t i = 0; i < n; i++)
        argv[k++] = (char *)args[i];
    argv[k] = NULL;
    return argv;
}

void oa_docker_last_line(const char *text, char *buf, size_t len)
{
    const char *end = text + strlen(text), *start;

    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(buf, len, "%.*s", (int)(end - start), start);
}

/* d->why after a call that ran and failed: its last line, else how it ended. */
static void set_why(struct oa_docker *d, const char *sub, int status)
{
    char st[64];

    if (d->why[0])
        return;
    snprintf(d->why, sizeof(d->why), "docker %s %s", sub,
             oa_tool_status_text(status, st, sizeof(st)));
}

struct action_lines {
    struct oa_docker *d;
    void (*on_line)(void *arg, const char *line);
    void *arg;
};

static void on_action_line(void *arg, const char *line)
{
    struct action_lines *a = arg;

    if (line[strspn(line, " \t")])
        snprintf(a->d->why, sizeof(a->d->why), "%s", line);
    if (a->on_line)
        a->on_line(a->arg, line);
}

int oa_docker_action(struct oa_docker *d, const char *const *args, bool with_config,
                     void (*on_line)(void *arg, const char *line), void *arg)
{
    struct action_lines a = {d, on_line, arg};
    char **argv = build_argv(d, args, with_config);
    int status, r;

    if (!argv) {
        snprintf(d->why, sizeof(d->why), "out of memory");
        return -ENOMEM;
    }
    printf("+");
    for (size_t i = 0; argv[i]; i++)
        printf(" %s", argv[i]);
    printf("\n");
    d->why[0] = '\0';
    r = oa_docker_exec(argv, NULL, NULL, on_action_line, &a, &status, d->why, sizeof(d->why));
    oa_free(argv);
    if (r < 0)
        return r;
    if (oa_tool_ok(status))
        return 0;
    set_why(d, args[0], status);
    return -EIO;
}

int oa_docker_query(struct oa_docker *d, const char *const *args, struct oa_buf *cap)
{
    char **argv = build_argv(d, args, false);
    int status, r;

    if (!argv) {
        snprintf(d->why, sizeof(d->why), "out of memory");
        return -ENOMEM;
    }
    d->why[0] = '\0';
    r = oa_docker_exec(argv, NULL, cap, NULL, NULL, &status, d->why, sizeof(d->why));
    oa_free(argv);
    if (r < 0)
        return r;
    if (oa_tool_ok(status))
        return 0;
    oa_docker_last_line(cap->data ? cap->data : "", d->why, sizeof(d->why));
    set_why(d, args[0], status);
    return -EIO;
}

int oa_docker_image_id(struct oa_docker *d, const char *ref, char id[DOCKER_ID_MAX])
{
    const char *args[] = {"image", "inspect", "--format", "{{.Id}}", ref, NULL};
    struct oa_buf cap;
    int r;

    id[0] = '\0';
    oa_buf_init(&cap, DOCKER_CAPTURE_MAX);
    r = oa_docker_query(d, args, &cap);
    if (r == 0) {
        oa_docker_last_line(cap.data ? cap.data : "", id, DOCKER_ID_MAX);
        r = id[0] ? 1 : 0;
    } else if (r == -EIO && strstr(d->why, "No such image")) {
        /* "Error response from daemon: No such image: x" (older: "Error:
         * No such image: x"): the image is not there, nothing failed. */
        r = 0;
    }
    oa_buf_done(&cap);
    return r;
}

static int ps_add(struct oa_docker_ps *ps, const char *name, size_t len, bool running)
{
    char **names = oa_realloc(ps->names, (ps->n + 1) * sizeof(*names));
    bool *run;

    if (!names)
        return -ENOMEM;
    ps->names = names;
    if (!(run = oa_realloc(ps->running, (ps->n + 1) * sizeof(*run))))
        return -ENOMEM;
    ps->running = run;
    if (!(names[ps->n] = oa_strndup(name, len)))
        return -ENOMEM;
    run[ps->n++] = running;
    return 0;
}

/* One line "name[,name…]|status". docker's Status reads "Up 3 minutes",
 * "Up 2 hours (Paused)", "Restarting (1) 5 seconds ago", "Exited (0) …",
 * "Created"; the first three have State.Running set. A name with '/' is
 * another container's link alias, not a name of this one. */
static int ps_line(struct oa_docker_ps *ps, const char *line, size_t len)
{
    const char *bar = memchr(line, '|', len), *p = line;
    bool running;
    int r;

    if (!bar)
        return 0;
    running = (size_t)(line + len - bar - 1) >= 2 &&
              (strncmp(bar + 1, "Up", 2) == 0 || strncmp(bar + 1, "Restarting", 10) == 0);
    while (p < bar) {
        size_t n = strcspn(p, ",|");
        if (n > 0 && !memchr(p, '/', n) && (r = ps_add(ps, p, n, running)) < 0)
            return r;
        p += n + (p[n] == ',');
    }
    return 0;
}

int oa_docker_ps_parse(const char *text, struct oa_docker_ps *ret)
{
    struct oa_docker_ps ps = {0};
    int r = 0;

    while (*text && r == 0) {
        size_t n = strcspn(text, "\n");
        r = ps_line(&ps, text, n > 0 && text[n - 1] == '\r' ? n - 1 : n);
        text += n + (text[n] == '\n');
    }
    if (r < 0) {
        oa_docker_ps_done(&ps);
        return r;
    }
    *ret = ps;
    return 0;
}

int oa_docker_ps_read(struct oa_docker *d, struct oa_docker_ps *ret)
{
    const char *args[] = {"ps", "-a", "--no-trunc", "--format", "{{.Names}}|{{.Status}}", NULL};
    struct oa_buf cap;
    int r;

    *ret = (struct oa_docker_ps){0};
    if (!d->live)
        return 0;
    oa_buf_init(&cap, DOCKER_CAPTURE_MAX);
    r = oa_docker_query(d, args, &cap);
    if (r == 0 && (r = oa_docker_ps_parse(cap.data ? cap.data : "", ret)) < 0)
        snprintf(d->why, sizeof(d->why), "out of memory");
    oa_buf_done(&cap);
    return r;
}

void oa_docker_ps_done(struct oa_docker_ps *ps)
{
    for (size_t i = 0; ps->names && i < ps->n; i++)
        oa_free(ps->names[i]);
    oa_free(ps->names);
    oa_free(ps->running);
    *ps = (struct oa_docker_ps){0};
}

int oa_docker_ps_find(const struct oa_docker_ps *ps, const char *name)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->names[i], name) == 0)
            return ps->running[i] ? 1 : 0;
    return -1;
}

int oa_docker_stop_family(struct oa_docker *d, const struct oa_docker_ps *ps, const char *name,
                          struct oa_buf *stopped)
{
    char member[DOCKER_NAME_MAX];
    int r;

    for (size_t i = 0; i < FAMILY_MAX; i++) {
        if (i == 0)
            snprintf(member, sizeof(member), "%s", name);
        else
            snprintf(member, sizeof(member), "%s_%zu", name, i);
        int st = oa_docker_ps_find(ps, member);
        if (st < 0 && i > 0)
            break;
        if (st != 1)
            continue;
        const char *args[] = {"stop", member, NULL};
        if (!d->ctx->dry_run && (r = oa_docker_action(d, args, false, NULL, NULL)) < 0)
            return r;
        (void)oa_buf_printf(stopped, "%s%s", stopped->len ? ", " : "", member);
    }
    return 0;
}

const char *oa_docker_ref(const char *repo, const char *tag, char *buf, size_t len)
{
    const char *last = strrchr(repo, '/');
    int n;

    last = last ? last + 1 : repo;
    if (tag && *tag)
        n = snprintf(buf, len, "%s:%s", repo, tag);
    else if (strchr(last, ':') || strchr(last, '@'))
        n = snprintf(buf, len, "%s", repo);
    else
        n = snprintf(buf, len, "%s:latest", repo);
    return n >= 0 && (size_t)n < len ? buf : NULL;
}

const char *oa_docker_registry(const char *ref, char *buf, size_t len)
{
    size_t n = strcspn(ref, "/");

    buf[0] = '\0';
    /* strcspn stops at the NUL at the latest, so ref[n] exists. */
    /* cppcheck-suppress arrayIndexOutOfBoundsCond */
    if (ref[n] == '/' &&
        (memchr(ref, '.', n) || memchr(ref, ':', n) || (n == 9 && !strncmp(ref, "localhost", 9))))
        snprintf(buf, len, "%.*s", (int)n, ref);
    return buf;
}

const char *oa_docker_short_id(const char *id, char *buf, size_t len)
{
    const char *colon = strchr(id, ':');
    size_t prefix = colon ? (size_t)(colon - id) + 1 : 0;

    snprintf(buf, len, "%.*s", (int)(prefix + 12), id);
    return buf;
}

bool oa_docker_valid_name(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > DOCKER_NAME_MAX - 8 || strchr("_.-", s[0]))
        return false;
    for (; *s; s++)
        if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
            !strchr("_.-", *s))
            return false;
    return true;
}

bool oa_docker_valid_ref(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len >= DOCKER_REF_MAX || s[0] == '-')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

void oa_docker_note(struct oa_buf *b, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    (void)oa_buf_printf(b, "%s%s", b->len ? "; " : "", text);
}

void oa_docker_outcome(const struct oa_docker *d, struct oa_outcome *out, bool ok, bool changed,
                       const struct oa_buf *comment)
{
    const char *text = comment->data ? comment->data : "";

    oa_outcome_set(out, ok, changed || d->changed, "%s%s%s", d->done,
                   d->done[0] && text[0] ? "; " : "", text);
}

int oa_docker_creds_read(const struct oa_params *p, struct oa_docker_creds *ret,
                         struct oa_outcome *out)
{
    const char *user = oa_params_str(p, "username"), *password = oa_params_str(p, "password");

    *ret = (struct oa_docker_creds){0};
    if (oa_params_str(p, "email"))
        printf("ignoring 'email': docker login no longer takes one\n");
    if (user && *user) {
        if (!password || !*password) {
            oa_outcome_set(out, false, false, "parameter 'password' is needed with 'username'");
            return OA_ESCHEMA;
        }
        *ret = (struct oa_docker_creds){user, password};
    } else if (password && *password) {
        printf("ignoring 'password': no 'username' is given\n");
    }
    return 0;
}

bool oa_docker_names_valid(const struct oa_params *p, const char *param, struct oa_outcome *out)
{
    const struct oa_pvalue *v = oa_params_get(p, param);

    for (size_t i = 0; v->present && i < v->n; i++) {
        if (!oa_docker_valid_name(v->items[i])) {
            oa_outcome_set(out, false, false, "parameter '%s': '%.200s' is not a container name",
                           param, v->items[i]);
            return false;
        }
    }
    return true;
}

bool oa_docker_ref_valid(const char *param, const char *value, struct oa_outcome *out)
{
    if (value && !oa_docker_valid_ref(value)) {
        oa_outcome_set(out, false, false, "parameter '%s': '%.200s' is not an image name", param,
                       value);
        return false;
    }
    return true;
}

int oa_docker_stop_containers(struct oa_docker *d, char *const *names, size_t n,
                              struct oa_buf *comment)
{
    struct oa_docker_ps ps;
    struct oa_buf stopped;
    int r = 0;

    if (n == 0)
        return 0;
    oa_buf_init(&stopped, DOCKER_COMMENT_MAX);
    if ((r = oa_docker_ps_read(d, &ps)) < 0) {
        oa_docker_note(comment, "cannot list the containers: %s", d->why);
        oa_buf_done(&stopped);
        return r;
    }
    for (size_t i = 0; i < n && r == 0; i++)
        r = oa_docker_stop_family(d, &ps, names[i], &stopped);
    if (stopped.len)
        oa_docker_note(comment, "%s %s", d->ctx->dry_run ? "would stop" : "stopped", stopped.data);
    if (r < 0)
        oa_docker_note(comment, "cannot stop a container: %s", d->why);
    oa_docker_ps_done(&ps);
    oa_buf_done(&stopped);
    return r;
}
