# Kernel tier: tests that run inside a QEMU VM booted from Debian's kernel (real IPVS),
# through tests/vm/vm-run. Include this file from any CMakeLists that registers one.
include_guard(GLOBAL)

set(LVS_VM_RUN ${PROJECT_SOURCE_DIR}/tests/vm/vm-run)

# lvs_add_kernel_test(NAME COMMAND cmd args... [TIMEOUT s] [LABELS l...] [ENVIRONMENT k=v...]
#                     [VM_OPTIONS --mem MB --smp N ...])
#   Registers a CTest test running `vm-run --timeout s -- cmd args...` in the VM, with
#   label `kernel` (or LABELS instead), serialised (each VM takes a core), and a CTest
#   timeout above the VM's so that the harness reports the hang itself. COMMAND may use
#   generator expressions such as $<TARGET_FILE:x>; the VM sees the host's build tree
#   at the same path, and the command runs in this test's binary dir. Variables named
#   LVS_* in ENVIRONMENT reach the command inside the VM.
function(lvs_add_kernel_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "COMMAND;LABELS;ENVIRONMENT;VM_OPTIONS" ${ARGN})
  if(NOT T_COMMAND)
    message(FATAL_ERROR "lvs_add_kernel_test(${name}): COMMAND is required")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS kernel)
  endif()
  # Room for the one-time kernel/initramfs cache build on a fresh machine.
  math(EXPR ctest_timeout "${T_TIMEOUT} + 180")
  # include_guard(GLOBAL) skips the set() above when another directory (tests/netns)
  # included this file first, so the variable may be unset in the caller's scope.
  if(NOT LVS_VM_RUN)
    set(LVS_VM_RUN ${PROJECT_SOURCE_DIR}/tests/vm/vm-run)
  endif()
  add_test(NAME ${name}
    COMMAND ${LVS_VM_RUN} --timeout ${T_TIMEOUT} ${T_VM_OPTIONS} -- ${T_COMMAND}
    WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES
    LABELS "${T_LABELS}"
    RUN_SERIAL TRUE
    TIMEOUT ${ctest_timeout}
    ENVIRONMENT "LVS_SOURCE_DIR=${PROJECT_SOURCE_DIR};LVS_BINARY_DIR=${PROJECT_BINARY_DIR};${T_ENVIRONMENT}")
endfunction()
