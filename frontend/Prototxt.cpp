#include "frontend/Prototxt.h"

#include "ir/Attr.h"

#include <cctype>

namespace deeper::prototxt {
namespace {

/// Caffe's messages nest four deep; a limit keeps a hostile file from overflowing the stack of the
/// recursive reader (and of the destructor of the tree it builds).
constexpr int kMaxNesting = 100;

class Reader {
 public:
  explicit Reader(const std::shared_ptr<const SourceFile> &file) : file_(file), text_(file->text) {}

  Message run() {
    Message m = message(/*nested=*/false);
    return m;
  }

 private:
  SourceLoc here(int length = 1) const { return SourceLoc{file_, line_, static_cast<int>(pos_ - lineStart_) + 1, length}; }

  void skipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        if (c == '\n') {
          ++line_;
          lineStart_ = pos_ + 1;
        }
        ++pos_;
      } else {
        break;
      }
    }
  }

  bool at(char c) {
    skipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  std::string identifier() {
    skipSpace();
    size_t begin = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' ||
                                   text_[pos_] == '.' || text_[pos_] == '-' || text_[pos_] == '+'))
      ++pos_;
    if (begin == pos_) failAt(here(), pos_ < text_.size() ? fmt::format("unexpected '{}'", text_[pos_]) : "unexpected end of file",
                              "expected a field name or value");
    return text_.substr(begin, pos_ - begin);
  }

  std::string quoted() {
    char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\n') break;
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (pos_ >= text_.size() || text_[pos_] != quote) failAt(here(), "unterminated string", "close it with a quote on the same line");
    ++pos_;
    return out;
  }

  Message message(bool nested) {
    Message m;
    m.loc = here();
    while (true) {
      skipSpace();
      if (pos_ >= text_.size()) {
        if (nested) failAt(here(), "unexpected end of file", "expected '}' to close the message");
        return m;
      }
      if (text_[pos_] == '}') {
        if (!nested) failAt(here(), "unexpected '}'");
        ++pos_;
        return m;
      }
      m.fields.push_back(field());
    }
  }

  Field field() {
    Field f;
    f.loc = here();
    f.name = identifier();
    f.loc.length = static_cast<int>(f.name.size());
    bool colon = at(':');
    if (colon) ++pos_;
    if (at('{')) {
      if (++depth_ > kMaxNesting) failAt(here(), fmt::format("messages nest more than {} deep", kMaxNesting), "a Caffe network nests a few levels");
      ++pos_;
      f.message = std::make_shared<Message>(message(/*nested=*/true));
      --depth_;
      return f;
    }
    if (!colon) failAt(here(), fmt::format("expected ':' or '{{' after '{}'", f.name));
    skipSpace();
    if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
      f.value = quoted();
      f.isString = true;
    } else {
      f.value = identifier();
    }
    return f;
  }

  std::shared_ptr<const SourceFile> file_;
  const std::string &text_;
  size_t pos_ = 0, lineStart_ = 0;
  int line_ = 1;
  int depth_ = 0;
};

}  // namespace

std::vector<const Field *> Message::all(const std::string &name) const {
  std::vector<const Field *> out;
  for (const Field &f : fields)
    if (f.name == name) out.push_back(&f);
  return out;
}

const Field *Message::first(const std::string &name) const {
  for (const Field &f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

std::string Message::scalar(const std::string &name, const std::string &fallback) const {
  const Field *f = first(name);
  return f && !f->message ? f->value : fallback;
}

int64_t Message::integer(const std::string &name, int64_t fallback) const {
  const Field *f = first(name);
  if (!f) return fallback;
  auto v = parseAttrValue(AttrType::Int, f->value);
  if (!v || f->message) failAt(f->loc, fmt::format("'{}' must be an integer, got '{}'", name, f->value));
  return std::get<int64_t>(*v);
}

double Message::number(const std::string &name, double fallback) const {
  const Field *f = first(name);
  if (!f) return fallback;
  auto v = parseAttrValue(AttrType::Float, f->value);
  if (!v || f->message) failAt(f->loc, fmt::format("'{}' must be a number, got '{}'", name, f->value));
  return std::get<double>(*v);
}

Message parse(const std::shared_ptr<const SourceFile> &file) { return Reader(file).run(); }

}  // namespace deeper::prototxt
