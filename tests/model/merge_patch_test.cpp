#include "model/merge_patch.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace progressd::model {
namespace {

std::string patched(std::string_view target, std::string_view patch) {
    auto value = boost::json::parse(target);
    apply_merge_patch(value, boost::json::parse(patch));
    return boost::json::serialize(value);
}

// The examples of RFC 7386, appendix A.
TEST(merge_patch_test, follows_the_rfc_examples) {
    EXPECT_EQ(patched(R"({"a":"b"})", R"({"a":"c"})"), R"({"a":"c"})");
    EXPECT_EQ(patched(R"({"a":"b"})", R"({"b":"c"})"), R"({"a":"b","b":"c"})");
    EXPECT_EQ(patched(R"({"a":"b"})", R"({"a":null})"), R"({})");
    EXPECT_EQ(patched(R"({"a":"b","b":"c"})", R"({"a":null})"), R"({"b":"c"})");
    EXPECT_EQ(patched(R"({"a":["b"]})", R"({"a":"c"})"), R"({"a":"c"})");
    EXPECT_EQ(patched(R"({"a":"c"})", R"({"a":["b"]})"), R"({"a":["b"]})");
    EXPECT_EQ(patched(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})"), R"({"a":{"b":"d"}})");
    EXPECT_EQ(patched(R"({"a":[{"b":"c"}]})", R"({"a":[1]})"), R"({"a":[1]})");
    EXPECT_EQ(patched(R"(["a","b"])", R"(["c","d"])"), R"(["c","d"])");
    EXPECT_EQ(patched(R"({"a":"b"})", R"(["c"])"), R"(["c"])");
    EXPECT_EQ(patched(R"({"a":"foo"})", "null"), "null");
    EXPECT_EQ(patched(R"({"a":"foo"})", R"("bar")"), R"("bar")");
    EXPECT_EQ(patched(R"({"e":null})", R"({"a":1})"), R"({"e":null,"a":1})");
    EXPECT_EQ(patched(R"([1,2])", R"({"a":"b","c":null})"), R"({"a":"b"})");
    EXPECT_EQ(patched(R"({})", R"({"a":{"bb":{"ccc":null}}})"), R"({"a":{"bb":{}}})");
}

TEST(merge_patch_test, deleting_a_member_keeps_the_order_of_the_others) {
    EXPECT_EQ(patched(R"({"toolStatus":{"git":1,"node":2,"python":3,"docker":4}})",
                      R"({"toolStatus":{"git":null}})"),
              R"({"toolStatus":{"node":2,"python":3,"docker":4}})");
    EXPECT_EQ(patched(R"({"a":1,"b":2,"c":3})", R"({"b":null,"d":4})"), R"({"a":1,"c":3,"d":4})");
}

TEST(merge_patch_test, defaults_describe_a_session_nobody_has_written) {
    EXPECT_EQ(boost::json::serialize(default_progress("s", "2026-11-26T12:00:00.000Z")),
              R"({"sessionId":"s","currentStep":0E0,"completedSteps":[],"currentAction":"",)"
              R"("toolStatus":{},"errors":[],"timestamp":"2026-11-26T12:00:00.000Z",)"
              R"("phase":"phase1","complete":false})");
}

}  // namespace
}  // namespace progressd::model
