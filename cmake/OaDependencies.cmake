# Finds every library the project needs from Debian's packages. A missing one
# stops the configure step with the name of the package to install.
find_package(PkgConfig)

function(oa_missing what debpkg)
    message(FATAL_ERROR "${what} not found: install the Debian package with\n"
                        "  apt-get install -y ${debpkg}")
endfunction()

if(NOT PKG_CONFIG_FOUND)
    oa_missing("pkg-config" "pkg-config")
endif()

# oa_pkg(<prefix> <pkg-config name> <Debian package>) defines PkgConfig::<prefix>.
macro(oa_pkg prefix pcname debpkg)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${pcname})
    if(NOT ${prefix}_FOUND)
        oa_missing("${pcname} (pkg-config)" "${debpkg}")
    endif()
endmacro()

oa_pkg(LIBUV libuv libuv1-dev)
oa_pkg(YAJL yajl libyajl-dev)
oa_pkg(INIH inih libinih-dev)
oa_pkg(SYSTEMD libsystemd libsystemd-dev)
# crypt(3) for linux.user passwords given in clear (SHA-512 crypt hashes).
oa_pkg(LIBCRYPT libcrypt libcrypt-dev)

find_package(Wslay)
if(NOT Wslay_FOUND)
    oa_missing("wslay" "libwslay-dev")
endif()
find_package(MbedTLS)
if(NOT MbedTLS_FOUND)
    oa_missing("mbedTLS" "libmbedtls-dev")
endif()
find_package(HttpParser)
if(NOT HttpParser_FOUND)
    oa_missing("http-parser" "libhttp-parser-dev")
endif()

if(OPSAGENT_BUILD_TESTS)
    oa_pkg(CMOCKA cmocka libcmocka-dev)
endif()
