/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by common.git, common.archive and common.pip.package: URLs without
 * their password, and running a tool with its stderr replayed into the
 * state's output once it ended, masked, while the line that explains a
 * failure is kept for the comment. It owns nothing beyond one call; it never
 * builds a shell line.
 */
#include "common_sources.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

/* A line of stderr longer than this is replayed in pieces. */
#define LINE_MAX_BYTES 4096

/* Finds the user info of url: [*ret_user, at) holds "user[:password]". */
static const char *userinfo(const char *url, const char **ret_start)
{
    const char *auth = strstr(url, "://");
    size_t n;

    if (!auth)
        return NULL;
    auth += 3;
    n = strcspn(auth, "/?#");
    *ret_start = auth;
    return memrchr(auth, '@', n);
}

const char *oa_common_sources_mask_url(const char *url, char *buf, size_t len)
{
    const char *start, *at = userinfo(url, &start), *colon = NULL;

    if (at)
        colon = memchr(start, ':', (size_t)(at - start));
    if (colon)
        snprintf(buf, len, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(buf, len, "%s", url);
    return buf;
}

const char *oa_common_sources_url_secret(const char *url, char *buf, size_t len)
{
    const char *start, *at = userinfo(url, &start), *colon = NULL;

    buf[0] = '\0';
    if (at)
        colon = memchr(start, ':', (size_t)(at - start));
    if (colon && (size_t)(at - colon - 1) < len) {
        memcpy(buf, colon + 1, (size_t)(at - colon - 1));
        buf[at - colon - 1] = '\0';
    }
    return buf;
}

const char *oa_common_sources_mask(const char *line, const char *secret, char *out, size_t len)
{
    size_t slen = secret ? strlen(secret) : 0, o = 0;
    const char *p = line;

    if (len == 0)
        return out;
    while (*p && o + 1 < len) {
        if (slen && strncmp(p, secret, slen) == 0) {
            for (const char *m = "***"; *m && o + 1 < len; m++)
                out[o++] = *m;
            p += slen;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static bool starts_with_word(const char *line, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(line, word, n) == 0 && (line[n] == ':' || line[n] == ' ');
}

void oa_common_sources_reason_feed(struct oa_common_sources_reason *r, const char *line)
{
    const char *s = line;
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strcspn(s, "\r\n");
    if (r->strong || n == 0 || r->len == 0)
        return;
    /* git's "fatal:", hg's "abort:", svn's "svn: E170000: …". */
    if (starts_with_word(s, "fatal") || starts_with_word(s, "error") ||
        starts_with_word(s, "abort") ||
        (strncmp(s, "svn: E", 6) == 0 && isdigit((unsigned char)s[6]))) {
        r->strong = true;
    } else if (r->reason[0] || starts_with_word(s, "warning") || starts_with_word(s, "hint") ||
               starts_with_word(s, "deprecation") || starts_with_word(s, "notice")) {
        return;
    }
    snprintf(r->reason, r->len, "%.*s", (int)n, s);
}

/* Writes one replayed line and lets it count for the reason. */
static void replay_line(char *line, size_t n, FILE *to, const char *secret,
                        struct oa_common_sources_reason *r)
{
    /* Zeroed, so that even a reader that looks past the terminating NUL
     * (the static analyzer does) sees defined bytes. */
    char masked[LINE_MAX_BYTES * 2] = "";

    line[n] = '\0';
    oa_common_sources_mask(line, secret, masked, sizeof(masked));
    fputs(masked, to);
    oa_common_sources_reason_feed(r, masked);
}

static void replay(int fd, FILE *to, const char *secret, struct oa_common_sources_reason *r)
{
    char line[LINE_MAX_BYTES + 1], chunk[8192];
    size_t used = 0;
    ssize_t got;

    if (lseek(fd, 0, SEEK_SET) < 0)
        return;
    while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        for (ssize_t i = 0; i < got; i++) {
            line[used++] = chunk[i];
            if (chunk[i] == '\n' || used == LINE_MAX_BYTES) {
                replay_line(line, used, to, secret, r);
                used = 0;
            }
        }
    }
    if (used)
        replay_line(line, used, to, secret, r);
    fflush(to);
}

int oa_common_sources_run(const struct oa_tool *t, const char *secret, int *ret_status,
                          char *reason, size_t len)
{
    struct oa_common_sources_reason r = {reason, len, false};
    /* Without a capture, stdout shares the file so the order is kept. */
    int fds[2] = {STDERR_FILENO, STDOUT_FILENO}, saved[2] = {-1, -1};
    int nfds = t->capture ? 1 : 2, mfd, rc, k = 0;

    reason[0] = '\0';
    fflush(stdout);
    fflush(stderr);
    mfd = memfd_create("tool-output", MFD_CLOEXEC);
    for (; mfd >= 0 && k < nfds; k++)
        if ((saved[k] = fcntl(fds[k], F_DUPFD_CLOEXEC, 3)) < 0 || dup2(mfd, fds[k]) < 0)
            break;
    if (mfd < 0 || k < nfds) {
        /* Without a private file the tool writes straight to the output:
         * only the reason is lost. */
        for (int i = 0; i < nfds; i++)
            if (saved[i] >= 0)
                dup2(saved[i], fds[i]), close(saved[i]);
        if (mfd >= 0)
            close(mfd);
        return oa_tool_run(t, ret_status, reason, len);
    }
    rc = oa_tool_run(t, ret_status, reason, len);
    for (int i = 0; i < nfds; i++)
        dup2(saved[i], fds[i]), close(saved[i]);
    if (rc == 0)
        replay(mfd, t->capture ? stderr : stdout, secret, &r);
    close(mfd);
    return rc;
}

const char *oa_common_sources_failure(const char *what, int status, const char *reason, char *buf,
                                      size_t len)
{
    char st[96];

    oa_tool_status_text(status, st, sizeof(st));
    if (reason && reason[0])
        snprintf(buf, len, "%s %s: %s", what, st, reason);
    else
        snprintf(buf, len, "%s %s", what, st);
    return buf;
}
