// A plain main() for the fuzz targets, for builds without libFuzzer (g++, the ASan build): runs
// every file named on the command line, or found in a directory named on it, through
// LLVMFuzzerTestOneInput once. ctest uses it to re-check the seed corpus and past crashes
// (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/) on every build; a broken
// invariant aborts (see fuzz_support.h). Directories that do not exist are skipped (a target may
// have no regression yet), but at least one input must be run.
//
// Usage: fuzz_<target> [FILE|DIR]...  (the same as the libFuzzer binary, minus the fuzzing)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
  std::fprintf(stderr, "running %s (%zu bytes)\n", path.c_str(), bytes.size());
  // A copy exactly as large as the input, so that reading past it is an ASan error.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int a = 1; a < argc; ++a) {
    const fs::path arg(argv[a]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        if (!run_file(f)) return 1;
        ++runs;
      }
    } else if (fs::exists(arg, ec)) {
      if (!run_file(arg)) return 1;
      ++runs;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "no input found\n");
    return 1;
  }
  std::fprintf(stderr, "%zu inputs passed\n", runs);
  return 0;
}
