#include "common/error.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace stack {
namespace {

TEST(Error, CarriesErrnoAndContext) {
  Error e{"open /x", ENOENT};
  e.wrap("load compose.yml");
  EXPECT_EQ(e.to_string(), "load compose.yml: open /x: No such file or directory");
}

TEST(Error, ResultHoldsError) {
  Result<int> r = fail("bad");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "bad");
}

TEST(Strings, SplitJoinTrim) {
  EXPECT_EQ(split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(join({"a", "b"}, "-"), "a-b");
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_EQ(quoted("a\"b"), "\"a\\\"b\"");
}

}  // namespace
}  // namespace stack
