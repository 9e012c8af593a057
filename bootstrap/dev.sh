#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The two developer commands of the README, for a fresh Debian 12 machine:
#   bootstrap/dev.sh demo   install the build dependencies, build, and run
#                           `opsagent once` on the bundled example recipe
#   bootstrap/dev.sh test   install the test dependencies, build with
#                           AddressSanitizer + UndefinedBehaviorSanitizer, and
#                           run every test (this is what CI runs)
# Run as root, or as a user who may sudo (apt-get needs root).
set -eu
cd "$(dirname "$0")/.."

BUILD_DEPS="cmake ninja-build gcc pkg-config libuv1-dev libwslay-dev libyajl-dev
    libmbedtls-dev libinih-dev libhttp-parser-dev libsystemd-dev libcrypt-dev"
TEST_DEPS="$BUILD_DEPS clang clang-format clang-tidy cppcheck valgrind git libcmocka-dev python3
    python3-websockets openssl procps time util-linux systemd shellcheck
    cron tzdata passwd supervisor xfsprogs e2fsprogs unzip unrar-free python3-pip
    dpkg-dev rpm gpg mercurial subversion puppet lvm2 ruby virtualenv"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# install "PKG PKG…": installs the Debian packages that are missing.
install() {
    missing=""
    for p in $1; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
            missing="$missing $p"
    done
    [ -n "$missing" ] || return 0
    as_root apt-get update -q
    # shellcheck disable=SC2086 # the list is meant to split
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

demo() {
    install "$BUILD_DEPS"
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOPSAGENT_BUILD_TESTS=OFF
    cmake --build build
    ./build/opsagent once bootstrap/examples/hello.json
}

# Every libFuzzer target for 20 s, two at a time (a clang build with
# -DOPSAGENT_FUZZ=ON in build-fuzz; test/fuzz/run-all.sh through the fuzz-all
# target): a crash, a leak or a timeout fails the command.
fuzz_briefly() {
    # libFuzzer and clang's sanitizer runtimes; clang only recommends them.
    install "libclang-rt-14-dev"
    CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DOPSAGENT_FUZZ=ON -DOPSAGENT_FUZZ_SECONDS=20 -DOPSAGENT_FUZZ_JOBS=2 >/dev/null
    cmake --build build-fuzz --target fuzz-all
}

test_all() {
    install "$TEST_DEPS"
    # npm for the tests of common.npm.package: Debian's, unless the machine
    # already has one (a Node.js build that ships npm conflicts with it).
    command -v npm >/dev/null || install npm
    # Layout is checked, not just advised.
    # shellcheck disable=SC2046
    clang-format --dry-run -Werror $(git ls-files '*.c' '*.h' 2>/dev/null || find agent proto builtins test -name '*.[ch]')
    # Warnings are errors with both compilers, optimised (some warnings
    # only appear then).
    CC=gcc cmake -S . -B build-gcc -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build-gcc
    CC=clang cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
    cmake --build build-clang
    # clang-tidy and cppcheck on the whole tree (bootstrap/lint.sh).
    ./bootstrap/lint.sh build-clang
    # The tests themselves run on the sanitizer build.
    cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOPSAGENT_SANITIZE=ON
    cmake --build build-test
    cd build-test
    ctest --output-on-failure -j "$(nproc)"
    cd ..
    fuzz_briefly
}

case "${1:-}" in
demo) demo ;;
test) test_all ;;
*)
    echo "usage: $0 demo|test" >&2
    exit 64
    ;;
esac
