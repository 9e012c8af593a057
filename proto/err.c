/* SPDX-License-Identifier: Apache-2.0 */
/* Messages for the project's error codes; everything else goes to strerror(). */
#include "err.h"

#include <string.h>

const char *oa_strerror(int err)
{
    switch (err) {
    case OA_ETOOBIG:
        return "input too big";
    case OA_EDEPTH:
        return "nested too deeply";
    case OA_ESYNTAX:
        return "syntax error";
    case OA_ESCHEMA:
        return "invalid content";
    case OA_EUTF8:
        return "invalid UTF-8";
    case OA_ERANGE:
        return "number out of range";
    case OA_ETLS:
        return "TLS failure";
    case OA_ECLOSED:
        return "closed by the peer";
    case OA_EPROTO:
        return "protocol error";
    default:
        /* libuv's codes on Unix are negative errno values. */
        return strerror(err < 0 ? -err : err);
    }
}
