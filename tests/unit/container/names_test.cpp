// Container ids, generated names, name rules and Docker's id/name resolution.
#include <gtest/gtest.h>

#include <cerrno>
#include <regex>
#include <set>

#include "engine/container/index.h"
#include "engine/container/names.h"

namespace stack::container {
namespace {

TEST(ContainerNames, IdsAre64HexAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    auto id = generate_id();
    ASSERT_EQ(id.size(), 64u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    ASSERT_NE(id.substr(0, 12).find_first_not_of("0123456789"), std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 200u);
}

TEST(ContainerNames, GeneratedNamesAreAdjectiveSurname) {
  std::regex shape("^[a-z]+_[a-z_]+$");
  for (int i = 0; i < 50; ++i) {
    auto n = generate_name([](const std::string&) { return false; });
    EXPECT_TRUE(std::regex_match(n, shape)) << n;
    EXPECT_TRUE(validate_name(n));
    EXPECT_NE(n, "boring_wozniak");
  }
}

TEST(ContainerNames, TakenNamesRetryWithADigitThenFallBackToTheShortId) {
  std::vector<std::string> tried;
  auto n = generate_name(
      [&](const std::string& name) {
        tried.push_back(name);
        return tried.size() < 3;
      },
      "0123456789abcdef");
  ASSERT_EQ(tried.size(), 3u);
  EXPECT_EQ(n, tried.back());
  EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(tried[0].back())));
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(tried[1].back())));
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(tried[2].back())));

  int calls = 0;
  auto fallback = generate_name(
      [&](const std::string&) {
        ++calls;
        return true;
      },
      "0123456789abcdef");
  EXPECT_EQ(calls, 6);
  EXPECT_EQ(fallback, "0123456789ab");
}

TEST(ContainerNames, ValidateName) {
  for (const char* ok : {"ab", "/web", "Web.1", "a_b-c.d", "0x"}) EXPECT_TRUE(validate_name(ok)) << ok;
  for (const char* bad : {"", "a", "/a", "_web", ".web", "-web", "we b", "we/b", "wé"}) {
    auto r = validate_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().errno_value, EINVAL);
    EXPECT_EQ(r.error().message,
              std::string("Invalid container name (") + bad + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  EXPECT_EQ(canonical_name("web"), "/web");
  EXPECT_EQ(canonical_name("/web"), "/web");
}

TEST(ContainerIndex, ResolvesLikeDocker) {
  Index idx;
  std::string a = "abc" + std::string(61, '1');
  std::string b = "abd" + std::string(61, '2');
  std::string c = "fff" + std::string(61, '3');
  ASSERT_TRUE(idx.add(a, "web"));
  ASSERT_TRUE(idx.add(b, "/db"));
  ASSERT_TRUE(idx.add(c, "abc"));  // a name that is also a prefix of a's id

  EXPECT_EQ(idx.resolve(a).value(), a);
  EXPECT_EQ(idx.resolve("web").value(), a);
  EXPECT_EQ(idx.resolve("/web").value(), a);
  EXPECT_EQ(idx.resolve("db").value(), b);
  EXPECT_EQ(idx.resolve("abd").value(), b);
  // A full name wins over an id prefix (Docker looks names up first).
  EXPECT_EQ(idx.resolve("abc").value(), c);
  EXPECT_EQ(idx.resolve("f").value(), c);

  auto amb = idx.resolve("ab");
  ASSERT_FALSE(amb);
  EXPECT_EQ(amb.error().errno_value, EINVAL);
  EXPECT_EQ(amb.error().message, "multiple IDs found with provided prefix: ab");

  auto missing = idx.resolve("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value, ENOENT);
  EXPECT_EQ(missing.error().message, "No such container: nope");

  auto empty = idx.resolve("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().errno_value, EINVAL);
}

TEST(ContainerIndex, NameConflictsRenameAndRemove) {
  Index idx;
  std::string a(64, 'a'), b(64, 'b');
  ASSERT_TRUE(idx.add(a, "web"));
  auto dup = idx.add(b, "/web");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().errno_value, EEXIST);
  EXPECT_EQ(dup.error().message, "Conflict. The container name \"/web\" is already in use by container \"" + a +
                                     "\". You have to remove (or rename) that container to be able to reuse that name.");
  EXPECT_TRUE(idx.name_taken("web"));
  EXPECT_TRUE(idx.name_taken("/web"));

  ASSERT_TRUE(idx.add(b, "db"));
  EXPECT_FALSE(idx.rename(b, "web"));
  ASSERT_TRUE(idx.rename(a, "front"));
  EXPECT_FALSE(idx.name_taken("web"));
  EXPECT_EQ(idx.resolve("front").value(), a);
  EXPECT_EQ(idx.name_of(a), "/front");
  EXPECT_EQ(idx.rename(std::string(64, 'c'), "x").error().errno_value, ENOENT);

  idx.remove(a);
  EXPECT_FALSE(idx.name_taken("front"));
  EXPECT_FALSE(idx.resolve(a));
  EXPECT_EQ(idx.size(), 1u);
}

}  // namespace
}  // namespace stack::container
