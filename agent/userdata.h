/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The instance's user data (design.md, issue "In production"): the lines
 * APP_ID=, WS_URI=, VERSION=, BASE_REMOTE= and GPG_KEY_URI= of the script a
 * cloud instance was started with (also "export KEY=value", values in
 * single or double quotes). Everything else in it is ignored.
 */
#ifndef OA_USERDATA_H
#define OA_USERDATA_H

#include <stddef.h>

struct oa_userdata {
    char *app_id; /* each NULL when the user data does not set it */
    char *ws_uri;
    char *version;
    char *base_remote;
    char *gpg_key_uri;
};

/* Returns 0 (fields set that the text has) or -ENOMEM. */
int oa_userdata_parse(const char *text, size_t len, struct oa_userdata *ret);
void oa_userdata_done(struct oa_userdata *u);

#endif
