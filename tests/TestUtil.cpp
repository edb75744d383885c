#include "TestUtil.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>

namespace deeper::test {

std::string sourcePath(const std::string &relative) { return std::string(DEEPER_SOURCE_DIR) + "/" + relative; }
std::string googlenetPath() { return sourcePath("models/googlenet.dnet"); }

std::string sharedFile(const std::string &relative) {
  std::string path = sourcePath("../shared/" + relative);
  if (std::filesystem::exists(path)) return path;
  MESSAGE("skipped: " << path << " is not there (a clone without ../shared beside it)");
  return "";
}

Graph parse(const std::string &text, const std::string &path) { return parseModel(text, path); }

std::string userErrorOf(const std::function<void()> &fn) {
  try {
    fn();
  } catch (const UserError &e) {
    return e.what();
  }
  FAIL("expected a UserError");
  return "";
}

CliResult runDeeper(const std::string &args) { return runShell(std::string(DEEPER_BINARY) + " " + args + " 2>&1"); }

CliResult runShell(const std::string &command) {
  FILE *pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  return CliResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

ScopedEnv::ScopedEnv(std::string name, const std::string &value) : name_(std::move(name)) {
  if (const char *old = std::getenv(name_.c_str())) previous_ = old;
  setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (previous_) setenv(name_.c_str(), previous_->c_str(), 1);
  else unsetenv(name_.c_str());
}

}  // namespace deeper::test
