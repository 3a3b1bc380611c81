#include "compose/dotenv.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>

#include "common/strings.h"

namespace stack::compose {
namespace {

// What the shell environment holds in these tests.
const std::map<std::string, std::string, std::less<>> kShell = {
    {"HOST_VAR", "fromhost"},
    {"EMPTY", ""},
};

std::optional<std::string> shell(std::string_view name) {
  auto it = kShell.find(name);
  if (it == kShell.end()) return std::nullopt;
  return it->second;
}
const Lookup kLookup = shell;

struct Case {
  std::string text;
  EnvList want;
};
void PrintTo(const Case& c, std::ostream* os) { *os << quoted(c.text); }

class ParseDotenv : public testing::TestWithParam<Case> {};

TEST_P(ParseDotenv, Parses) {
  auto got = parse_dotenv(GetParam().text, ".env", kLookup);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(*got, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Assignments, ParseDotenv,
    testing::Values(
        Case{"FOO=bar", {{"FOO", "bar"}}}, Case{"FOO =bar", {{"FOO", "bar"}}}, Case{"FOO= bar", {{"FOO", "bar"}}},
        Case{"FOO \t=\t bar \t", {{"FOO", "bar"}}}, Case{"FOO=foobar=", {{"FOO", "foobar="}}},
        Case{" KEY =value", {{"KEY", "value"}}}, Case{"\tKEY=value", {{"KEY", "value"}}},
        Case{"FOO.BAR=foobar", {{"FOO.BAR", "foobar"}}}, Case{"VAR-WITH-DASHES=d", {{"VAR-WITH-DASHES", "d"}}},
        Case{"a[1]=c", {{"a[1]", "c"}}}, Case{"_x9=1", {{"_x9", "1"}}}, Case{"456 = ABC", {{"456", "ABC"}}},
        Case{"árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ", {{"árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ"}}},
        // compose-go also reads the yaml-ish colon form.
        Case{"OPTION_A: 1", {{"OPTION_A", "1"}}}, Case{"OPTION_A: Foo=bar", {{"OPTION_A", "Foo=bar"}}},
        Case{"OPTION_A=1:B", {{"OPTION_A", "1:B"}}}, Case{"OPTION_A:1", {{"OPTION_A", "1"}}},
        // export.
        Case{"export OPTION_A=2", {{"OPTION_A", "2"}}}, Case{"export\tOPTION_A=2", {{"OPTION_A", "2"}}},
        Case{"  export OPTION_A=2", {{"OPTION_A", "2"}}}, Case{"export exportFoo=2", {{"exportFoo", "2"}}},
        Case{"exportFOO=2", {{"exportFOO", "2"}}}, Case{"export_FOO =2", {{"export_FOO", "2"}}},
        Case{"export.FOO= 2", {{"export.FOO", "2"}}}, Case{"export=1", {{"export", "1"}}},
        Case{R"(export OPTION_A="export A")", {{"OPTION_A", "export A"}}},
        Case{R"(export OPTION_B='\n')", {{"OPTION_B", R"(\n)"}}}, Case{"export HOST_VAR", {{"HOST_VAR", "fromhost"}}},
        // Empty values and an empty key.
        Case{"FOO=", {{"FOO", ""}}}, Case{"FOO=\nBAR=1", {{"FOO", ""}, {"BAR", "1"}}},
        Case{"OPTION_F = \nG=", {{"OPTION_F", ""}, {"G", ""}}}, Case{"A=''\nB=\"\"", {{"A", ""}, {"B", ""}}},
        Case{R"(="value")", {{"", "value"}}},
        // Duplicates: first position, last value.
        Case{"A=1\nB=2\nA=3", {{"A", "3"}, {"B", "2"}}}));

INSTANTIATE_TEST_SUITE_P(
    CommentsAndLayout, ParseDotenv,
    testing::Values(
        Case{"", {}}, Case{"\n", {}}, Case{"\r\n", {}}, Case{"\t\t ", {}}, Case{"# Comment", {}},
        Case{"\t # comment", {}}, Case{"# c\n\n  # c2\nA=1\n#A=2\n", {{"A", "1"}}},
        Case{"FOO=bar # this is foo", {{"FOO", "bar"}}}, Case{"FOO=bar #this is foo", {{"FOO", "bar"}}},
        Case{"FOO=bar #", {{"FOO", "bar"}}}, Case{"FOO=123#not-a-comment", {{"FOO", "123#not-a-comment"}}},
        // Only " #" starts an inline comment; a value may begin with '#'.
        Case{"FOO=bar\t#x", {{"FOO", "bar\t#x"}}}, Case{"FOO= #x", {{"FOO", "#x"}}},
        Case{R"(FOO="bar#baz")", {{"FOO", "bar#baz"}}}, Case{R"(FOO="bar#baz"#)", {{"FOO", "bar#baz"}}},
        Case{R"(FOO="bar#baz" # comment)", {{"FOO", "bar#baz"}}}, Case{"FOO='bar#baz' # comment", {{"FOO", "bar#baz"}}},
        // After a closing quote the line goes on as a new statement, as in compose-go.
        Case{R"(A="x" B=y)", {{"A", "x"}, {"B", "y"}}},
        // CRLF and a BOM.
        Case{"A=1\r\nB=\"x\"\r\nC='y'\r\nHOST_VAR\r\nD=a b \r\n", {{"A", "1"}, {"B", "x"}, {"C", "y"}, {"HOST_VAR", "fromhost"}, {"D", "a b"}}},
        Case{"\xEF\xBB\xBFOPTION_A=1\nOPTION_B=2", {{"OPTION_A", "1"}, {"OPTION_B", "2"}}}));

INSTANTIATE_TEST_SUITE_P(
    Quoting, ParseDotenv,
    testing::Values(
        Case{R"(FOO="bar")", {{"FOO", "bar"}}}, Case{"FOO='bar'", {{"FOO", "bar"}}},
        Case{R"(FOO="escaped\"bar")", {{"FOO", R"(escaped"bar)"}}}, Case{R"(FOO="\"quoted\"")", {{"FOO", R"("quoted")"}}},
        Case{R"(FOO="'d'")", {{"FOO", "'d'"}}}, Case{R"(FOO='"d"')", {{"FOO", R"("d")"}}},
        Case{R"(OPTION_K='Let\'s go!')", {{"OPTION_K", "Let's go!"}}},
        Case{R"(FOO='a\"b\\c\n')", {{"FOO", R"(a\"b\\c\n)"}}},
        Case{R"(FOO="bar\nbaz")", {{"FOO", "bar\nbaz"}}}, Case{R"(FOO=a\tb)", {{"FOO", R"(a\tb)"}}},
        Case{R"(FOO="a\tb")", {{"FOO", "a\tb"}}},
        Case{R"(KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z")", {{"KEY", "Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ"}}},
        Case{R"(FOO="bar\n\ b\az")", {{"FOO", "bar\n\\ b\az"}}},
        Case{R"(FOO="bar\\\n\ b\az")", {{"FOO", "bar\\\n\\ b\az"}}},
        Case{R"(FOO="bar\\r\ b\az")", {{"FOO", "bar\\r\\ b\az"}}}, Case{R"(FOO="bar\nbaz\\")", {{"FOO", "bar\nbaz\\"}}},
        // Only \0NNN octal; other escapes Go knows stay as written.
        Case{R"(KEY="\0123")", {{"KEY", "S"}}}, Case{R"(KEY="\0377")", {{"KEY", "\xC3\xBF"}}},
        Case{R"(KEY="\012|\0|\0400|\0128")", {{"KEY", R"(\012|\0|\0400|\0128)"}}},
        Case{R"(KEY="\x07")", {{"KEY", R"(\x07)"}}}, Case{R"(KEY="\u12e4")", {{"KEY", R"(\u12e4)"}}},
        Case{R"(KEY="\U00101234")", {{"KEY", R"(\U00101234)"}}}, Case{R"(KEY="\c\q\'")", {{"KEY", R"(\c\q\')"}}},
        // Values spanning lines.
        Case{"TEST_URLS=\"a:3333\nb:443\"", {{"TEST_URLS", "a:3333\nb:443"}}},
        Case{"A='first line\nsecond line'\nB=2", {{"A", "first line\nsecond line"}, {"B", "2"}}},
        Case{"A=\"x\r\ny\"\r\n", {{"A", "x\r\ny"}}}));

INSTANTIATE_TEST_SUITE_P(
    Variables, ParseDotenv,
    testing::Values(
        Case{"FOO=test\nBAR=$FOO", {{"FOO", "test"}, {"BAR", "test"}}},
        Case{"FOO=test\nBAR=${FOO}bar", {{"FOO", "test"}, {"BAR", "testbar"}}}, Case{"BAR=$NOT_SET_ANYWHERE", {{"BAR", ""}}},
        Case{"FOO=test\nBAR=\"quote $FOO\"", {{"FOO", "test"}, {"BAR", "quote test"}}},
        Case{"FOO=test\nBAR='quote $FOO'", {{"FOO", "test"}, {"BAR", "quote $FOO"}}},
        Case{R"(FOO="foo\$BAR")", {{"FOO", "foo$BAR"}}}, Case{R"(FOO="foo\${BAR}")", {{"FOO", "foo${BAR}"}}},
        Case{"FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"", {{"FOO", "test"}, {"BAR", "foo${FOO} test"}}},
        Case{"A=$$x\nB=\\$HOST_VAR", {{"A", "$x"}, {"B", "\\fromhost"}}},
        Case{"A=${NOPE:-1}\nB=${A}_$A", {{"A", "1"}, {"B", "1_1"}}},
        Case{"A=${HOST_VAR:+set}${EMPTY:-empty}", {{"A", "setempty"}}},
        // The caller's variables win over the file's own (compose-go's order).
        Case{"HOST_VAR=file\nB=${HOST_VAR}", {{"HOST_VAR", "file"}, {"B", "fromhost"}}},
        // Bare keys come from the lookup only, and are skipped when it has nothing.
        Case{"HOST_VAR\n", {{"HOST_VAR", "fromhost"}}}, Case{"EMPTY\n", {{"EMPTY", ""}}},
        Case{"foo=bar\nMISSING\nbar=baz\n", {{"foo", "bar"}, {"bar", "baz"}}},
        Case{"HOST_VAR  \nA=1", {{"HOST_VAR", "fromhost"}, {"A", "1"}}}, Case{"A=1\nA\n", {{"A", "1"}}},
        // Deliberate difference: compose-go reads a bare key on an unterminated last line as ""="HOST_VAR".
        Case{"A=1\nHOST_VAR", {{"A", "1"}, {"HOST_VAR", "fromhost"}}}));

struct ErrorCase {
  std::string text;
  std::string error;
};
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << quoted(c.text); }

class ParseDotenvError : public testing::TestWithParam<ErrorCase> {};

TEST_P(ParseDotenvError, Fails) {
  auto got = parse_dotenv(GetParam().text, "app/.env", kLookup);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().to_string(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ParseDotenvError,
    testing::Values(
        ErrorCase{"lol$wut", R"(app/.env:1: unexpected character "$" in variable name "lol$wut")"},
        ErrorCase{"%!(EXTRA string)=foo",
                  R"(app/.env:1: unexpected character "%" in variable name "%!(EXTRA string)=foo")"},
        ErrorCase{"A=1\n\nFOO$=1\r\nB=2", R"(app/.env:3: unexpected character "$" in variable name "FOO$=1\r")"},
        ErrorCase{"export FOO/BAR=1", R"(app/.env:1: unexpected character "/" in variable name "FOO/BAR=1")"},
        ErrorCase{"KEY€=1", R"(app/.env:1: unexpected character "€" in variable name "KEY€=1")"},
        ErrorCase{"A\xFF=1", R"(app/.env:1: unexpected character "�" in variable name "A\xff=1")"},
        ErrorCase{"FOO BAR=1", "app/.env:1: key cannot contain a space"},
        ErrorCase{"# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix",
                  "app/.env:7: key cannot contain a space"},
        ErrorCase{R"(KEY=")", R"(app/.env:1: unterminated quoted value ")"},
        ErrorCase{R"(KEY="value)", R"(app/.env:1: unterminated quoted value "value)"},
        ErrorCase{R"(KEY="value\")", R"(app/.env:1: unterminated quoted value "value\")"},
        ErrorCase{R"(KEY="value')", R"(app/.env:1: unterminated quoted value "value')"},
        ErrorCase{"KEY='", "app/.env:1: unterminated quoted value '"},
        ErrorCase{R"(KEY='value\')", R"(app/.env:1: unterminated quoted value 'value\')"},
        ErrorCase{"A=1\nKEY=\"abc\ndef\n", R"(app/.env:2: unterminated quoted value "abc)"},
        ErrorCase{"A=${", R"(app/.env:1: Invalid template: "${")"},
        ErrorCase{"A=1\nB=\"x ${NOPE:?must be set}\"", "app/.env:2: required variable NOPE is missing a value: must be set"}));

TEST(ReadDotenvFile, ReadsAFile) {
  std::string path = testing::TempDir() + "stack_dotenv_test_" + std::to_string(::getpid()) + ".env";
  {
    std::ofstream out(path);
    out << "# project settings\nTAG=1.2\nIMAGE=\"app:${TAG}\"\n";
  }
  auto got = read_dotenv_file(path, kLookup);
  ::unlink(path.c_str());
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(*got, (EnvList{{"TAG", "1.2"}, {"IMAGE", "app:1.2"}}));
}

TEST(ReadDotenvFile, NamesThePathAndErrno) {
  auto got = read_dotenv_file("/nonexistent/stack/.env", kLookup);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().errno_value, ENOENT);
  EXPECT_EQ(got.error().to_string(), "open /nonexistent/stack/.env: No such file or directory");
}

TEST(ReadDotenvFile, ErrorsNameThePath) {
  std::string path = testing::TempDir() + "stack_dotenv_bad_" + std::to_string(::getpid()) + ".env";
  {
    std::ofstream out(path);
    out << "A=1\nB C=2\n";
  }
  auto got = read_dotenv_file(path, kLookup);
  ::unlink(path.c_str());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().to_string(), path + ":2: key cannot contain a space");
}

}  // namespace
}  // namespace stack::compose
