// Loading a generated compose file through the whole pipeline (parse, interpolate,
// canonicalize, decode, normalize, validate), and printing it back.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench/compose_gen.h"
#include "compose/encode.h"
#include "compose/loader.h"
#include "compose/yaml_emit.h"

namespace {

struct TempProject {
  std::filesystem::path dir;
  explicit TempProject(int services) {
    char tmpl[] = "/tmp/stack-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::ofstream(dir / "compose.yaml") << stack::bench::generate_compose(services);
  }
  ~TempProject() { std::filesystem::remove_all(dir); }
};

stack::compose::LoadOptions options_for(const TempProject& p) {
  stack::compose::LoadOptions opts;
  opts.working_dir = p.dir.string();
  opts.environment = {{"TAG", "1.0"}, {"HOME", "/root"}};
  return opts;
}

void BM_LoadProject(benchmark::State& state) {
  TempProject project(static_cast<int>(state.range(0)));
  auto opts = options_for(project);
  for (auto _ : state) {
    auto loaded = stack::compose::load_project(opts);
    if (!loaded) {
      state.SkipWithError(loaded.error().to_string().c_str());
      return;
    }
    benchmark::DoNotOptimize(loaded->services.size());
  }
  state.SetLabel(std::to_string(state.range(0)) + " services");
}
BENCHMARK(BM_LoadProject)->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMillisecond);

void BM_LoadAndPrint(benchmark::State& state) {
  TempProject project(static_cast<int>(state.range(0)));
  auto opts = options_for(project);
  for (auto _ : state) {
    auto loaded = stack::compose::load_project(opts);
    if (!loaded) {
      state.SkipWithError(loaded.error().to_string().c_str());
      return;
    }
    auto text = stack::compose::emit_yaml(stack::compose::encode_project(*loaded));
    benchmark::DoNotOptimize(text.size());
  }
}
BENCHMARK(BM_LoadAndPrint)->Arg(500)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
