#include "compose/shell_split.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace stack::compose {
namespace {

struct Case {
  std::string line;
  std::vector<std::string> words;
};

class ShellSplit : public ::testing::TestWithParam<Case> {};

TEST_P(ShellSplit, Words) {
  auto words = shell_split(GetParam().line);
  ASSERT_TRUE(words) << GetParam().line << ": " << words.error().to_string();
  EXPECT_EQ(*words, GetParam().words) << GetParam().line;
}

// Expected words follow mattn/go-shellwords v1.0.13 (what Docker Compose links).
INSTANTIATE_TEST_SUITE_P(
    Compose, ShellSplit,
    ::testing::Values(Case{"echo hello", {"echo", "hello"}},
                      Case{"  echo \t hello\n", {"echo", "hello"}},
                      Case{"", {}},
                      Case{"   ", {}},
                      Case{"echo \"hello world\"", {"echo", "hello world"}},
                      Case{"'a b' c", {"a b", "c"}},
                      Case{"a\"b c\"d", {"ab cd"}},
                      Case{"a\\ b", {"a b"}},
                      Case{"\"\"", {""}},
                      Case{"a '' b", {"a", "", "b"}},
                      Case{"echo \"a\\\"b\"", {"echo", "a\"b"}},
                      Case{"'a\\b'", {"a\\b"}},
                      Case{"\"a\\b\"", {"ab"}},
                      Case{"a\\tb\\nc", {"a\tb\nc"}},
                      Case{"echo $HOME ${X}", {"echo", "$HOME", "${X}"}},
                      Case{"echo $(date +%s)", {"echo", "$(date +%s)"}},
                      Case{"echo `date +%s`", {"echo", "`date +%s`"}},
                      Case{"sh -c \"a && b\"", {"sh", "-c", "a && b"}},
                      Case{"sh -c 'a; b | c'", {"sh", "-c", "a; b | c"}},
                      // An unquoted operator ends the command: the rest is dropped.
                      Case{"a && b", {"a"}},
                      Case{"a;b", {"a"}},
                      Case{"a | b", {"a"}},
                      Case{"echo a>b", {"echo", "a"}},
                      Case{"echo 2>/dev/null", {"echo"}},
                      Case{"a\\;b", {"a;b"}},
                      Case{"héllo wörld", {"héllo", "wörld"}}));

class ShellSplitErrors : public ::testing::TestWithParam<std::string> {};

TEST_P(ShellSplitErrors, InvalidCommandLine) {
  auto words = shell_split(GetParam());
  ASSERT_FALSE(words) << GetParam() << " gave " << join(*words, "|");
  EXPECT_EQ(words.error().to_string(), "invalid command line string");
}

INSTANTIATE_TEST_SUITE_P(Compose, ShellSplitErrors,
                         ::testing::Values("echo 'abc", "echo \"abc", "echo abc\\", "echo `date", "echo $(date",
                                           "echo (a)", "echo )", "echo $(a (b))"));

}  // namespace
}  // namespace stack::compose
