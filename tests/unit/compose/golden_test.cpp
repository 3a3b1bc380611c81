// Golden files: `stack config` output (YAML and JSON) for a corpus of projects,
// checked against reviewed files (as compose-go's loader/golden_test.go).
// Each folder in tests/data/golden holds compose.yml, optionally `files` (more -f
// files, one per line), `env` (KEY=VALUE lines standing for the shell environment),
// `profiles` (one per line), and the expected expected.yaml / expected.json.
// The case's absolute path is written as /golden in expected files, its parent as /golden-parent.
// STACK_UPDATE_GOLDEN=1 rewrites the expected files (review the diff before committing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compose/encode.h"
#include "compose/graph.h"
#include "compose/json_emit.h"
#include "compose/loader.h"
#include "compose/yaml_emit.h"

namespace stack::compose {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  if (!fs::exists(p)) return out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

std::string escape_dollars(const std::string& s) { return replace_all(s, "$", "$$"); }

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesExpectedOutput) {
  fs::path dir = fs::path(STACK_TEST_DATA) / "golden" / GetParam();
  LoadOptions opts;
  opts.working_dir = dir.string();
  opts.environment = {{"HOME", "/home/user"}};
  for (const auto& kv : lines_of(dir / "env")) {
    auto eq = kv.find('=');
    opts.environment[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  opts.files = {"compose.yml"};
  for (const auto& f : lines_of(dir / "files")) opts.files.push_back(f);
  opts.profiles = lines_of(dir / "profiles");

  auto project = load_project(opts);
  ASSERT_TRUE(project) << project.error().to_string();
  prune_unused_resources(*project);
  std::string yaml = escape_dollars(emit_yaml(encode_project(*project, OutputFormat::Yaml)));
  std::string json = escape_dollars(emit_json(encode_project(*project, OutputFormat::Json)));
  for (auto* text : {&yaml, &json}) {
    *text = replace_all(*text, dir.string(), "/golden");
    *text = replace_all(*text, dir.parent_path().string(), "/golden-parent");
  }

  if (std::getenv("STACK_UPDATE_GOLDEN")) {
    std::ofstream(dir / "expected.yaml", std::ios::binary) << yaml;
    std::ofstream(dir / "expected.json", std::ios::binary) << json;
  }
  EXPECT_EQ(yaml, slurp(dir / "expected.yaml"));
  EXPECT_EQ(json, slurp(dir / "expected.json"));
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(STACK_TEST_DATA) / "golden")) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Compose, Golden, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace stack::compose
