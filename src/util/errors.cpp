#include "util/errors.hpp"

#include <string>

namespace progressd {
namespace {

class store_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "progressd.store"; }

    std::string message(int ev) const override {
        switch (static_cast<store_errc>(ev)) {
            case store_errc::not_found:
                return "not found";
            case store_errc::unavailable:
                return "cannot connect to the store";
            case store_errc::timeout:
                return "store timeout";
            case store_errc::conflict:
                return "the session changed meanwhile";
            case store_errc::storage_full:
                return "storage full";
            case store_errc::io_error:
                return "store I/O error";
            case store_errc::log_full:
                return "error log full";
            case store_errc::log_too_large:
                return "error log too large";
            case store_errc::unsupported:
                return "not supported by this store";
        }
        return "unknown store error";
    }
};

}  // namespace

const boost::system::error_category& store_category() noexcept {
    static const store_category_impl instance;
    return instance;
}

}  // namespace progressd
