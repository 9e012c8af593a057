/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one place where the docker modules start the docker CLI: an argv
 * array, stdout and stderr read together (docker prints its errors on
 * stderr, and a comment needs them), stdin from /dev/null or a password.
 * An action's output is passed on to the state's output line by line, with
 * the filtering of modules.md §1.3, as it arrives.
 */
#include <stdio.h>
#include <string.h>

#include "docker.h"
#include "tool.h"

/* A line longer than this is passed on in pieces. */
#define LINE_CAP (64u << 10)

struct line_feed {
    void (*on_line)(void *arg, const char *line);
    void *arg;
    struct oa_buf line;
    bool after_cr; /* the last byte was '\r': the line is rewritten unless '\n' follows */
};

/* §1.3: a progress line is a run of ten or more dots (wget, apt inside a
 * build); it is dropped from the output. */
static bool is_progress(const char *s)
{
    size_t run = 0;

    for (; *s; s++) {
        run = *s == '.' ? run + 1 : 0;
        if (run >= 10)
            return true;
    }
    return false;
}

static void flush_line(struct line_feed *f)
{
    const char *s = f->line.data ? f->line.data : "";

    if (!is_progress(s)) {
        fputs(s, stdout);
        fputc('\n', stdout);
        if (f->on_line)
            f->on_line(f->arg, s);
    }
    oa_buf_reset(&f->line);
}

static void on_output(void *arg, const char *data, size_t len)
{
    struct line_feed *f = arg;

    for (size_t i = 0; i < len; i++) {
        if (f->after_cr && data[i] != '\n')
            oa_buf_reset(&f->line); /* rewritten: only its last version counts */
        f->after_cr = data[i] == '\r';
        if (data[i] == '\n') {
            flush_line(f);
        } else if (data[i] != '\r' && oa_buf_append(&f->line, &data[i], 1) < 0) {
            flush_line(f);
            (void)oa_buf_append(&f->line, &data[i], 1);
        }
    }
}

int oa_docker_exec(char *const argv[], const char *input, struct oa_buf *capture,
                   void (*on_line)(void *arg, const char *line), void *arg, int *ret_status,
                   char *why, size_t len)
{
    struct line_feed feed = {on_line, arg, {0}, false};
    struct oa_tool t = {.argv = argv,
                        .capture = capture,
                        .input = input,
                        .merge_stderr = true,
                        .on_output = capture ? NULL : on_output,
                        .output_arg = &feed};
    int r;

    oa_buf_init(&feed.line, LINE_CAP);
    r = oa_tool_exec_opts(&t, NULL, ret_status, why, len);
    if (feed.line.len > 0)
        flush_line(&feed);
    oa_buf_done(&feed.line);
    fflush(stdout);
    return r;
}
