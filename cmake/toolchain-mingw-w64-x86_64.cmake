# Cross-compiles zaio for 64-bit Windows with mingw-w64 (Debian's gcc-mingw-w64-x86-64)
# and runs what ctest starts under wine, through cmake/wine-run.sh:
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64-x86_64.cmake
# tools/test-windows.sh does the whole Windows part.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(ZAIO_MINGW_TRIPLE x86_64-w64-mingw32)

# the win32-threads flavour: the posix one would pull in libwinpthread for nothing
find_program(CMAKE_C_COMPILER NAMES ${ZAIO_MINGW_TRIPLE}-gcc-win32 ${ZAIO_MINGW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${ZAIO_MINGW_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${ZAIO_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# Static C runtime helpers: the .exe needs no mingw DLL beside it, so wine (and a
# Windows machine) runs it from the build directory as it is.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")

# Each .exe runs as `wine-run.sh <prefix> prog.exe args`; the prefix lives in the build
# directory, so a fresh clone needs no ~/.wine and two builds never share one.
set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/wine-run.sh;${CMAKE_BINARY_DIR}/wineprefix")
set(ZAIO_WINDOWS_TOOLCHAIN "${CMAKE_CURRENT_LIST_FILE}") # for builds the tests make themselves
