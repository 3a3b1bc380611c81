#include "compose/interpolate.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <sstream>

#include "common/strings.h"
#include "compose/yaml_load.h"

namespace stack::compose {
namespace {

// The variables compose-go's template tests use.
const std::map<std::string, std::string, std::less<>> kVars = {
    {"FOO", "first"},
    {"BAR", ""},
    {"JSON", R"({"json":2})"},
    {"lower", "lo"},
};

std::optional<std::string> lookup_var(std::string_view name) {
  auto it = kVars.find(name);
  if (it == kVars.end()) return std::nullopt;
  return it->second;
}
const Lookup kLookup = lookup_var;

struct Case {
  std::string text;
  std::string want;
};
void PrintTo(const Case& c, std::ostream* os) { *os << quoted(c.text); }

class InterpolateString : public testing::TestWithParam<Case> {};

TEST_P(InterpolateString, Expands) {
  auto got = interpolate_string(GetParam().text, kLookup);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(*got, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, InterpolateString,
    testing::Values(
        // No expression, literal dollars.
        Case{"foo", "foo"}, Case{"", ""}, Case{"$$", "$"}, Case{"$${foo}", "${foo}"}, Case{"$$FOO", "$FOO"},
        Case{"a $ string", "a $ string"}, Case{"^REGEX$", "^REGEX$"}, Case{"$}", "$}"}, Case{"$", "$"},
        Case{"$1", "$1"}, Case{"$-x", "$-x"}, Case{"cost: 5$ or $$6", "cost: 5$ or $6"},
        // Plain names.
        Case{"$FOO", "first"}, Case{"${FOO}", "first"}, Case{"$FOO-bar", "first-bar"}, Case{"${FOO}bar", "firstbar"},
        Case{"$FOO.$FOO", "first.first"}, Case{"$lower", "lo"}, Case{"$_x", ""}, Case{"$FOO1", ""},
        Case{"This ${missing} var", "This  var"}, Case{"This ${BAR} var", "This  var"},
        Case{"This $FOO var", "This first var"},
        // Defaults.
        Case{"ok ${missing:-def}", "ok def"}, Case{"ok ${missing-def}", "ok def"}, Case{"ok ${BAR:-def}", "ok def"},
        Case{"ok ${BAR-def}", "ok "}, Case{"ok ${FOO:-def}", "ok first"}, Case{"${missing:-}", ""},
        Case{"ok ${BAR:-/non:-alphanumeric}", "ok /non:-alphanumeric"}, Case{"${missing-myerror?msg}", "myerror?msg"},
        Case{"${missing:-a b  c}", "a b  c"},
        // Alternatives.
        Case{"ok ${UNSET:+presence}", "ok "}, Case{"ok ${UNSET+presence}", "ok "},
        Case{"ok ${FOO:+presence}", "ok presence"}, Case{"ok ${FOO+presence}", "ok presence"},
        Case{"ok ${BAR+presence}", "ok presence"}, Case{"ok ${BAR:+presence}", "ok "},
        // Required, satisfied.
        Case{"ok ${FOO:?err}", "ok first"}, Case{"ok ${FOO?err}", "ok first"}, Case{"ok ${BAR?err}", "ok "},
        Case{"${FOO?bar-baz}", "first"},
        // Nested, evaluated only when used.
        Case{"ok ${UNSET-$FOO}", "ok first"}, Case{"ok ${UNSET-${FOO}}", "ok first"},
        Case{"ok ${UNSET-${FOO} ${FOO}}", "ok first first"}, Case{"ok ${BAR:-$FOO}", "ok first"},
        Case{"ok ${BAR+$FOO ${FOO:+second}}", "ok first second"}, Case{"${A:-${B:-x}}", "x"},
        Case{"${A:-${FOO:-x}}", "first"}, Case{"+ok ${UNSET:-${BAR-defaultValue}}", "+ok "},
        Case{"${A:+${A},}B", "B"}, Case{"${FOO:-${}", "first"}, Case{"${FOO?${}", "first"},
        // Braces inside defaults, and after the expression.
        Case{R"(ok ${missing:-{"json":1}})", R"(ok {"json":1})"}, Case{R"(ok ${JSON:-{"json":1}})", R"(ok {"json":2})"},
        Case{"${missing:-{}}", "{}"}, Case{"${missing:-x}}", "x}"}, Case{"${FOO}}", "first}"},
        // Several expressions, operators in the surrounding text, several lines.
        Case{"${FOO}/${FOO:-x}:${missing-y}", "first/first:y"}, Case{":?ok ${BAR:-defaultValue}", ":?ok defaultValue"},
        Case{"-ok ${BAR:-d} ${FOO:+e}", "-ok d e"}, Case{"${missing:-a}\n${FOO}", "a\nfirst"},
        Case{"${missing-a}\n}", "a\n}"}));

struct ErrorCase {
  std::string text;
  std::string error;
};
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << quoted(c.text); }

class InterpolateStringError : public testing::TestWithParam<ErrorCase> {};

TEST_P(InterpolateStringError, Fails) {
  auto got = interpolate_string(GetParam().text, kLookup);
  ASSERT_FALSE(got) << "got " << *got;
  EXPECT_EQ(got.error().to_string(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, InterpolateStringError,
    testing::Values(
        ErrorCase{"${", R"(Invalid template: "${")"}, ErrorCase{"${}", R"(Invalid template: "${}")"},
        ErrorCase{"${ }", R"(Invalid template: "${ }")"}, ErrorCase{"${ foo}", R"(Invalid template: "${ foo}")"},
        ErrorCase{"${foo }", R"(Invalid template: "${foo }")"}, ErrorCase{"${foo!}", R"(Invalid template: "${foo!}")"},
        ErrorCase{"${1}", R"(Invalid template: "${1}")"}, ErrorCase{"${FOO:x}", R"(Invalid template: "${FOO:x}")"},
        ErrorCase{"a ${FOO", R"(Invalid template: "a ${FOO")"},
        ErrorCase{"${FOO:-x", R"(Invalid template: "${FOO:-x")"},
        // `}` on the next line does not close: the expression must sit on one line.
        ErrorCase{"${FOO:-x\n}", R"(Invalid template: "${FOO:-x\n}")"},
        ErrorCase{"${FOO} ${", R"(Invalid template: "${FOO} ${")"},
        // An error inside a default names the innermost template.
        ErrorCase{"${missing:-${}}", R"(Invalid template: "${}")"},
        ErrorCase{"${missing:-${x}", R"(Invalid template: "${x")"},
        ErrorCase{"not ok ${UNSET:?Mandatory Variable Unset}",
                  "required variable UNSET is missing a value: Mandatory Variable Unset"},
        ErrorCase{"${BAR:?Mandatory Variable Empty}", "required variable BAR is missing a value: Mandatory Variable Empty"},
        ErrorCase{"${UNSET:?}", "required variable UNSET is missing a value"},
        ErrorCase{"${UNSET?}", "required variable UNSET is missing a value"},
        ErrorCase{"${UNSET?bar-baz}", "required variable UNSET is missing a value: bar-baz"},
        ErrorCase{"${UNSET:?Mandatory ${FOO}}", "required variable UNSET is missing a value: Mandatory first"},
        ErrorCase{"${UNSET:?${}}", R"(Invalid template: "${}")"},
        // The first error wins.
        ErrorCase{"${A?one} ${B?two}", "required variable A is missing a value: one"},
        ErrorCase{"${A?one} ${", "required variable A is missing a value: one"}));

TEST(InterpolateString, EmptyLookupMeansNothingIsSet) {
  auto got = interpolate_string("[${X:-d}${X+alt}]", Lookup{});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "[d]");
}

TEST(InterpolateString, WarnsOncePerUnsetVariable) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_pattern("%l %v");
  spdlog::set_default_logger(logger);
  auto a = interpolate_string("$STACK_TEST_UNSET_ONE ${STACK_TEST_UNSET_ONE} ${STACK_TEST_UNSET_TWO:-d}", kLookup);
  auto b = interpolate_string("${STACK_TEST_UNSET_ONE}", kLookup);
  spdlog::set_default_logger(previous);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(log.str(), "warning The \"STACK_TEST_UNSET_ONE\" variable is not set. Defaulting to a blank string.\n");
}

auto kFile = std::make_shared<const std::string>("compose.yml");

Node load(std::string_view yaml) {
  auto n = parse_yaml(yaml, kFile);
  EXPECT_TRUE(n) << n.error().to_string();
  return n ? std::move(*n) : Node();
}

TEST(InterpolateNode, ExpandsValuesNotKeys) {
  Node doc = load(
      "services:\n"
      "  web:\n"
      "    image: \"${FOO}:${TAG:-latest}\"\n"
      "    labels:\n"
      "      $FOO: $FOO\n"
      "    command: [echo, $$HOME, '${BAR-x}']\n"
      "    ports: [8080]\n"
      "    tty: ~\n");
  ASSERT_TRUE(interpolate_node(doc, kLookup));
  const Node& web = *doc.find("services")->find("web");
  EXPECT_EQ(web.find("image")->value(), "first:latest");
  EXPECT_TRUE(web.find("image")->quoted());
  ASSERT_EQ(web.find("labels")->entries().size(), 1u);
  EXPECT_EQ(web.find("labels")->entries()[0].key, "$FOO");
  EXPECT_EQ(web.find("labels")->entries()[0].value.value(), "first");
  const auto& command = web.find("command")->items();
  ASSERT_EQ(command.size(), 3u);
  EXPECT_EQ(command[1].value(), "$HOME");
  EXPECT_EQ(command[2].value(), "");
  EXPECT_EQ(web.find("ports")->items()[0].value(), "8080");
  EXPECT_TRUE(web.find("tty")->is_null());
  EXPECT_EQ(web.find("image")->mark().str(), "compose.yml:3:12");
}

struct NodeErrorCase {
  std::string yaml;
  std::string path;
  std::string error;
};
void PrintTo(const NodeErrorCase& c, std::ostream* os) { *os << quoted(c.yaml); }

class InterpolateNodeError : public testing::TestWithParam<NodeErrorCase> {};

TEST_P(InterpolateNodeError, LocatesTheScalar) {
  Node doc = load(GetParam().yaml);
  auto r = interpolate_node(doc, kLookup, GetParam().path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, InterpolateNodeError,
    testing::Values(
        NodeErrorCase{"services:\n  web:\n    image: \"${FOO}:${TAG?tag needed}\"\n", "",
                      "compose.yml:3:12: error while interpolating services.web.image: "
                      "required variable TAG is missing a value: tag needed"},
        NodeErrorCase{"services:\n  web:\n    ports:\n      - 80\n      - \"${PORT\"\n", "",
                      "compose.yml:5:9: invalid interpolation format for services.web.ports[1].\n"
                      "You may need to escape any $ with another $.\n${PORT"},
        NodeErrorCase{"services:\n  web:\n    environment:\n      A: ${X:-${}}\n", "",
                      "compose.yml:4:10: invalid interpolation format for services.web.environment.A.\n"
                      "You may need to escape any $ with another $.\n${}"},
        NodeErrorCase{"name: ${NAME:?}\n", "", "compose.yml:1:7: error while interpolating name: "
                                              "required variable NAME is missing a value"},
        NodeErrorCase{"x-list: [[a, '${B']]\n", "root",
                      "compose.yml:1:14: invalid interpolation format for root.x-list[0][1].\n"
                      "You may need to escape any $ with another $.\n${B"}));

// A 500-service file must interpolate in well under 10 ms; allow a wide margin
// for a loaded machine so this only fails on an algorithmic regression.
TEST(InterpolateNode, FiveHundredServicesIsFast) {
  std::string yaml = "services:\n";
  for (int i = 0; i < 500; ++i) {
    std::string n = std::to_string(i);
    yaml += "  s" + n + ":\n    image: \"${FOO:-busybox}:" + n + "\"\n    environment:\n";
    for (int k = 0; k < 10; ++k) yaml += "      K" + std::to_string(k) + ": plain value " + n + "\n";
    yaml += "      REF: ${BAR-x}/$FOO\n    ports: ['80', '443']\n";
  }
  Node doc = load(yaml);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(interpolate_node(doc, kLookup));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::milliseconds(50));
  EXPECT_EQ(doc.find("services")->find("s499")->find("image")->value(), "first:499");
  EXPECT_EQ(doc.find("services")->find("s7")->find("environment")->find("REF")->value(), "/first");
}

}  // namespace
}  // namespace stack::compose
