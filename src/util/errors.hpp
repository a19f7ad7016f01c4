// progressd's own error codes for expected, per-request failures of the store layer. They travel
// as boost::system::error_code values and are turned into HTTP answers in http/response.cpp only.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>

namespace progressd {

enum class store_errc {
    not_found = 1,  ///< no such session, or it has expired
    unavailable,    ///< the backend cannot be reached or is shutting down
    timeout,        ///< the backend did not answer in time
    conflict,       ///< a conditional write found the session changed (nothing was written)
    storage_full,   ///< the disk (or a quota) is full; reads still work
    io_error,       ///< the backend failed in a way that is not the caller's fault
    log_full,       ///< the session's error log holds the most entries allowed (nothing written)
    log_too_large,  ///< the entry would take the error log past its byte quota (nothing written)
    unsupported,    ///< this backend cannot do that cheaply (e.g. count sessions on Redis)
};

const boost::system::error_category& store_category() noexcept;

inline boost::system::error_code make_error_code(store_errc e) noexcept {
    return {static_cast<int>(e), store_category()};
}

template <class T>
using result = boost::system::result<T>;

}  // namespace progressd

template <>
struct boost::system::is_error_code_enum<progressd::store_errc> : std::true_type {};
