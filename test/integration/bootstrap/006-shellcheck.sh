#!/bin/bash
# The install scripts and these tests are shellcheck-clean (cloud-init.sh,
# install.sh, uninstall.sh and bundle.sh as POSIX sh).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

command -v shellcheck >/dev/null || {
    echo "SKIP: shellcheck is missing (Debian package shellcheck)"
    exit 77
}
cd "$OA_SOURCE_DIR" || exit 1
for f in bootstrap/cloud-init.sh bootstrap/install.sh bootstrap/uninstall.sh bootstrap/bundle.sh; do
    head -n 1 "$f" | grep -qx '#!/bin/sh' || fail "$f does not start with #!/bin/sh"
done
# lib.sh is not followed (-e SC1091): its findings belong to its own owners.
shellcheck -e SC1091 bootstrap/cloud-init.sh bootstrap/install.sh bootstrap/uninstall.sh bootstrap/bundle.sh test/integration/bootstrap/*.sh test/integration/lib-bootstrap.sh >"$T/out" 2>&1 ||
    fail "shellcheck"
