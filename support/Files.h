// Reading and writing files. Model files and the files they point to are untrusted input (README,
// "Reliability"): nothing here blocks on a FIFO, reads a device without end, follows a link out of a
// model's folder, or leaves a half-written output behind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deeper {

/// Reads a whole regular file; UserError naming the path when it cannot, or when it is not a regular
/// file (a FIFO would block, a device could read forever).
std::string readFile(const std::string &path);

/// Writes `bytes` to a temporary beside `path` and renames it over `path`, so a failed run never leaves a
/// half-written output. UserError when the directory is not writable.
void writeFileAtomic(const std::string &path, const std::string &bytes);

/// Outputs that land in a folder together or not at all: each is written under `staged(name)`, in a
/// private folder inside the destination, and `commit()` renames them all into place. Destroyed
/// without a commit (a failed compile), it removes what was staged, so the destination keeps exactly
/// what it had before: never a new weights file beside an old executable. Interrupted (SIGINT,
/// SIGTERM), removeStagingOnSignal does the same; killed outright, its private folder
/// (.deeper-staging-<pid>-XXXXXX, locked while in use) is removed by the next compile into the folder.
class StagedFolder {
 public:
  /// Creates `folder` when missing. UserError when it cannot be created or written.
  explicit StagedFolder(const std::string &folder);
  ~StagedFolder();
  StagedFolder(const StagedFolder &) = delete;
  StagedFolder &operator=(const StagedFolder &) = delete;

  /// Where to write the output `name` (a file name, no folders) before the commit.
  std::string staged(const std::string &name);
  /// The private folder itself (for scratch files, and as an include path).
  const std::string &stagingPath() const { return staging_; }
  /// Renames every staged output into the folder, in the order they were first named.
  void commit();

 private:
  std::string folder_, staging_;
  std::vector<std::string> names_;
  int lock_ = -1;
};

/// From a signal handler: removes the staging folder of the StagedFolder alive in this process, if
/// any (async-signal-safe).
void removeStagingOnSignal();

/// A fresh private folder in /tmp for scratch files, removed with everything in it when destroyed.
/// Its name carries the creating process's id (/tmp/<prefix>-<pid>-XXXXXX) and the process holds a
/// lock on it, so the folders a killed process left behind (kill -9, a crash) are recognised and
/// removed by the next one made with the same prefix, and a live one's never are.
class ScratchFolder {
 public:
  /// UserError when /tmp is not writable.
  explicit ScratchFolder(const std::string &prefix);
  ~ScratchFolder();
  ScratchFolder(const ScratchFolder &) = delete;
  ScratchFolder &operator=(const ScratchFolder &) = delete;

  const std::string &path() const { return path_; }

 private:
  std::string path_;
  int lock_ = -1;
};

/// A regular file inside a folder, opened without following a symbolic link at any step of its
/// relative path, so it cannot lie outside the folder: what a model's external data may name.
class FileInFolder {
 public:
  /// Opens `folder`/`relative`. `relative` must be relative and free of "..". Errors are UserErrors
  /// that start with `what` (e.g. "m.onnx: tensor 'w': external data 'w.bin'").
  FileInFolder(const std::string &folder, const std::string &relative, const std::string &what);
  ~FileInFolder();
  FileInFolder(const FileInFolder &) = delete;
  FileInFolder &operator=(const FileInFolder &) = delete;

  uint64_t size() const { return size_; }
  /// Exactly `length` bytes from `offset`; the range must lie inside the file.
  std::string read(uint64_t offset, uint64_t length) const;

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string what_;
};

}  // namespace deeper
