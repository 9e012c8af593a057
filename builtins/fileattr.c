/* SPDX-License-Identifier: Apache-2.0 */
/* Owner, group and mode of paths for the file modules; tree walks with fts. */
#include "fileattr.h"

#include <errno.h>
#include <fts.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "parse.h"

int oa_fileattr_clean_path(const char *path, char *buf, size_t len)
{
    size_t n;

    if (!oa_fs_is_absolute(path))
        return -EINVAL;
    n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n >= len)
        return -ENAMETOOLONG;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return 0;
}

static int find_uid(const char *name, uid_t *ret)
{
    struct passwd *pw = getpwnam(name);
    uint64_t id;

    if (pw) {
        *ret = pw->pw_uid;
        return 0;
    }
    if (oa_parse_u64(name, (uid_t)-2, &id) < 0)
        return -ENOENT;
    *ret = (uid_t)id;
    return 0;
}

static int find_gid(const char *name, gid_t *ret)
{
    struct group *gr = getgrnam(name);
    uint64_t id;

    if (gr) {
        *ret = gr->gr_gid;
        return 0;
    }
    if (oa_parse_u64(name, (gid_t)-2, &id) < 0)
        return -ENOENT;
    *ret = (gid_t)id;
    return 0;
}

int oa_fileattr_resolve(const char *user, const char *group, const char *mode,
                        struct oa_fileattr *ret, char *reterr, size_t errlen)
{
    struct oa_fileattr a = {0};

    if (user && find_uid(user, &a.uid) < 0) {
        snprintf(reterr, errlen, "user %s does not exist", user);
        return OA_ESCHEMA;
    }
    if (group && find_gid(group, &a.gid) < 0) {
        snprintf(reterr, errlen, "group %s does not exist", group);
        return OA_ESCHEMA;
    }
    if (mode && oa_fs_parse_mode(mode, &a.mode) < 0) {
        snprintf(reterr, errlen, "parameter 'mode': '%s' is not an octal mode", mode);
        return OA_ESCHEMA;
    }
    a.has_uid = user != NULL;
    a.has_gid = group != NULL;
    a.has_mode = mode != NULL;
    *ret = a;
    return 0;
}

bool oa_fileattr_any(const struct oa_fileattr *want)
{
    return want->has_uid || want->has_gid || want->has_mode;
}

unsigned oa_fileattr_diff(const struct oa_fileattr *want, const struct stat *st)
{
    unsigned d = 0;

    if (want->has_uid && st->st_uid != want->uid)
        d |= OA_FILEATTR_OWNER;
    if (want->has_gid && st->st_gid != want->gid)
        d |= OA_FILEATTR_GROUP;
    if (want->has_mode && !S_ISLNK(st->st_mode) && (st->st_mode & 07777) != want->mode)
        d |= OA_FILEATTR_MODE;
    return d;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid(uid);

    if (pw)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "%u", (unsigned)uid);
    return buf;
}

static const char *group_name(gid_t gid, char *buf, size_t len)
{
    struct group *gr = getgrgid(gid);

    if (gr)
        snprintf(buf, len, "%s", gr->gr_name);
    else
        snprintf(buf, len, "%u", (unsigned)gid);
    return buf;
}

const char *oa_fileattr_describe(const struct oa_fileattr *want, const struct stat *st,
                                 unsigned diff, char *buf, size_t len)
{
    char a[64], b[64];
    size_t off = 0;

    buf[0] = '\0';
    if (diff & OA_FILEATTR_OWNER)
        off += (size_t)snprintf(buf + off, len - off, "owner %s → %s",
                                user_name(st->st_uid, a, sizeof(a)),
                                user_name(want->uid, b, sizeof(b)));
    if ((diff & OA_FILEATTR_GROUP) && off < len)
        off += (size_t)snprintf(buf + off, len - off, "%sgroup %s → %s", off ? ", " : "",
                                group_name(st->st_gid, a, sizeof(a)),
                                group_name(want->gid, b, sizeof(b)));
    if ((diff & OA_FILEATTR_MODE) && off < len)
        snprintf(buf + off, len - off, "%smode %04o → %04o", off ? ", " : "",
                 (unsigned)(st->st_mode & 07777), (unsigned)want->mode);
    return buf;
}

const char *oa_fileattr_names(unsigned diff, char *buf, size_t len)
{
    const char *names[3];
    size_t n = 0;

    if (diff & OA_FILEATTR_OWNER)
        names[n++] = "owner";
    if (diff & OA_FILEATTR_GROUP)
        names[n++] = "group";
    if (diff & OA_FILEATTR_MODE)
        names[n++] = "mode";
    if (n == 0)
        snprintf(buf, len, "nothing");
    else if (n == 1)
        snprintf(buf, len, "%s", names[0]);
    else if (n == 2)
        snprintf(buf, len, "%s and %s", names[0], names[1]);
    else
        snprintf(buf, len, "%s, %s and %s", names[0], names[1], names[2]);
    return buf;
}

