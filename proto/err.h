/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error codes of the project. Functions return 0 (or a count) on success and
 * a negative code on failure: negative errno values and libuv codes pass
 * through unchanged; the project's own codes are below, from -20000 down, so
 * they never overlap either. Foreign codes (yajl, wslay, mbedTLS) stop at
 * their adapter and are translated there.
 */
#ifndef OA_ERR_H
#define OA_ERR_H

enum oa_err {
    OA_ETOOBIG = -20000, /* input over its configured cap */
    OA_EDEPTH = -20001,  /* JSON nested deeper than allowed */
    OA_ESYNTAX = -20002, /* malformed input (JSON, INI, number) */
    OA_ESCHEMA = -20003, /* well-formed, but breaks a validation rule */
    OA_EUTF8 = -20004,   /* invalid UTF-8 */
    OA_ERANGE = -20005,  /* a number outside its allowed range */
    OA_ETLS = -20006,    /* the TLS handshake or a TLS record failed */
    OA_ECLOSED = -20007, /* the peer closed the stream (TLS close_notify, WebSocket close) */
    OA_EPROTO = -20008,  /* the peer broke a protocol (HTTP, WebSocket) */
};

/* Returns a static message for any code: ours, libuv's or a negative errno. */
const char *oa_strerror(int err);

#endif
