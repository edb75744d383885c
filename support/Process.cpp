#include "support/Process.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace deeper {
namespace {

constexpr size_t kKeptOutput = 64 * 1024;

/// The child: its own process group (so a timeout kills what it started too), output into `pipeOut`.
[[noreturn]] void execChild(const std::vector<std::string> &argv, int pipeOut) {
  setpgid(0, 0);
  dup2(pipeOut, 1);
  dup2(pipeOut, 2);
  std::vector<char *> args;
  for (const std::string &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());  // a name without a slash is looked up on PATH
  std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

void keepTail(std::string &output, const char *data, size_t size) {
  output.append(data, size);
  if (output.size() > 2 * kKeptOutput) output.erase(0, output.size() - kKeptOutput);
}

}  // namespace

bool processIsGone(long pid) { return pid > 0 && pid <= INT32_MAX && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

std::string shellQuoted(const std::string &word) {
  if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+-@%") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ProcessResult::describe() const {
  switch (ending) {
    case Ending::Exited: return fmt::format("exit status {}", code);
    case Ending::Signalled: return fmt::format("killed by signal {} ({})", code, strsignal(code));
    case Ending::TimedOut: return fmt::format("no answer within {:.0f} s: killed", seconds);
    case Ending::NotStarted: break;
  }
  return "could not be started";
}

ProcessResult runProcess(const std::vector<std::string> &argv, double timeoutSeconds) {
  ProcessResult result;
  int fds[2];
  if (argv.empty() || pipe2(fds, O_CLOEXEC) != 0) return result;
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    return result;
  }
  if (pid == 0) execChild(argv, fds[1]);
  close(fds[1]);
  setpgid(pid, pid);  // also here, so the group exists whichever process runs first
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  bool open = true, timedOut = false, exited = false;
  int status = 0;
  char buffer[4096];
  while (!exited) {
    double left = timeoutSeconds - elapsed();
    if (left <= 0) {
      timedOut = true;
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    if (open) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(std::min(left, 0.2) * 1000) + 1) > 0) {
        ssize_t n = read(fds[0], buffer, sizeof buffer);
        if (n > 0) keepTail(result.output, buffer, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR) open = false;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // output closed, the child still running
    }
    exited = waitpid(pid, &status, WNOHANG) == pid;
  }
  kill(-pid, SIGKILL);  // whatever it left running, which could hold the pipe open
  while (open) {  // what the child wrote just before it ended
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n > 0) keepTail(result.output, buffer, static_cast<size_t>(n));
    else open = false;
  }
  close(fds[0]);
  result.seconds = elapsed();
  if (result.output.size() > kKeptOutput) result.output.erase(0, result.output.size() - kKeptOutput);
  if (timedOut) result.ending = ProcessResult::Ending::TimedOut;
  else if (WIFSIGNALED(status)) result.ending = ProcessResult::Ending::Signalled, result.code = WTERMSIG(status);
  else result.ending = ProcessResult::Ending::Exited, result.code = WEXITSTATUS(status);
  return result;
}

}  // namespace deeper
