# Find module for wslay (libwslay-dev). Debian ships a CMake package
# (wslay-config.cmake, target `wslay`) but no pkg-config file; use the package
# when present and fall back to a plain search. Defines Wslay::Wslay.
find_package(wslay CONFIG QUIET)
find_path(Wslay_INCLUDE_DIR NAMES wslay/wslay.h)
if(TARGET wslay)
    set(Wslay_LIBRARY wslay)
else()
    find_library(Wslay_LIBRARY NAMES wslay)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Wslay REQUIRED_VARS Wslay_INCLUDE_DIR Wslay_LIBRARY)

if(Wslay_FOUND AND NOT TARGET Wslay::Wslay)
    add_library(Wslay::Wslay INTERFACE IMPORTED)
    set_target_properties(Wslay::Wslay PROPERTIES
        INTERFACE_LINK_LIBRARIES "${Wslay_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${Wslay_INCLUDE_DIR}")
endif()
mark_as_advanced(Wslay_INCLUDE_DIR Wslay_LIBRARY)
