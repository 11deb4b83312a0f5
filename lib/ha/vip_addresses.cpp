#include "ha/vip_addresses.h"

#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <linux/if_addr.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/socket.h>

namespace lvs::ha {
namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct AddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

std::string describe(const VipAddress& vip) { return vip.address.to_string() + " on " + vip.interface; }

// libnl returns its own negative codes; map the ones that matter back to errno.
int errno_of(int nl_error) {
  switch (-nl_error) {
    case NLE_EXIST: return EEXIST;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_PERM: return EPERM;
    case NLE_NODEV: return ENODEV;
    case NLE_INVAL: return EINVAL;
    case NLE_NOMEM: return ENOMEM;
    case NLE_AGAIN: return EAGAIN;
    default: return EIO;
  }
}

}  // namespace

struct RtnlAddresses::Impl {
  std::unique_ptr<nl_sock, SockDeleter> sock;

  Result<std::unique_ptr<rtnl_addr, AddrDeleter>> build(const VipAddress& vip) {
    const unsigned ifindex = ::if_nametoindex(vip.interface.c_str());
    if (ifindex == 0) return make_error(errno, "no interface for VIP " + describe(vip));
    std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
    const auto& a = vip.address.address;
    std::unique_ptr<nl_addr, NlAddrDeleter> local(
        nl_addr_build(a.af(), a.bytes.data(), a.is_v6() ? 16 : 4));
    if (!addr || !local) return make_error(ENOMEM, "cannot build the address message for VIP " + describe(vip));
    nl_addr_set_prefixlen(local.get(), vip.address.prefix);
    rtnl_addr_set_ifindex(addr.get(), static_cast<int>(ifindex));
    rtnl_addr_set_family(addr.get(), a.af());
    if (rtnl_addr_set_local(addr.get(), local.get()) < 0)
      return make_error(EINVAL, "cannot set the address of VIP " + describe(vip));
    rtnl_addr_set_prefixlen(addr.get(), vip.address.prefix);
    if (a.is_v6()) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    return addr;
  }
};

RtnlAddresses::RtnlAddresses(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RtnlAddresses::~RtnlAddresses() = default;

Result<std::unique_ptr<RtnlAddresses>> RtnlAddresses::open() {
  auto impl = std::make_unique<Impl>();
  impl->sock.reset(nl_socket_alloc());
  if (!impl->sock) return make_error(ENOMEM, "cannot allocate an rtnetlink socket for the VIPs");
  if (int rc = nl_connect(impl->sock.get(), NETLINK_ROUTE); rc < 0)
    return make_error(errno_of(rc), std::string("cannot open rtnetlink for the VIPs: ") + nl_geterror(rc));
  return std::unique_ptr<RtnlAddresses>(new RtnlAddresses(std::move(impl)));
}

Status RtnlAddresses::add(const VipAddress& vip) {
  auto addr = impl_->build(vip);
  if (!addr) return addr.error();
  const int rc = rtnl_addr_add(impl_->sock.get(), addr->get(), NLM_F_REPLACE);
  if (rc < 0 && -rc != NLE_EXIST)
    return make_error(errno_of(rc), "cannot add VIP " + describe(vip) + " (" + nl_geterror(rc) + ")");
  return ok();
}

Status RtnlAddresses::remove(const VipAddress& vip) {
  auto addr = impl_->build(vip);
  if (!addr) return addr.error();
  const int rc = rtnl_addr_delete(impl_->sock.get(), addr->get(), 0);
  if (rc < 0 && -rc != NLE_NOADDR && -rc != NLE_OBJ_NOTFOUND)
    return make_error(errno_of(rc), "cannot remove VIP " + describe(vip) + " (" + nl_geterror(rc) + ")");
  return ok();
}

Result<bool> RtnlAddresses::present(const VipAddress& vip) {
  const unsigned ifindex = ::if_nametoindex(vip.interface.c_str());
  if (ifindex == 0) return make_error(errno, "no interface for VIP " + describe(vip));
  nl_cache* raw = nullptr;
  if (int rc = rtnl_addr_alloc_cache(impl_->sock.get(), &raw); rc < 0)
    return make_error(errno_of(rc), std::string("cannot list this host's addresses: ") + nl_geterror(rc));
  std::unique_ptr<nl_cache, CacheDeleter> cache(raw);
  const auto& want = vip.address.address;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != static_cast<int>(ifindex) || rtnl_addr_get_family(a) != want.af()) continue;
    nl_addr* local = rtnl_addr_get_local(a);
    if (!local || nl_addr_get_len(local) != (want.is_v6() ? 16u : 4u)) continue;
    if (std::equal(want.bytes.begin(), want.bytes.begin() + nl_addr_get_len(local),
                   static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(local))))
      return true;
  }
  return false;
}

Status FakeAddresses::add(const VipAddress& vip) {
  if (fail_next) return make_error(std::exchange(fail_next, 0), "cannot add VIP " + describe(vip));
  ++writes;
  for (const auto& v : configured)
    if (v.interface == vip.interface && v.address.address == vip.address.address) return ok();
  configured.push_back(vip);
  return ok();
}

Status FakeAddresses::remove(const VipAddress& vip) {
  if (fail_next) return make_error(std::exchange(fail_next, 0), "cannot remove VIP " + describe(vip));
  ++writes;
  std::erase_if(configured, [&](const VipAddress& v) {
    return v.interface == vip.interface && v.address.address == vip.address.address;
  });
  return ok();
}

Result<bool> FakeAddresses::present(const VipAddress& vip) {
  if (fail_next) return make_error(std::exchange(fail_next, 0), "cannot list addresses for VIP " + describe(vip));
  for (const auto& v : configured)
    if (v.interface == vip.interface && v.address.address == vip.address.address) return true;
  return false;
}

}  // namespace lvs::ha
