#include "compose/shell_split.h"

namespace stack::compose {
namespace {

bool is_shell_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::unexpected<Error> invalid_command_line() { return fail("invalid command line string"); }

}  // namespace

Result<std::vector<std::string>> shell_split(std::string_view line) {
  // Whether the current word has content: none yet, plain characters, or only
  // a closed quote (so "" still yields an empty word).
  enum class Word { None, Plain, Quoted };

  std::vector<std::string> words;
  std::string buf;
  Word word = Word::None;
  bool escaped = false, single_quoted = false, double_quoted = false;
  bool back_quoted = false, dollar_quoted = false;

  for (char c : line) {
    if (escaped) {
      // go-shellwords turns \t and \n into the control characters, anything else is literal.
      if (c == 't') c = '\t';
      if (c == 'n') c = '\n';
      buf += c;
      escaped = false;
      word = Word::Plain;
      continue;
    }
    if (c == '\\') {
      if (single_quoted)
        buf += c;
      else
        escaped = true;
      continue;
    }
    bool quoted_any = single_quoted || double_quoted || back_quoted || dollar_quoted;
    if (is_shell_space(c)) {
      if (quoted_any) {
        buf += c;
      } else if (word != Word::None) {
        words.push_back(std::move(buf));
        buf.clear();
        word = Word::None;
      }
      continue;
    }
    bool stop = false;
    switch (c) {
      case '`':
        if (!single_quoted && !double_quoted && !dollar_quoted) back_quoted = !back_quoted;
        break;
      case ')':
        if (!single_quoted && !double_quoted && !back_quoted) {
          if (!dollar_quoted) return invalid_command_line();
          buf += c;
          dollar_quoted = false;
          word = Word::Plain;
          continue;
        }
        break;
      case '(':
        if (!single_quoted && !double_quoted && !back_quoted) {
          if (dollar_quoted || !buf.ends_with('$')) return invalid_command_line();
          dollar_quoted = true;
          buf += c;
          continue;
        }
        break;
      case '"':
        if (!single_quoted && !dollar_quoted) {
          if (double_quoted) word = Word::Quoted;
          double_quoted = !double_quoted;
          continue;
        }
        break;
      case '\'':
        if (!double_quoted && !dollar_quoted) {
          if (single_quoted) word = Word::Quoted;
          single_quoted = !single_quoted;
          continue;
        }
        break;
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        if (!quoted_any) {
          // The rest of the line is another command and is dropped, as in
          // Compose; "2>file" also drops the "2" being built.
          if (c == '>' && !buf.empty() && buf[0] >= '0' && buf[0] <= '9') word = Word::None;
          stop = true;
        }
        break;
      default:
        break;
    }
    if (stop) break;
    word = Word::Plain;
    buf += c;
  }

  if (word != Word::None) words.push_back(std::move(buf));
  if (escaped || single_quoted || double_quoted || back_quoted || dollar_quoted) return invalid_command_line();
  return words;
}

}  // namespace stack::compose
