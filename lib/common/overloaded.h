#pragma once
// The usual visitor helper for std::visit over several lambdas. The deduction guide is
// spelled out because clang 14 (used for the fuzz build) lacks aggregate CTAD.
namespace lvs {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace lvs
