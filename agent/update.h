/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Self-update (design.md, Self-update; protocol.md, AgentUpdate): the agent
 * replaces its own binary with a signed new one and restarts, and rolls back
 * when the new binary does not reach READY in time.
 *
 * Three parts behind this header:
 * - update.c, on the loop: takes AgentUpdate, runs `opsagent exec-update` in
 *   a child (agent/exec), reports a failure through init_errors and a
 *   re-Handshake, restarts after a success; at start-up it finds the marker
 *   an update left and arms the rollback deadline, which READY disarms.
 * - update_child.c, blocking, in a child: `opsagent exec-update` (download,
 *   verify, check the version, keep the old binary, write the marker,
 *   rename into place) and `opsagent rollback-check` (systemd's ExecStartPre
 *   with the previous binary: count the starts of the new one, restore the
 *   old one after too many or after the deadline).
 * - update_files.c, pure helpers both use: the signature check (mbedTLS),
 *   the --version check, the marker file and atomic copies.
 *
 * The files, for a binary EXE: EXE.new (the download, mode 0700, removed on
 * any failure), EXE.prev (a copy of the binary that was replaced) and the
 * marker <state_dir>/update.json {"version","previous_version","deadline"
 * (epoch seconds; 0 until the new binary first starts),"window" (seconds
 * from that start),"attempts"}. The window counts from the first start, not
 * from the install, because the old binary's graceful stop (a running state
 * finishes first) may take far longer than the window. Never runs a
 * payload whose signature did not verify; never leaves a half-written EXE.
 */
#ifndef OA_UPDATE_H
#define OA_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

struct oa_cfg;

/* Bounds of the downloads, the --version run and the whole child. */
#define OA_UPDATE_PAYLOAD_MAX (256u << 20)
#define OA_UPDATE_SIG_MAX (16u << 10)
#define OA_UPDATE_FETCH_TIMEOUT_MS ((uint64_t)600 * 1000)
#define OA_UPDATE_VERSION_TIMEOUT_MS ((uint64_t)10 * 1000)
#define OA_UPDATE_CHILD_TIMEOUT_MS                                                                 \
    (2 * OA_UPDATE_FETCH_TIMEOUT_MS + OA_UPDATE_VERSION_TIMEOUT_MS + (uint64_t)60 * 1000)
/* rollback-check restores the previous binary on the start after this many. */
#define OA_UPDATE_MAX_ATTEMPTS 3
#define OA_UPDATE_MARKER_NAME "update.json"

/* Not an exit status: oa_service_run returns it when the binary must be
 * executed again in the foreground (main.c calls oa_update_reexec). */
#define OA_UPDATE_REEXEC 256

/* ---- the parent side (update.c), on the loop ---- */

struct oa_update_ops {
    /* An AgentUpdate was refused or failed. text ("update to X failed: why")
     * is valid during the call; the owner adds it to init_errors and sends a
     * re-Handshake. Called from the loop, never from inside
     * oa_update_start. */
    void (*failed)(void *ud, const char *text);
    /* The new binary is in place (rollback false), or the previous one was
     * restored (rollback true): stop gracefully and exit with
     * oa_update_exit_status(rollback). */
    void (*restart)(void *ud, bool rollback);
};

struct oa_update;

/* Creates the updater for the running binary self_exe with cfg's update_key,
 * state_dir, network settings and update_deadline (cfg and self_exe are
 * copied). It reads the marker at once: a marker naming this binary's
 * version arms the rollback deadline; any other marker is stale and
 * removed (logged). Returns 0 or -ENOMEM. */
int oa_update_new(uv_loop_t *loop, const struct oa_cfg *cfg, const char *self_exe,
                  const struct oa_update_ops *ops, void *ud, struct oa_update **ret);

/* Handles AgentUpdate {version, url}: logs and ignores it while an update
 * is in progress; refuses it without update_key (ops->failed follows from
 * the loop); otherwise starts `opsagent exec-update`, whose outcome ends in
 * ops->failed or ops->restart. The strings are copied. */
void oa_update_start(struct oa_update *u, const char *version, const char *url);

/* The connection reached READY: confirms a pending update (the marker is
 * removed and "update to X confirmed" logged). Accepts NULL. */
void oa_update_ready(struct oa_update *u);

/* Kills a running exec-update child, closes the timers and frees u once
 * everything in flight has ended. The marker stays. Accepts NULL. */
void oa_update_close(struct oa_update *u);

/* How to restart: under systemd ($INVOCATION_ID or $NOTIFY_SOCKET set) the
 * exit status for Restart=always (0 after an update, 1 after a rollback),
 * else OA_UPDATE_REEXEC. */
