// `.env` files as Next.js and `vercel env pull` write them: KEY=value lines, `#` comments,
// optional `export `, single- or double-quoted values (double quotes understand \n).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace progressd::cli {

using env_entries = std::vector<std::pair<std::string, std::string>>;

/// The assignments in `text`, in file order; malformed lines are skipped.
/// Example: parse_dotenv("PORT=4000\n# c\nexport HOST=\"0.0.0.0\"\n") →
///   {{"PORT","4000"},{"HOST","0.0.0.0"}}
env_entries parse_dotenv(std::string_view text);

}  // namespace progressd::cli
