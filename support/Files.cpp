#include "support/Files.h"

#include "support/Diagnostics.h"
#include "support/Process.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace deeper {
namespace {

/// Closes a file descriptor at scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

/// Reads exactly `length` bytes at `offset`; false on a short read or an error.
bool readFully(int fd, uint64_t offset, char *out, uint64_t length) {
  while (length > 0) {
    ssize_t got = pread(fd, out, length, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got, offset += static_cast<uint64_t>(got), length -= static_cast<uint64_t>(got);
  }
  return true;
}

/// The size of the regular file open at `fd`; a UserError saying `what` is not one otherwise.
uint64_t regularFileSize(int fd, const std::string &what) {
  struct stat st;
  if (fstat(fd, &st) != 0) fail(fmt::format("{}: {}", what, std::strerror(errno)));
  if (!S_ISREG(st.st_mode))
    fail(fmt::format("{} is {}, not a regular file; Deeper reads only regular files", what,
                     S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" : "a device or socket"));
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

std::string readFile(const std::string &path) {
  // O_NONBLOCK: opening a FIFO returns at once, and fstat then refuses it.
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (f.fd < 0) fail(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  uint64_t size = regularFileSize(f.fd, fmt::format("'{}'", path));
  std::string bytes(size, '\0');
  if (!readFully(f.fd, 0, bytes.data(), size)) fail(fmt::format("cannot read '{}': a read failed or the file shrank", path));
  return bytes;
}

void writeFileAtomic(const std::string &path, const std::string &bytes) {
  std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    fail(fmt::format("cannot write '{}': {}", path, std::strerror(err)));
  }
}

namespace {

/// Removes <parent>/<prefix>-<pid>-* folders of ours that nobody holds: the process is gone and no
/// process holds the folder's lock (which also covers a process in another pid namespace sharing the
/// folder). A reused pid keeps a folder until that process ends too: rare, and it costs only disk.
void removeOrphaned(const std::string &parent, const std::string &prefix) {
  std::error_code ec;
  std::filesystem::directory_iterator it(parent, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string(), path = it->path().string();
    if (name.compare(0, prefix.size() + 1, prefix + "-") != 0) continue;
    char *rest = nullptr;
    long pid = std::strtol(name.c_str() + prefix.size() + 1, &rest, 10);
    struct stat st;
    if (*rest != '-' || lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || !processIsGone(pid)) continue;
    Fd folder{open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    std::error_code ignored;
    if (folder.fd >= 0 && flock(folder.fd, LOCK_EX | LOCK_NB) == 0) std::filesystem::remove_all(path, ignored);
  }
}

/// A new folder <parent>/<prefix>-<pid>-XXXXXX, locked by this process until `lock` is closed (not
/// inherited by the processes it starts): in use. The orphans of killed processes go first. `what`
/// names the parent for an error.
std::string createLockedFolder(const std::string &parent, const std::string &prefix, int &lock, const std::string &what) {
  removeOrphaned(parent, prefix);
  std::string pattern = fmt::format("{}/{}-{}-XXXXXX", parent, prefix, getpid());
  if (!mkdtemp(pattern.data())) fail(fmt::format("cannot write in {}: {}", what, std::strerror(errno)));
  lock = open(pattern.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock >= 0) flock(lock, LOCK_EX);
  return pattern;
}

/// The staging folder of a compile in progress, for the signal handler (one compile per process).
char stagingForSignals[4096];

}  // namespace

void removeStagingOnSignal() {
  if (!stagingForSignals[0]) return;
  // Only async-signal-safe calls: the staging folder holds files, no folders, so unlinking each entry
  // and then the folder removes it.
  int dir = open(stagingForSignals, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir >= 0) {
    char entries[4096];
    for (long n; (n = syscall(SYS_getdents64, dir, entries, sizeof entries)) > 0;)
      for (long at = 0; at < n;) {
        const char *name = entries + at + 19;  // linux_dirent64: ino 8, off 8, reclen 2, type 1, then the name
        unsigned short length;
        std::memcpy(&length, entries + at + 16, sizeof length);
        if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0) unlinkat(dir, name, 0);
        at += length;
      }
    close(dir);
  }
  rmdir(stagingForSignals);
}

ScratchFolder::ScratchFolder(const std::string &prefix) { path_ = createLockedFolder("/tmp", prefix, lock_, "/tmp"); }

ScratchFolder::~ScratchFolder() {
  std::error_code ignored;  // a destructor must not throw; a leftover is removed by the next process
  std::filesystem::remove_all(path_, ignored);
  if (lock_ >= 0) close(lock_);
}

StagedFolder::StagedFolder(const std::string &folder) : folder_(folder.empty() ? "." : folder) {
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  if (ec) fail(fmt::format("cannot create '{}': {}", folder_, ec.message()));
  staging_ = createLockedFolder(folder_, ".deeper-staging", lock_, "'" + folder_ + "'");
  if (staging_.size() < sizeof stagingForSignals) std::memcpy(stagingForSignals, staging_.c_str(), staging_.size() + 1);
}

StagedFolder::~StagedFolder() {
  stagingForSignals[0] = 0;
  std::error_code ignored;  // a destructor must not throw; a leftover is removed by the next compile into the folder
  std::filesystem::remove_all(staging_, ignored);
  if (lock_ >= 0) close(lock_);
}

std::string StagedFolder::staged(const std::string &name) {
  DEEPER_CHECK(!name.empty() && name.find('/') == std::string::npos, "staged output names are file names: '{}'", name);
  if (std::find(names_.begin(), names_.end(), name) == names_.end()) names_.push_back(name);
  return staging_ + "/" + name;
}

void StagedFolder::commit() {
  // A rename over a file cannot fail on one filesystem; over a folder it does. Check those first, so
  // that a commit never stops halfway.
  for (const std::string &name : names_) {
    struct stat st;
    std::string to = folder_ + "/" + name;
    if (lstat(to.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      fail(fmt::format("cannot write '{}': a folder of that name is in the way; remove it or choose another -o", to));
  }
  for (const std::string &name : names_) {
    std::string from = staging_ + "/" + name, to = folder_ + "/" + name;
    if (std::rename(from.c_str(), to.c_str()) != 0) fail(fmt::format("cannot write '{}': {}", to, std::strerror(errno)));
  }
  names_.clear();
}

FileInFolder::FileInFolder(const std::string &folder, const std::string &relative, const std::string &what) : what_(what) {
  std::filesystem::path rel(relative);
  bool climbs = false;
  for (const auto &part : rel) climbs = climbs || part == "..";
  if (relative.empty() || rel.is_absolute() || climbs)
    fail(fmt::format("{} must be a relative path inside the model's folder (no '..')", what));
  // One component at a time, none of them a link: a link could point anywhere, and resolving the
  // path first and opening it after would race with a link swapped in between.
  Fd dir{open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0) fail(fmt::format("{}: cannot open the model's folder: {}", what, std::strerror(errno)));
  std::vector<std::string> parts;
  for (const auto &part : rel.lexically_normal())
    if (!part.empty() && part != ".") parts.push_back(part.string());
  if (parts.empty()) fail(fmt::format("{} names no file", what));
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | (last ? O_NONBLOCK : O_DIRECTORY);
    int next = openat(dir.fd, parts[i].c_str(), flags);
    if (next < 0) {
      int err = errno;
      if (err == ELOOP || err == ENOTDIR)  // O_NOFOLLOW met a link (or a file where a folder should be)
        fail(fmt::format("{}: '{}' is a symbolic link or not a folder; external data is read only from regular files "
                         "inside the model's folder, never through a link", what, parts[i]));
      fail(fmt::format("{}: cannot open it: {}", what, std::strerror(err)));
    }
    close(dir.fd);
    dir.fd = next;
  }
  size_ = regularFileSize(dir.fd, what);
  fd_ = dir.fd;
  dir.fd = -1;
}

FileInFolder::~FileInFolder() {
  if (fd_ >= 0) close(fd_);
}

std::string FileInFolder::read(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset)
    fail(fmt::format("{}: bytes {}..{} lie outside the file ({} bytes)", what_, offset, offset + length, size_));
  std::string bytes(length, '\0');
  if (!readFully(fd_, offset, bytes.data(), length)) fail(fmt::format("{}: cannot read it: it shrank while being read", what_));
  return bytes;
}

}  // namespace deeper
