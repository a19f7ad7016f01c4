#include "model/quotas.hpp"

#include "model/json_text.hpp"
#include "model/validation.hpp"

#include <gtest/gtest.h>

namespace progressd::model {
namespace {

progress valid_progress() {
    progress p;
    p.session_id = "s";
    p.current_action = "Installing Git";
    p.tool_status = {
        {"git", tool_status{tool_state::installing, std::optional<std::string>(), {}}}};
    p.timestamp = "2026-11-26T12:00:00.000Z";
    return p;
}

std::string issues_json(const issue_list& issues) {
    std::string out;
    append_issues_json(out, issues);
    return out;
}

TEST(quotas, a_progress_within_every_quota_has_no_issues) {
    EXPECT_TRUE(check_quotas(valid_progress(), quota_limits{}).empty());
}

TEST(quotas, a_long_current_action_reads_like_zods_string_max) {
    auto p = valid_progress();
    p.current_action.assign(2049, 'a');
    EXPECT_EQ(
        issues_json(check_quotas(p, quota_limits{})),
        R"([{"origin":"string","code":"too_big","maximum":2048,"inclusive":true,)"
        R"("path":["currentAction"],"message":"Too big: expected string to have <=2048 characters"}])");
    p.current_action.assign(2048, 'a');
    EXPECT_TRUE(check_quotas(p, quota_limits{}).empty());
}

TEST(quotas, lengths_count_utf16_code_units_as_javascript_does) {
    EXPECT_EQ(utf16_length("abc"), 3u);
    EXPECT_EQ(utf16_length("é"), 1u);             // two bytes, one unit
    EXPECT_EQ(utf16_length("\xE2\x82\xAC"), 1u);  // € three bytes, one unit
    EXPECT_EQ(utf16_length("😀"), 2u);             // four bytes, a surrogate pair
    auto p = valid_progress();
    // 1,000 euro signs are 3,000 bytes but 1,000 units: within 2,048.
    p.current_action.clear();
    for (int i = 0; i < 1000; ++i) p.current_action += "\xE2\x82\xAC";
    EXPECT_TRUE(check_quotas(p, quota_limits{}).empty());
    // 1,025 emoji are 2,050 units: over.
    p.current_action.clear();
    for (int i = 0; i < 1025; ++i) p.current_action += "😀";
    EXPECT_EQ(check_quotas(p, quota_limits{}).size(), 1u);
}

TEST(quotas, too_many_tools_steps_or_errors_are_reported_with_their_paths) {
    quota_limits limits;
    limits.max_tools = 2;
    limits.max_completed_steps = 3;
    limits.max_errors = 1;
    auto p = valid_progress();
    p.completed_steps = {1, 2, 3, 4};
    p.tool_status.push_back({"node", {}});
    p.tool_status.push_back({"python", {}});
    p.errors = {{"git", "boom", "retry"}, {"node", "boom", "retry"}};
    const auto json = issues_json(check_quotas(p, limits));
    EXPECT_EQ(json,
              R"([{"origin":"array","code":"too_big","maximum":3,"inclusive":true,)"
              R"("path":["completedSteps"],"message":"Too big: expected array to have <=3 items"},)"
              R"({"origin":"object","code":"too_big","maximum":2,"inclusive":true,)"
              R"("path":["toolStatus"],"message":"Too big: expected object to have <=2 keys"},)"
              R"({"origin":"array","code":"too_big","maximum":1,"inclusive":true,)"
              R"("path":["errors"],"message":"Too big: expected array to have <=1 items"}])");
}

TEST(quotas, nested_texts_are_checked_where_they_are) {
    quota_limits limits;
    auto p = valid_progress();
    p.tool_status[0].second.error = std::optional<std::string>(std::string(16385, 'x'));
    p.errors = {{"git", std::string(10, 'x'), std::string(16385, 'y')}};
    const auto issues = check_quotas(p, limits);
    ASSERT_EQ(issues.size(), 2u);
    EXPECT_EQ(issues[0].path,
              (std::vector<path_segment>{std::string("toolStatus"), std::string("git"),
                                         std::string("error")}));
    EXPECT_EQ(issues[1].path, (std::vector<path_segment>{std::string("errors"), std::size_t{0},
                                                         std::string("suggestedFix")}));
}

TEST(quotas, a_log_entry_has_its_own_text_quotas) {
    log_entry e{"git", std::string(16385, 'e'), "fix", "2026-11-26T12:00:00.000Z", 1};
    const auto issues = check_quotas(e, quota_limits{});
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].path, std::vector<path_segment>{std::string("error")});
    e.error = "short";
    EXPECT_TRUE(check_quotas(e, quota_limits{}).empty());
}

}  // namespace
}  // namespace progressd::model
