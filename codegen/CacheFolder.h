// The kernel cache's folder: entries, the keys that vouch for them, and eviction.
//
//   <cache>/<key>.o       an entry: a compiled kernel, Halide runtime or Deeper runtime object
//   <cache>/<key>.o.key   everything that decided it (canonical kernel text, target, versions)
//
// <key> is the XXH3-128 hash of the .key text (libxxhash). A hit needs both files and the same
// text, so a damaged entry or a hash collision is compiled again, never linked. Each hit touches the
// object: eviction removes the least recently used entries first until the folder fits its size
// limit, after every compile (entries used in the last ten minutes stay: a build may be linking
// them) and on `deeper cache --prune`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace deeper {

/// $DEEPER_CACHE_DIR, else $XDG_CACHE_HOME/deeper, else ~/.cache/deeper (created when missing).
std::string cacheDirectory();

/// The size the cache is pruned to after a compile: $DEEPER_CACHE_SIZE (e.g. 500M, 2G), else 5 GiB.
uint64_t cacheSizeLimit();

/// "500M", "2G", "1024K" or plain bytes; UserError naming `what` otherwise.
uint64_t parseByteSize(const std::string &text, const std::string &what);

/// The key of the entry for `keyText`: its XXH3-128 hash, 32 hex digits.
std::string cacheKey(const std::string &keyText);

/// Whether `object` is there for `keyText` (and, when it is, marked as just used).
bool cacheHit(const std::string &object, const std::string &keyText);

/// Makes the entry `object` for `keyText` unless it is a hit: `make` writes a temporary file, renamed
/// into place only when complete (the key after it), so a killed or failed compile never leaves half
/// an entry. Returns `object`.
std::string cachedObject(const std::string &object, const std::string &keyText, const std::function<void(const std::string &tmp)> &make);

/// Removes `.tmp.PID` files whose process is gone: a compile killed while writing them.
void removeOrphanedTemporaries(const std::string &dir);

struct CacheUsage {
  size_t entries = 0;
  uint64_t bytes = 0;
};

CacheUsage cacheUsage(const std::string &dir);

/// Entries used this recently stay when a compile prunes the cache: another build may be linking them.
constexpr double kRecentlyUsedSeconds = 600;

/// Removes the least recently used entries until the folder holds at most `maxBytes`, keeping those
/// used within `keepSeconds`; returns what was removed.
CacheUsage pruneCache(const std::string &dir, uint64_t maxBytes, double keepSeconds);

}  // namespace deeper