int oa_update_exit_status(bool rollback);

/* Executes exe with argv (after the loop is torn down). Returns only on
 * failure, with the exit status to use (logged). */
int oa_update_reexec(const char *exe, char *const argv[]);

/* ---- the child side (update_child.c), blocking ---- */

/* `opsagent exec-update`: reads {"version","url","key","exe","state_dir",
 * "ca_file","proxy","no_proxy","deadline_ms"} on stdin, installs the
 * update, writes {"result","comment","changed"} on fd 3. Returns the exit
 * status: 0 installed, 1 failed, 2 unusable request. */
int oa_update_exec_child(void);

/* `opsagent rollback-check` for the binary self_exe (EXE.prev or EXE):
 * oa_update_check_attempt on cfg's marker, logged. Returns the exit
 * status. */
int oa_update_rollback_check(const struct oa_cfg *cfg, const char *self_exe);

/* ---- helpers (update_files.c), blocking, no logging ---- */

struct oa_update_marker {
    char *version;          /* the version installed */
    char *previous_version; /* the version it replaced */
    int64_t deadline;       /* epoch seconds: READY by then, or roll back; 0: not started */
    uint64_t attempts;      /* starts counted by rollback-check */
    uint64_t window;        /* seconds from the first start to the deadline */
};

/* Reads the marker at path into *ret (freed with oa_update_marker_done; on
 * success only). Returns 0, -ENOENT (no marker), another negative errno
 * (unreadable), OA_ESYNTAX or OA_ESCHEMA (not a marker), with the reason in
 * why. */
int oa_update_marker_read(const char *path, struct oa_update_marker *ret, char *why, size_t len);
/* Writes m to path atomically, mode 0600. Returns 0 or a negative code
 * with the reason in why. */
int oa_update_marker_write(const char *path, const struct oa_update_marker *m, char *why,
                           size_t len);
void oa_update_marker_done(struct oa_update_marker *m);

/* The first start of the new binary, at now (epoch seconds): sets the
 * deadline to now + window when it is not set yet. Returns whether it did
 * (the marker then needs writing). */
bool oa_update_marker_start(struct oa_update_marker *m, int64_t now);

/* Milliseconds from now_ms (epoch milliseconds) to the marker's deadline;
 * 0 when it has passed. */
uint64_t oa_update_remaining_ms(const struct oa_update_marker *m, int64_t now_ms);

enum oa_update_attempt {
    OA_UPDATE_NONE,        /* no marker: nothing to do */
    OA_UPDATE_COUNTED,     /* one more start of the new binary, recorded */
    OA_UPDATE_ROLLED_BACK, /* prev restored over exe, marker removed */
};

/* The rollback-check logic at time now: with a marker at marker_path,
 * starts its deadline (oa_update_marker_start), increments its attempts
 * (written atomically); when they exceed
 * OA_UPDATE_MAX_ATTEMPTS or the deadline has passed, copies prev over exe
 * atomically and removes the marker. An invalid marker is removed. Returns
 * an enum oa_update_attempt with one line in msg, or a negative code with
 * the reason in msg. */
int oa_update_check_attempt(const char *marker_path, const char *exe, const char *prev, time_t now,
                            char *msg, size_t len);

/* Copies src to dst atomically: a temporary file beside dst with src's
 * permission bits, fsync, rename, fsync of the directory. Returns 0 or a
 * negative errno with "dst: cannot <step>: <why>" in why; nothing is left
 * behind on failure. */
int oa_update_copy_atomic(const char *src, const char *dst, char *why, size_t len);

/* Checks sig (DER ECDSA or PKCS#1 v1.5 RSA, as `openssl dgst -sha256 -sign`
 * writes it) over the SHA-256 hash with the PEM public key in key_path,
 * which must be ECDSA P-256 or RSA of at least 2048 bits. Returns 0; or
 * -EBADMSG with "signature does not match the pinned key" (or "the
 * signature is empty") in why; or -EINVAL / a negative errno when the key
 * cannot be used, with the reason in why. */
int oa_update_verify(const char *key_path, const unsigned char hash[32], const void *sig,
                     size_t sig_len, char *why, size_t len);

/* Checks what `NEW --version` printed (out, len bytes): exactly
 * "opsagent <version>", optionally followed by one newline. Returns 0, or
 * -EBADMSG with "the new binary says 'opsagent 1.2' instead of 'opsagent
 * 1.3'" in why (the output cut and made printable). */
int oa_update_check_version(const char *out, size_t out_len, const char *version, char *why,
                            size_t len);

#endif