int oa_fileattr_apply(const char *path, const struct oa_fileattr *want, unsigned diff, bool follow,
                      char *why, size_t len)
{
    uid_t uid = (diff & OA_FILEATTR_OWNER) ? want->uid : (uid_t)-1;
    gid_t gid = (diff & OA_FILEATTR_GROUP) ? want->gid : (gid_t)-1;

    /* chown before chmod: changing the owner clears the set-id bits. */
    if ((diff & (OA_FILEATTR_OWNER | OA_FILEATTR_GROUP)) &&
        (follow ? chown(path, uid, gid) : lchown(path, uid, gid)) < 0) {
        int e = errno;
        snprintf(why, len, "%s: cannot change the owner: %s", path, strerror(e));
        return -e;
    }
    if ((diff & OA_FILEATTR_MODE) && chmod(path, want->mode) < 0) {
        int e = errno;
        snprintf(why, len, "%s: cannot change the mode: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

size_t oa_fileattr_missing_parents(const char *path)
{
    char buf[PATH_MAX];
    size_t n = 0;
    char *slash;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return 0;
    while ((slash = strrchr(buf, '/')) != NULL && slash != buf) {
        *slash = '\0';
        if (oa_fs_exists(buf))
            break;
        n++;
    }
    return n;
}

/* Makes one directory of a mkdir -p; *made tells whether it was created. */
static int make_one(const char *dir, mode_t mode, const struct oa_fileattr *want, bool *made,
                    char *why, size_t len)
{
    struct stat st;

    *made = false;
    if (mkdir(dir, 0700) < 0) {
        int e = errno;
        if (e == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        if (e == EEXIST)
            e = ENOTDIR;
        snprintf(why, len, "cannot create directory %s: %s", dir, strerror(e));
        return -e;
    }
    *made = true;
    struct oa_fileattr a = *want;
    a.mode = mode;
    a.has_mode = true;
    return oa_fileattr_apply(dir, &a,
                             OA_FILEATTR_MODE | (a.has_uid ? OA_FILEATTR_OWNER : 0) |
                                 (a.has_gid ? OA_FILEATTR_GROUP : 0),
                             false, why, len);
}

int oa_fileattr_mkdirs(const char *path, mode_t mode, const struct oa_fileattr *want,
                       size_t *ret_created, char *why, size_t len)
{
    char buf[PATH_MAX];
    size_t n = strlen(path), created = 0;
    bool made;
    int r = 0;

    if (n == 0 || n >= sizeof(buf)) {
        snprintf(why, len, "cannot create directory %s: %s", path, strerror(ENAMETOOLONG));
        return -ENAMETOOLONG;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; r == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (p[-1] != '/') {
            r = make_one(buf, mode, want, &made, why, len);
            created += made;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    *ret_created = created;
    return r;
}

static int path_error(const char *what, const char *path, int err, char *why, size_t len)
{
    snprintf(why, len, "cannot %s %s: %s", what, path, strerror(err));
    return -err;
}

/* The next entry of a walk: 1 with *ret, 0 at the end, or a negative errno
 * with why (also for an entry that could not be read). */
static int walk_next(FTS *fts, const char *what, FTSENT **ret, char *why, size_t len)
{
    FTSENT *e;

    errno = 0;
    e = fts_read(fts);
    if (!e)
        return errno ? path_error(what, "the tree", errno, why, len) : 0;
    if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR || e->fts_info == FTS_NS)
        return path_error(what, e->fts_path, e->fts_errno ? e->fts_errno : EIO, why, len);
    *ret = e;
    return 1;
}

int oa_fileattr_apply_tree(const char *dir, const struct oa_fileattr *want, bool dry_run,
                           size_t *ret_count, unsigned *ret_diff, char *why, size_t len)
{
    char *argv[] = {(char *)dir, NULL};
    size_t count = 0;
    unsigned all = 0;
    FTSENT *e;
    FTS *fts;
    int r;

    fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW, NULL);
    if (!fts)
        return path_error("walk", dir, errno, why, len);
    while ((r = walk_next(fts, "read", &e, why, len)) > 0) {
        if (e->fts_level == FTS_ROOTLEVEL || (e->fts_info != FTS_D && e->fts_info != FTS_F))
            continue;
        unsigned d = oa_fileattr_diff(want, e->fts_statp);
        if (!d)
            continue;
        if (!dry_run && (r = oa_fileattr_apply(e->fts_path, want, d, false, why, len)) < 0)
            break;
        count++;
        all |= d;
    }
    fts_close(fts);
    *ret_count = count;
    *ret_diff = all;
    return r;
}

static bool is_root_dir(const struct stat *st)
{
    struct stat root;
    return stat("/", &root) == 0 && root.st_dev == st->st_dev && root.st_ino == st->st_ino;
}

static int remove_dir(const char *path, char *why, size_t len)
{
    char *argv[] = {(char *)path, NULL};
    FTSENT *e;
    FTS *fts;
    int r;

    /* FTS_XDEV: a file system mounted below path is not emptied; removing
     * its mount point then fails with "busy". */
    fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
    if (!fts)
        return path_error("remove", path, errno, why, len);
    while ((r = walk_next(fts, "remove", &e, why, len)) > 0) {
        /* walk_next sets e when it returns 1 (clang 14 takes -errno for
         * possibly positive). NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
        if (e->fts_info == FTS_D)
            continue;
        if ((e->fts_info == FTS_DP ? rmdir(e->fts_accpath) : unlink(e->fts_accpath)) < 0) {
            r = path_error("remove", e->fts_path, errno, why, len);
            break;
        }
    }
    fts_close(fts);
    return r;
}

int oa_fileattr_remove(const char *path, char *why, size_t len)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return path_error("remove", path, errno, why, len);
    if (S_ISDIR(st.st_mode) && is_root_dir(&st)) {
        snprintf(why, len, "refusing to remove the root directory (%s)", path);
        return -EPERM;
    }
    if (S_ISDIR(st.st_mode))
        return remove_dir(path, why, len);
    if (unlink(path) < 0)
        return path_error("remove", path, errno, why, len);
    return 0;
}
