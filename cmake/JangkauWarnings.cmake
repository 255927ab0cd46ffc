include_guard(GLOBAL)
# Warnings and floating-point settings shared by every jangkau target.
# -ffp-contract=off keeps results bit-identical across compilers and -O levels (no FMA fusion).
add_library(jangkau_options INTERFACE)
add_library(jangkau::options ALIAS jangkau_options)
target_compile_features(jangkau_options INTERFACE cxx_std_20)
target_compile_options(jangkau_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-missing-field-initializers -ffp-contract=off>
  $<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<BOOL:${JANGKAU_WERROR}>>:-Werror>)
if(JANGKAU_SANITIZE)
  target_compile_options(jangkau_options INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(jangkau_options INTERFACE -fsanitize=address,undefined)
endif()
