// Precompiled header for progressd_core: the heavy third-party headers only, never our own,
// so that editing a project header does not invalidate it.
#pragma once

#include <spdlog/spdlog.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url.hpp>

#include <string>
#include <string_view>
#include <vector>
