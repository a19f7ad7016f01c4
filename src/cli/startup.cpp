#include "cli/startup.hpp"

#include <filesystem>
#include <stdexcept>

namespace progressd::cli {

std::string describe_store(const store::store_spec& spec) {
    using kind = store::store_spec::kind;
    switch (spec.backend) {
        case kind::memory:
            return "memory:";
        case kind::sqlite:
            return "sqlite:" + spec.location;
        case kind::kv_rest:
            return "kv-rest:" + store::redact_password(spec.location);
        case kind::redis:
            break;
    }
    return store::redact_password(spec.location);
}

void check_sqlite_directory(const store::store_spec& spec) {
    if (spec.backend != store::store_spec::kind::sqlite) return;
    const auto directory = std::filesystem::path(spec.location).parent_path();
    if (directory.empty() || directory.lexically_normal() == "data") return;
    std::error_code ec;
    if (std::filesystem::exists(directory, ec) || ec) return;  // other errors: SQLite says why
    throw std::runtime_error("cannot open database " + spec.location + ": the directory " +
                             directory.string() + " does not exist (create it first)");
}

std::optional<std::string> connection_limit_warning(std::size_t granted, std::size_t asked,
                                                    bool given, std::uint64_t open_file_limit) {
    if (!given || granted >= asked) return std::nullopt;
    return "--max-connections " + std::to_string(asked) + " is more than the open-file limit (" +
           std::to_string(open_file_limit) + ") allows: serving at most " +
           std::to_string(granted) + "; raise the limit (ulimit -n, LimitNOFILE=) to serve more";
}

}  // namespace progressd::cli
