# Sanitizer and fuzzing flags, set in one place with add_compile_options /
# add_link_options (never by editing flag strings).
if(OPSAGENT_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                        -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
endif()

if(OPSAGENT_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "OPSAGENT_FUZZ needs clang (libFuzzer): configure with CC=clang")
    endif()
    # Every object is instrumented for coverage; only the fuzz executables link
    # libFuzzer's main (see test/fuzz/CMakeLists.txt).
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                        -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
endif()
