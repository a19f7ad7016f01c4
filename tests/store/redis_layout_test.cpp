// The key layout shared by the Redis and REST stores keeps every session's keys apart, given the
// session id rule (model/session_id): the proof in docs/storage.md, checked mechanically.
#include "store/redis_layout.hpp"

#include "model/session_id.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace progressd::store::redis_layout {
namespace {

bool reserved(std::string_view suffix) {
    const auto& all = model::reserved_session_id_suffixes;
    return std::find(all.begin(), all.end(), suffix) != all.end();
}

std::vector<std::string> keys_of(std::string_view id) {
    return {progress_key(id), log_key(id), version_key(id), log_meta_key(id), write_key_key(id)};
}

TEST(redis_layout_test, every_key_of_a_session_is_built_from_a_reserved_suffix) {
    // A suffix added to the layout without reserving it fails here.
    EXPECT_EQ(session_key_suffixes[0], "");
    for (std::size_t i = 1; i < session_key_suffixes.size(); ++i) {
        EXPECT_TRUE(reserved(session_key_suffixes[i])) << session_key_suffixes[i];
    }
    // Each key function uses one entry of the table, and together they use all of it.
    std::set<std::string_view> used;
    for (const auto& key : keys_of("s")) {
        const auto suffix = std::string_view(key).substr(std::string_view("progress:s").size());
        ASSERT_TRUE(key.starts_with("progress:s")) << key;
        EXPECT_NE(std::find(session_key_suffixes.begin(), session_key_suffixes.end(), suffix),
                  session_key_suffixes.end())
            << key;
        used.insert(suffix);
    }
    EXPECT_EQ(used.size(), session_key_suffixes.size());
    EXPECT_EQ(log_meta_key("a"), "progress:a:log:meta");
}

// The condition the proof needs: whenever one key suffix s1 ends another, s2 = t + s1 with t
// non-empty, t itself ends with a reserved suffix (so an id X = Y + t is refused). With s1 empty
// that is "every suffix is reserved"; ":log" is a prefix of ":log:meta", not a suffix, so it is
// no such pair.
TEST(redis_layout_test, the_suffix_set_is_closed_as_the_proof_needs) {
    for (const auto s1 : session_key_suffixes) {
        for (const auto s2 : session_key_suffixes) {
            if (s2.size() <= s1.size() || !s2.ends_with(s1)) continue;
            const auto t = s2.substr(0, s2.size() - s1.size());
            const auto& all = model::reserved_session_id_suffixes;
            EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                                    [t](std::string_view r) { return t.ends_with(r); }))
                << "'" << s2 << "' = '" << t << "' + '" << s1 << "'";
        }
    }
}

// Every id made of up to four pieces that could combine into another session's key name:
// the accepted ones never share a key.
TEST(redis_layout_test, no_two_accepted_ids_share_a_key) {
    const std::vector<std::string> pieces = {"a",        ":",         "log",  ":log",
                                             ":meta",    ":log:meta", ":key", "key",
                                             ":version", "version",   "meta"};
    std::set<std::string> ids = {""};
    for (int length = 0; length < 4; ++length) {
        std::set<std::string> longer;
        for (const auto& id : ids) {
            for (const auto& piece : pieces) longer.insert(id + piece);
        }
        ids.insert(longer.begin(), longer.end());
    }
    std::map<std::string, std::string> owner;  // key → the id it belongs to
    std::size_t accepted = 0;
    for (const auto& id : ids) {
        if (model::session_id_problem(id)) continue;
        ++accepted;
        for (const auto& key : keys_of(id)) {
            const auto [it, fresh] = owner.emplace(key, id);
            EXPECT_TRUE(fresh) << key << " belongs to '" << it->second << "' and '" << id << "'";
        }
    }
    EXPECT_GT(accepted, 1000u);
}

TEST(redis_layout_test, only_progress_keys_are_listed_and_every_accepted_id_is) {
    EXPECT_EQ(session_of_progress_key("progress:a"), "a");
    EXPECT_EQ(session_of_progress_key("progress:a:logs"), "a:logs");
    for (const auto suffix : model::reserved_session_id_suffixes) {
        EXPECT_FALSE(session_of_progress_key("progress:a" + std::string(suffix))) << suffix;
    }
    EXPECT_FALSE(session_of_progress_key("progress:"));
    EXPECT_FALSE(session_of_progress_key("other:a"));
}

}  // namespace
}  // namespace progressd::store::redis_layout
