#include "compose/project_name.h"

#include <gtest/gtest.h>

namespace stack::compose {
namespace {

TEST(ProjectName, Normalize) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"myapp", "myapp"},       {"My App", "myapp"},   {"UNNORMALIZED PATH", "unnormalizedpath"},
      {"_under", "under"},      {"--_x-y_", "x-y_"},   {"a.b.c", "abc"},
      {"été-2", "t-2"},         {"", ""},              {"!-a", "a"},
      {"123", "123"},           {"__", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(normalize_project_name(c.in), c.out) << c.in;
}

TEST(ProjectName, ValidNames) {
  for (std::string name : {"a", "my-app", "my_app", "0day", "app-1_x"}) {
    auto r = validate_project_name(name);
    ASSERT_TRUE(r) << name << ": " << r.error().to_string();
    EXPECT_EQ(*r, name);
  }
}

TEST(ProjectName, InvalidNames) {
  for (std::string name : {"My App", "UPPER", "-lead", "_lead", "a.b", "a b", "ä"}) {
    auto r = validate_project_name(name);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().to_string(),
              "invalid project name \"" + name +
                  "\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as "
                  "start with a letter or number");
  }
}

TEST(ProjectName, Empty) {
  auto r = validate_project_name("");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "project name must not be empty");
}

}  // namespace
}  // namespace stack::compose
