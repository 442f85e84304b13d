// The program bench/noise_bench.sh times: one CPU-bound Google Benchmark
// (xorshift rounds). QGATE_BENCH_SLOWDOWN=1.5 makes it do 1.5 times the
// work: a real slow-down, as a change to the code would make.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>

namespace {

std::uint64_t rounds_of_xorshift(std::uint64_t rounds) {
  std::uint64_t x = 88172645463325252ull;
  for (std::uint64_t i = 0; i < rounds; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

void BM_Xorshift(benchmark::State& state) {
  const char* slowdown = std::getenv("QGATE_BENCH_SLOWDOWN");
  const double factor = slowdown != nullptr ? std::atof(slowdown) : 1.0;
  const auto rounds = static_cast<std::uint64_t>(10000 * (factor > 0 ? factor : 1.0));
  for (auto _ : state) benchmark::DoNotOptimize(rounds_of_xorshift(rounds));
}
BENCHMARK(BM_Xorshift);

}  // namespace

BENCHMARK_MAIN();
