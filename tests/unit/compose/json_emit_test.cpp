#include "compose/json_emit.h"

#include <gtest/gtest.h>

#include "tests/unit/compose/node_builders.h"

// Expected texts match Go's encoding/json (json.MarshalIndent(v, "", "  ") and
// json.Marshal) for the same values.

namespace stack::compose {
namespace {

using node_builders::map_of;
using node_builders::raw;
using node_builders::seq_of;
using node_builders::str;

TEST(JsonEmit, IndentsTwoSpacesWithoutTrailingNewline) {
  Node doc = map_of({{"name", str("demo")},
                     {"services", map_of({{"web", map_of({{"image", str("nginx")},
                                                          {"ports", seq_of({map_of({{"target", raw("80")},
                                                                                    {"published", str("8080")}})})},
                                                          {"labels", Node::mapping()},
                                                          {"dns", Node::sequence()},
                                                          {"tty", raw("true")},
                                                          {"command", Node::null()}})}})}});
  EXPECT_EQ(emit_json(doc),
            "{\n"
            "  \"name\": \"demo\",\n"
            "  \"services\": {\n"
            "    \"web\": {\n"
            "      \"image\": \"nginx\",\n"
            "      \"ports\": [\n"
            "        {\n"
            "          \"target\": 80,\n"
            "          \"published\": \"8080\"\n"
            "        }\n"
            "      ],\n"
            "      \"labels\": {},\n"
            "      \"dns\": [],\n"
            "      \"tty\": true,\n"
            "      \"command\": null\n"
            "    }\n"
            "  }\n"
            "}");
}

TEST(JsonEmit, CompactHasNoWhitespace) {
  Node doc = map_of({{"a", seq_of({raw("1"), str("x y"), Node::mapping()})}, {"b", Node::null()}});
  EXPECT_EQ(emit_json_compact(doc), "{\"a\":[1,\"x y\",{}],\"b\":null}");
}

struct ScalarCase {
  Node node;
  std::string json;
};

class JsonEmitScalar : public testing::TestWithParam<ScalarCase> {};

TEST_P(JsonEmitScalar, Encodes) { EXPECT_EQ(emit_json(GetParam().node), GetParam().json); }

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonEmitScalar,
    testing::Values(
        // Quoted scalars are strings whatever they look like.
        ScalarCase{str("80"), "\"80\""}, ScalarCase{str("true"), "\"true\""}, ScalarCase{str(""), "\"\""},
        ScalarCase{str("null"), "\"null\""},
        // Unquoted: numbers, bools and null by YAML's rules; anything else a string.
        ScalarCase{raw("80"), "80"}, ScalarCase{raw("-1.5e3"), "-1.5e3"}, ScalarCase{raw("True"), "true"},
        ScalarCase{raw("FALSE"), "false"}, ScalarCase{raw("~"), "null"}, ScalarCase{Node::null(), "null"},
        ScalarCase{raw("yes"), "\"yes\""}, ScalarCase{raw("2024-01-15"), "\"2024-01-15\""},
        ScalarCase{raw(""), "\"\""},
        // YAML number forms that are not JSON are normalized.
        ScalarCase{raw("0x1F"), "31"}, ScalarCase{raw("0o17"), "15"}, ScalarCase{raw("017"), "15"},
        ScalarCase{raw("0b101"), "5"}, ScalarCase{raw("1_000"), "1000"}, ScalarCase{raw("+5"), "5"},
        ScalarCase{raw("-0x10"), "-16"}, ScalarCase{raw(".5"), "0.5"}, ScalarCase{raw("1."), "1"},
        ScalarCase{raw("+1.25"), "1.25"}, ScalarCase{raw("09"), "9"},
        ScalarCase{raw("18446744073709551615"), "18446744073709551615"},
        // Escapes as Go writes them, HTML-safe by default.
        ScalarCase{str("a\"b\\c"), "\"a\\\"b\\\\c\""}, ScalarCase{str("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\""},
        ScalarCase{str("\b\f"), "\"\\b\\f\""}, ScalarCase{str(std::string("\0\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\""},
        ScalarCase{str("<a&b>"), "\"\\u003ca\\u0026b\\u003e\""}, ScalarCase{str("\x7f"), "\"\x7f\""},
        ScalarCase{str("\xc3\xa9\xf0\x9f\x98\x80"), "\"\xc3\xa9\xf0\x9f\x98\x80\""},
        ScalarCase{str("a\xe2\x80\xa8" "b\xe2\x80\xa9"), "\"a\\u2028b\\u2029\""},
        ScalarCase{str("a\xff" "b\xc3"), "\"a\\ufffdb\\ufffd\""},
        ScalarCase{str("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""}));  // a surrogate is invalid UTF-8

TEST(JsonEmit, KeysAreEscapedAndKeepTheirOrder) {
  Node doc = map_of({{"z", raw("1")}, {"a<b", raw("2")}, {"", raw("3")}});
  EXPECT_EQ(emit_json_compact(doc), "{\"z\":1,\"a\\u003cb\":2,\"\":3}");
}

TEST(JsonEmit, NestedSequences) {
  Node doc = seq_of({seq_of({str("a")}), seq_of({}), Node::null()});
  EXPECT_EQ(emit_json(doc), "[\n  [\n    \"a\"\n  ],\n  [],\n  null\n]");
}

}  // namespace
}  // namespace stack::compose
