// docker commit's image config: request config or the container's, changes, then merge.
#include "engine/container/commit_config.h"

#include <gtest/gtest.h>

namespace stack::container {
namespace {

Config container_config() {
  Config c;
  c.env = {"PATH=/bin", "A=1"};
  c.cmd = std::vector<std::string>{"sh", "-c", "echo hi"};
  c.labels = {{"l", "v"}};
  c.working_dir = "/work";
  return c;
}

TEST(CommitConfig, ContainerConfigWhenNoneIsSent) {
  auto r = commit_config(container_config(), std::nullopt, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->env, (std::vector<std::string>{"PATH=/bin", "A=1"}));
  EXPECT_EQ(r->cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(r->working_dir, "/work");
  EXPECT_EQ(r->labels.at("l"), "v");
}

TEST(CommitConfig, ChangesApplyAndTheContainerFillsTheRest) {
  auto r = commit_config(container_config(), std::nullopt, {"CMD [\"top\"]", "ENV B=2", "LABEL x=y", ""});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->cmd, (std::vector<std::string>{"top"}));
  EXPECT_EQ(r->env, (std::vector<std::string>{"PATH=/bin", "A=1", "B=2"}));
  EXPECT_EQ(r->labels.at("x"), "y");
  EXPECT_EQ(r->labels.at("l"), "v");
}

TEST(CommitConfig, RequestConfigIsMergedWithTheContainers) {
  Config req;
  req.env = {"A=9"};
  req.working_dir = "/other";
  auto r = commit_config(container_config(), req, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->env, (std::vector<std::string>{"A=9", "PATH=/bin"}));
  EXPECT_EQ(r->working_dir, "/other");
  EXPECT_EQ(r->cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
}

TEST(CommitConfig, BadChangeIsInvalid) {
  auto r = commit_config(container_config(), std::nullopt, {"FROM busybox"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errno_value, EINVAL);
  EXPECT_NE(r.error().message.find("not a valid change command"), std::string::npos);
}

TEST(CommitConfig, CreatedByIsTheCmd) {
  EXPECT_EQ(commit_created_by(container_config()), "sh -c echo hi");
  EXPECT_EQ(commit_created_by(Config{}), "");
}

}  // namespace
}  // namespace stack::container
