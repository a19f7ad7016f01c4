// The files of web/ (the dashboard and the start page), compiled into the binary by
// cmake/embed_assets.cmake. Only these names are ever served: no request path reaches the
// filesystem.
#pragma once

#include <span>
#include <string_view>

namespace progressd::web {

/// One embedded file. All three views point into static storage and live as long as the program.
struct asset {
    std::string_view path;          ///< the file name in web/, e.g. "dashboard.js"
    std::string_view content_type;  ///< e.g. "text/javascript; charset=utf-8"
    std::string_view body;          ///< the file's bytes, exactly
};

/// The asset named `path` (a plain file name, no directory), or nullptr when there is none.
/// Example: find_asset("dashboard.css")->content_type == "text/css; charset=utf-8".
const asset* find_asset(std::string_view path);

/// Every embedded asset, in the order CMakeLists.txt lists them.
std::span<const asset> all_assets();

}  // namespace progressd::web
