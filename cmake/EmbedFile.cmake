# Turns a file into a C++ source defining `std::string_view NAMESPACE::FUNCTION()` that
# returns the file's bytes, so a binary needs no path to find them at run time.
# Run as a script (cmake -P) at build time:
#   cmake -DINPUT=in.json -DOUTPUT=out.cpp -DNAMESPACE=lvs::model -DFUNCTION=builtin_schema_text -P EmbedFile.cmake
# Bytes are written as hex in an array (no escaping, no string-literal length limit).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# 16 bytes per line.
string(REGEX REPLACE "([0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])"
       "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(name "${INPUT}" NAME)
set(text "// Generated from ${name} by cmake/EmbedFile.cmake: do not edit.
#include <string_view>

namespace ${NAMESPACE} {
namespace {
// unsigned: bytes above 0x7f would be narrowing conversions for char.
const unsigned char kBytes[${size} + 1] = {
${bytes}0};
}  // namespace

std::string_view ${FUNCTION}() { return std::string_view(reinterpret_cast<const char*>(kBytes), ${size}); }

}  // namespace ${NAMESPACE}
")
# Rewrite only when the text changed, so an unchanged input recompiles nothing.
include("${CMAKE_CURRENT_LIST_DIR}/WriteIfChanged.cmake")
lvs_write_if_changed("${OUTPUT}" "${text}")
