/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS client on mbedTLS, sans-I/O: mbedTLS works on buffers and never
 * touches a socket. The caller (conn.c) feeds the bytes it read from the
 * socket with oa_tls_feed and sends whatever oa_tls_take_output hands it.
 *
 * Security (design.md, Security rules): certificates are verified against
 * ca_file or the system bundle, the host name is checked and sent as SNI,
 * TLS 1.2 is the minimum. `insecure` (an explicit config switch) skips
 * verification; the caller warns at every connection.
 *
 * Every mbedTLS code stops here: functions return 0, OA_TLS_AGAIN, or a
 * negative project code, with mbedTLS's own text in reterr.
 */
#ifndef OA_TLS_H
#define OA_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "rng.h"

/* Returned by oa_tls_handshake: send the output, then feed more input. */
#define OA_TLS_AGAIN 1

/* Unprocessed input kept at most; beyond it oa_tls_feed fails. */
#define OA_TLS_MAX_INPUT (1u << 20)

/* Shared by every connection: the trusted CAs, the RNG, the settings. */
struct oa_tls_config;

/* ca_file NULL: the system bundle (Debian's /etc/ssl/certs/ca-certificates.crt,
 * else the RHEL and other usual paths). rng is borrowed and must outlive the
 * config. Returns 0, a negative errno when the file cannot be read, OA_ETLS
 * when it holds no usable certificate, or -ENOMEM; the reason in reterr. */
int oa_tls_config_new(struct oa_rng *rng, const char *ca_file, bool insecure,
                      struct oa_tls_config **ret, char *reterr, size_t errlen);
void oa_tls_config_free(struct oa_tls_config *cfg);
bool oa_tls_config_insecure(const struct oa_tls_config *cfg);

struct oa_tls;

/* One client session for host (SNI and the name the certificate must
 * carry). mbedTLS 2.28 ignores IP SANs: an IP literal passes only when a
 * dNSName SAN (or the CN of a certificate without SANs) is that same text.
 * cfg is borrowed. Returns 0 or -ENOMEM / OA_ETLS (host NULL or empty). */
int oa_tls_new(struct oa_tls_config *cfg, const char *host, struct oa_tls **ret);
void oa_tls_free(struct oa_tls *t);

/* Hands bytes read from the socket to TLS (copied). Returns 0 or
 * OA_ETOOBIG (more than OA_TLS_MAX_INPUT unprocessed) / -ENOMEM. */
int oa_tls_feed(struct oa_tls *t, const void *data, size_t len);

/* Advances the handshake. Returns 0 once established, OA_TLS_AGAIN when it
 * needs more input (after the caller sent the output), or OA_ETLS with the
 * reason in reterr, e.g. "certificate verification failed: the certificate
 * is not correctly signed by the trusted CA" or "... the certificate Common
 * Name (CN) does not match with the expected CN". */
int oa_tls_handshake(struct oa_tls *t, char *reterr, size_t errlen);

/* Decrypts application data into buf. Returns the number of bytes (> 0), 0
 * when it needs more input, OA_ECLOSED after the peer's close_notify, or
 * OA_ETLS with the reason in reterr. Call until it returns 0, then take the
 * output: reading may queue an alert (e.g. declining a renegotiation). */
ssize_t oa_tls_read(struct oa_tls *t, void *buf, size_t cap, char *reterr, size_t errlen);

/* Encrypts len bytes of application data (all of them) into the output.
 * Returns 0 or OA_ETLS / -ENOMEM. Only after the handshake. */
int oa_tls_write(struct oa_tls *t, const void *data, size_t len);

/* Queues a close_notify alert. Returns 0 or OA_ETLS. */
int oa_tls_close_notify(struct oa_tls *t);

/* Moves the ciphertext waiting to be sent to the end of out. Returns 0 or
 * -ENOMEM / OA_ETOOBIG (out's cap). */
int oa_tls_take_output(struct oa_tls *t, struct oa_buf *out);

#endif
