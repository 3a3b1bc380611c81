#include "compose/yaml_emit.h"

#include <gtest/gtest.h>

#include "tests/unit/compose/node_builders.h"

#include <algorithm>
#include <vector>

#include "compose/yaml_load.h"

// Every expected text here was produced by Go's gopkg.in/yaml.v3 (Encoder with
// SetIndent(2)) for the same value, and cross-checked by a differential run
// over a few thousand random strings and trees.

namespace stack::compose {
namespace {

using node_builders::map_of;
using node_builders::raw;
using node_builders::seq_of;
using node_builders::str;

struct QuotingCase {
  std::string value;
  std::string yaml;
};

class YamlEmitQuoting : public testing::TestWithParam<QuotingCase> {};

TEST_P(YamlEmitQuoting, StringValueInMapping) {
  EXPECT_EQ(emit_yaml(map_of({{"k", str(GetParam().value)}})), GetParam().yaml);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, YamlEmitQuoting,
    testing::Values(
        QuotingCase{"plain", "k: plain\n"},
        // Strings that would read back as another type are double-quoted.
        QuotingCase{"", "k: \"\"\n"}, QuotingCase{"8080", "k: \"8080\"\n"}, QuotingCase{"1.5", "k: \"1.5\"\n"},
        QuotingCase{"0x1F", "k: \"0x1F\"\n"}, QuotingCase{"1_000", "k: \"1_000\"\n"},
        QuotingCase{"true", "k: \"true\"\n"}, QuotingCase{"True", "k: \"True\"\n"},
        QuotingCase{"null", "k: \"null\"\n"}, QuotingCase{"~", "k: \"~\"\n"},
        QuotingCase{"2024-01-15", "k: \"2024-01-15\"\n"},
        // YAML 1.1 booleans and base-60 numbers too.
        QuotingCase{"yes", "k: \"yes\"\n"}, QuotingCase{"no", "k: \"no\"\n"}, QuotingCase{"on", "k: \"on\"\n"},
        QuotingCase{"off", "k: \"off\"\n"}, QuotingCase{"y", "k: \"y\"\n"}, QuotingCase{"N", "k: \"N\"\n"},
        QuotingCase{"1:30", "k: \"1:30\"\n"},
        // Plain is not allowed: single quotes (quotes doubled inside).
        QuotingCase{" ", "k: ' '\n"}, QuotingCase{" lead", "k: ' lead'\n"}, QuotingCase{"trail ", "k: 'trail '\n"},
        QuotingCase{"a: b", "k: 'a: b'\n"}, QuotingCase{"a #b", "k: 'a #b'\n"}, QuotingCase{"#a", "k: '#a'\n"},
        QuotingCase{"- a", "k: '- a'\n"}, QuotingCase{"? a", "k: '? a'\n"}, QuotingCase{"[a", "k: '[a'\n"},
        QuotingCase{"{a", "k: '{a'\n"}, QuotingCase{"*a", "k: '*a'\n"}, QuotingCase{"&a", "k: '&a'\n"},
        QuotingCase{"!a", "k: '!a'\n"}, QuotingCase{"|a", "k: '|a'\n"}, QuotingCase{">a", "k: '>a'\n"},
        QuotingCase{"'a", "k: '''a'\n"}, QuotingCase{"\"a", "k: '\"a'\n"}, QuotingCase{"%a", "k: '%a'\n"},
        QuotingCase{"@a", "k: '@a'\n"}, QuotingCase{"`a", "k: '`a'\n"}, QuotingCase{"---", "k: '---'\n"},
        // Indicators that are harmless where they are stay plain.
        QuotingCase{"a:b", "k: a:b\n"}, QuotingCase{"a#b", "k: a#b\n"}, QuotingCase{"-a", "k: -a\n"},
        QuotingCase{":a", "k: :a\n"}, QuotingCase{"it's", "k: it's\n"}, QuotingCase{"<a&b>", "k: <a&b>\n"},
        QuotingCase{"c:\\dir", "k: c:\\dir\n"}, QuotingCase{"say \"hi\"", "k: say \"hi\"\n"},
        QuotingCase{"${VAR}", "k: ${VAR}\n"}, QuotingCase{"\xc3\xa9", "k: \xc3\xa9\n"},
        QuotingCase{"a\xc2\xa0" "b", "k: a\xc2\xa0" "b\n"},
        // Tabs and non-printable characters: double quotes with escapes.
        QuotingCase{"a\tb", "k: \"a\\tb\"\n"}, QuotingCase{std::string("a\0b", 3), "k: \"a\\0b\"\n"},
        QuotingCase{"a\x1b" "b", "k: \"a\\eb\"\n"}, QuotingCase{"a\x7f" "b", "k: \"a\\x7Fb\"\n"},
        QuotingCase{"a\xc2\x85" "b", "k: \"a\\Nb\"\n"},
        QuotingCase{"\xf0\x9f\x98\x80", "k: \"\\U0001F600\"\n"},  // yaml.v3 treats 4-byte UTF-8 as unprintable
        QuotingCase{"line1\r\nline2", "k: \"line1\\r\\nline2\"\n"},
        // A U+2028 line separator is a break: written raw in single quotes.
        QuotingCase{"a\xe2\x80\xa8" "b", "k: 'a\xe2\x80\xa8  b'\n"},
        // Multi-line strings: literal blocks with chomping and indentation indicators.
        QuotingCase{"a\nb", "k: |-\n  a\n  b\n"}, QuotingCase{"a\nb\n", "k: |\n  a\n  b\n"},
        QuotingCase{"a\nb\n\n", "k: |+\n  a\n  b\n\n"}, QuotingCase{" a\nb", "k: |2-\n   a\n  b\n"},
        QuotingCase{"a\n b", "k: |-\n  a\n   b\n"}, QuotingCase{"a\n\nb", "k: |-\n  a\n\n  b\n"},
        QuotingCase{"\n", "k: |2+\n"},
        // ... unless a line ends in a space: then double quotes.
        QuotingCase{"a \nb", "k: \"a \\nb\"\n"}, QuotingCase{"a\nb ", "k: \"a\\nb \"\n"}));

TEST(YamlEmit, UnquotedScalarsKeepTheirType) {
  Node doc = map_of({{"int", raw("80")},
                     {"neg", raw("-1")},
                     {"float", raw("1.5")},
                     {"bool", raw("true")},
                     {"null", Node::null()},
                     {"tilde", raw("~")},
                     // Unquoted but a string to Go: printed as a string.
                     {"word", raw("yes")},
                     {"date", raw("2024-01-15")},
                     {"colon", raw("a: b")}});
  EXPECT_EQ(emit_yaml(doc),
            "int: 80\nneg: -1\nfloat: 1.5\nbool: true\n\"null\": null\ntilde: null\n"
            "word: \"yes\"\ndate: \"2024-01-15\"\ncolon: 'a: b'\n");
}

TEST(YamlEmit, KeysAreQuotedLikeStrings) {
  Node doc = map_of({{"8080", str("a")}, {"", str("b")}, {"true", str("c")}, {"a b", str("d")}, {"x: y", str("e")}});
  EXPECT_EQ(emit_yaml(doc), "\"8080\": a\n\"\": b\n\"true\": c\na b: d\n'x: y': e\n");
}

TEST(YamlEmit, MultiLineKeyUsesExplicitKeyWithLiteralBlock) {
  EXPECT_EQ(emit_yaml(map_of({{"a\nb", str("v")}})), "? |-\n  a\n  b\n: v\n");
}

TEST(YamlEmit, KeyLongerThan128BytesUsesExplicitKey) {
  std::string key(129, 'x');
  EXPECT_EQ(emit_yaml(map_of({{key, str("v")}})), "? " + key + "\n: v\n");
  std::string fits(128, 'x');
  EXPECT_EQ(emit_yaml(map_of({{fits, str("v")}})), fits + ": v\n");
}

TEST(YamlEmit, EmptyCollectionsAreFlow) {
  EXPECT_EQ(emit_yaml(Node::mapping()), "{}\n");
  EXPECT_EQ(emit_yaml(Node::sequence()), "[]\n");
  EXPECT_EQ(emit_yaml(map_of({{"a", Node::mapping()}, {"b", Node::sequence()}})), "a: {}\nb: []\n");
  EXPECT_EQ(emit_yaml(seq_of({Node::mapping(), Node::sequence(), Node::null()})), "- {}\n- []\n- null\n");
}

TEST(YamlEmit, SequencesInsideMappingsAreIndented) {
  Node doc = map_of({{"a", map_of({{"b", seq_of({str("x"), str("y")})}})}});
  EXPECT_EQ(emit_yaml(doc), "a:\n  b:\n    - x\n    - \"y\"\n");  // "y" is a YAML 1.1 bool
}

TEST(YamlEmit, SequencesInSequences) {
  Node doc = seq_of({seq_of({str("a"), str("b")}), seq_of({seq_of({str("c")})}), str("d")});
  EXPECT_EQ(emit_yaml(doc), "- - a\n  - b\n- - - c\n- d\n");
}

TEST(YamlEmit, MappingsInSequences) {
  Node doc = map_of({{"ports", seq_of({map_of({{"target", raw("80")}, {"published", str("8080")}}),
                                       map_of({{"x", seq_of({str("a")})}, {"y", map_of({{"z", str("b")}})}})})}});
  EXPECT_EQ(emit_yaml(doc),
            "ports:\n"
            "  - target: 80\n"
            "    published: \"8080\"\n"
            "  - x:\n"
            "      - a\n"
            "    \"y\":\n"
            "      z: b\n");
}

TEST(YamlEmit, LiteralBlocksFollowTheirNodesIndentation) {
  Node doc = map_of({{"a", map_of({{"b", seq_of({str("x\ny"), map_of({{"c", str(" lead\nz\n")}})})}})}});
  EXPECT_EQ(emit_yaml(doc),
            "a:\n"
            "  b:\n"
            "    - |-\n"
            "      x\n"
            "      y\n"
            "    - c: |2\n"
            "         lead\n"
            "        z\n");
}

TEST(YamlEmit, InvalidUtf8BecomesBinary) {
  EXPECT_EQ(emit_yaml(map_of({{"k", str("a\xff" "b")}})), "k: !!binary Yf9i\n");
}

TEST(YamlEmit, TagsAreNotPrinted) {
  Node reset = str("x");
  reset.set_tag("!reset");
  EXPECT_EQ(emit_yaml(map_of({{"k", reset}})), "k: x\n");
}

TEST(YamlEmit, RealisticServiceRoundTrips) {
  const std::string text =
      "name: demo\n"
      "services:\n"
      "  web:\n"
      "    command:\n"
      "      - sh\n"
      "      - -c\n"
      "      - 'echo \"hello: world\"'\n"
      "    depends_on:\n"
      "      db:\n"
      "        condition: service_started\n"
      "        required: true\n"
      "    environment:\n"
      "      DEBUG: \"true\"\n"
      "      EMPTY: \"\"\n"
      "      UNSET: null\n"
      "    healthcheck:\n"
      "      test:\n"
      "        - CMD-SHELL\n"
      "        - curl -f http://localhost/ || exit 1\n"
      "      interval: 30s\n"
      "    image: nginx:1.25\n"
      "    labels:\n"
      "      com.example.script: |\n"
      "        set -e\n"
      "        run\n"
      "    networks:\n"
      "      default: null\n"
      "    ports:\n"
      "      - mode: ingress\n"
      "        target: 80\n"
      "        published: \"8080\"\n"
      "        protocol: tcp\n"
      "    volumes:\n"
      "      - type: bind\n"
      "        source: /srv/data\n"
      "        target: /data\n"
      "        bind:\n"
      "          create_host_path: true\n"
      "networks:\n"
      "  default:\n"
      "    name: demo_default\n"
      "    ipam: {}\n";
  auto doc = parse_yaml(text, std::make_shared<const std::string>("compose.yml"));
  ASSERT_TRUE(doc) << doc.error().to_string();
  EXPECT_EQ(emit_yaml(*doc), text);
}

struct ResolveCase {
  std::string text;
  PlainTag tag;
};

class YamlResolve : public testing::TestWithParam<ResolveCase> {};

TEST_P(YamlResolve, MatchesYamlV3) { EXPECT_EQ(resolve_plain(GetParam().text), GetParam().tag) << GetParam().text; }

INSTANTIATE_TEST_SUITE_P(
    Cases, YamlResolve,
    testing::Values(ResolveCase{"", PlainTag::Null}, ResolveCase{"~", PlainTag::Null},
                    ResolveCase{"NULL", PlainTag::Null}, ResolveCase{"nULL", PlainTag::Str},
                    ResolveCase{"TRUE", PlainTag::Bool}, ResolveCase{"yes", PlainTag::Str},
                    ResolveCase{"0", PlainTag::Int}, ResolveCase{"-12", PlainTag::Int},
                    ResolveCase{"+12", PlainTag::Int}, ResolveCase{"0x1F", PlainTag::Int},
                    ResolveCase{"0o17", PlainTag::Int}, ResolveCase{"0b101", PlainTag::Int},
                    ResolveCase{"017", PlainTag::Int}, ResolveCase{"1_000", PlainTag::Int},
                    ResolveCase{"09", PlainTag::Float},  // not octal, but a float
                    ResolveCase{"18446744073709551615", PlainTag::Int},
                    ResolveCase{"18446744073709551616", PlainTag::Float},
                    ResolveCase{"+9223372036854775808", PlainTag::Float},
                    ResolveCase{"1.5", PlainTag::Float}, ResolveCase{".5", PlainTag::Float},
                    ResolveCase{"1.", PlainTag::Float}, ResolveCase{"1e3", PlainTag::Float},
                    ResolveCase{"1e400", PlainTag::Str}, ResolveCase{".inf", PlainTag::Float},
                    ResolveCase{"-.INF", PlainTag::Float}, ResolveCase{".NaN", PlainTag::Float},
                    ResolveCase{".", PlainTag::Str}, ResolveCase{"-", PlainTag::Str},
                    ResolveCase{"0x", PlainTag::Str}, ResolveCase{"1.2.3", PlainTag::Str},
                    ResolveCase{"2024-01-15", PlainTag::Timestamp}, ResolveCase{"2024-1-5", PlainTag::Timestamp},
                    ResolveCase{"2024-02-30", PlainTag::Str}, ResolveCase{"2024-02-29", PlainTag::Timestamp},
                    ResolveCase{"2023-02-29", PlainTag::Str},
                    ResolveCase{"2001-12-14t21:59:43.10-05:00", PlainTag::Timestamp},
                    ResolveCase{"2001-12-14 21:59:43.10", PlainTag::Timestamp},
                    ResolveCase{"2001-12-14T21:59:43", PlainTag::Str},  // T form needs a zone
                    ResolveCase{"nginx:1.25", PlainTag::Str}, ResolveCase{"<<", PlainTag::Str}));

TEST(YamlEmit, StringNeedsQuotes) {
  EXPECT_TRUE(yaml_string_needs_quotes("Off"));
  EXPECT_TRUE(yaml_string_needs_quotes("190:20:30.15"));
  EXPECT_FALSE(yaml_string_needs_quotes("8080:80"));  // not base 60: the last part is over 59
  EXPECT_FALSE(yaml_string_needs_quotes("offline"));
}

}  // namespace
}  // namespace stack::compose

namespace stack::compose {
namespace {

TEST(YamlKeyOrder, SortsLikeYamlV3) {
  std::vector<std::string> keys = {"web10", "web2", "web1", "web", "Web", "_x", "10", "9", "010", "a-b", "a_b", "ab"};
  std::sort(keys.begin(), keys.end(), yaml_key_less);
  EXPECT_EQ(keys, (std::vector<std::string>{"_x", "9", "10", "010", "Web", "a-b", "a_b", "ab", "web", "web1", "web2",
                                            "web10"}));
}

}  // namespace
}  // namespace stack::compose
