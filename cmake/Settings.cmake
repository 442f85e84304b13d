# Flags for our own targets only: third-party code never sees them.
add_library(qgate_settings INTERFACE)
target_compile_features(qgate_settings INTERFACE cxx_std_20)
if(QGATE_SANITIZE)
  target_compile_options(qgate_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(qgate_settings INTERFACE -fsanitize=address,undefined)
endif()

add_library(qgate_warnings INTERFACE)
target_compile_options(qgate_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wformat=2)
if(QGATE_WERROR)
  target_compile_options(qgate_warnings INTERFACE -Werror)
endif()
