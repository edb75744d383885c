#include "codegen/CacheFolder.h"

#include "support/Diagnostics.h"
#include "support/Files.h"
#include "support/Process.h"

#define XXH_INLINE_ALL  // header-only: the hash is all Deeper takes from libxxhash
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace deeper {
namespace {

namespace fs = std::filesystem;

/// The text of a small file, or "" when it cannot be read (a missing key is a miss, not an error).
std::string readKey(const std::string &path) {
  try {
    return readFile(path);
  } catch (const UserError &) {
    return "";
  }
}

struct Entry {
  fs::path object;
  fs::file_time_type used;
  uint64_t bytes;
};

/// The folder's entries (objects with or without their keys), least recently used first.
std::vector<Entry> entriesOf(const std::string &dir) {
  std::vector<Entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path &p = it->path();
    if (p.extension() != ".o" || !it->is_regular_file()) continue;
    std::error_code objectError, keyError;
    uint64_t bytes = it->file_size(objectError), keyBytes = fs::file_size(p.string() + ".key", keyError);
    fs::file_time_type used = it->last_write_time(objectError);
    if (!objectError) entries.push_back(Entry{p, used, bytes + (keyError ? 0 : keyBytes)});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) { return a.used < b.used; });
  return entries;
}

}  // namespace

std::string cacheDirectory() {
  std::string dir;
  if (const char *d = std::getenv("DEEPER_CACHE_DIR"); d && *d) dir = d;
  else if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x) dir = std::string(x) + "/deeper";
  else if (const char *h = std::getenv("HOME"); h && *h) dir = std::string(h) + "/.cache/deeper";
  else dir = "/tmp/deeper-cache";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(fmt::format("cannot create the kernel cache '{}': {}", dir, ec.message()));
  return dir;
}

uint64_t parseByteSize(const std::string &text, const std::string &what) {
  static const std::string units = "KMGT";
  std::string number = text;
  uint64_t unit = 1;
  if (size_t u = text.empty() ? std::string::npos : units.find(static_cast<char>(std::toupper(text.back()))); u != std::string::npos)
    unit = uint64_t{1} << (10 * (u + 1)), number.pop_back();
  bool digits = !number.empty() && number.size() <= 12 && number.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) fail(fmt::format("{} expects a size such as 500M, 2G or a number of bytes, got '{}'", what, text));
  return std::stoull(number) * unit;
}

uint64_t cacheSizeLimit() {
  const char *size = std::getenv("DEEPER_CACHE_SIZE");
  return size && *size ? parseByteSize(size, "$DEEPER_CACHE_SIZE") : uint64_t{5} << 30;
}

std::string cacheKey(const std::string &keyText) {
  XXH128_hash_t h = XXH3_128bits(keyText.data(), keyText.size());
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

bool cacheHit(const std::string &object, const std::string &keyText) {
  if (!fs::exists(object) || readKey(object + ".key") != keyText) return false;
  std::error_code ignored;  // a read-only cache still serves hits; it only ages wrongly
  fs::last_write_time(object, fs::file_time_type::clock::now(), ignored);
  return true;
}

std::string cachedObject(const std::string &object, const std::string &keyText, const std::function<void(const std::string &tmp)> &make) {
  if (cacheHit(object, keyText)) return object;
  std::string tmp = fmt::format("{}.tmp.{}", object, getpid());
  try {
    make(tmp);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  // The object first, then its key: a reader seeing the new key sees the new object too.
  fs::rename(tmp, object);
  writeFileAtomic(object + ".key", keyText);
  return object;
}

void removeOrphanedTemporaries(const std::string &dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    size_t at = name.rfind(".tmp.");
    if (at == std::string::npos) continue;
    char *rest = nullptr;
    long pid = std::strtol(name.c_str() + at + 5, &rest, 10);
    if (*rest == 0 && processIsGone(pid)) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

CacheUsage cacheUsage(const std::string &dir) {
  CacheUsage usage;
  for (const Entry &e : entriesOf(dir)) ++usage.entries, usage.bytes += e.bytes;
  return usage;
}

CacheUsage pruneCache(const std::string &dir, uint64_t maxBytes, double keepSeconds) {
  std::vector<Entry> entries = entriesOf(dir);
  uint64_t total = 0;
  for (const Entry &e : entries) total += e.bytes;
  auto keepAfter = fs::file_time_type::clock::now() - std::chrono::duration_cast<fs::file_time_type::duration>(std::chrono::duration<double>(keepSeconds));
  CacheUsage removed;
  for (const Entry &e : entries) {
    if (total <= maxBytes || e.used > keepAfter) break;
    std::error_code ignored;
    fs::remove(e.object.string() + ".key", ignored);  // the key first: a reader never trusts a key without its object
    fs::remove(e.object, ignored);
    total -= e.bytes, ++removed.entries, removed.bytes += e.bytes;
  }
  return removed;
}

}  // namespace deeper
