#include "http/cors.hpp"

#include <algorithm>

namespace progressd::http {

cors_policy::cors_policy(std::vector<std::string> origins) : origins_(std::move(origins)) {
    any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
    // Browsers send an origin without a trailing slash; accept one in the configuration anyway.
    for (auto& origin : origins_) {
        while (origin.size() > 1 && origin.back() == '/') origin.pop_back();
    }
}

std::string_view cors_policy::allow_origin(std::string_view origin) const {
    if (any_) return "*";
    if (origin.empty()) return {};
    const auto it = std::find(origins_.begin(), origins_.end(), origin);
    return it == origins_.end() ? std::string_view() : std::string_view(*it);
}

}  // namespace progressd::http
