#include "storage/http/http_batch.h"

#include <cctype>
#include <cstdio>
#include <random>

#include "common/ascii.h"

namespace kb::storage::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Takes one line (ending in "\n", a "\r" before it dropped) from the front of `*text`.
bool NextLine(std::string_view* text, std::string_view* line) {
  if (text->empty()) return false;
  const size_t nl = text->find('\n');
  *line = text->substr(0, nl);
  text->remove_prefix(nl == std::string_view::npos ? text->size() : nl + 1);
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  return true;
}

// Header lines up to the first empty line; a line without ':' is skipped.
HeaderList ReadHeaders(std::string_view* text) {
  HeaderList out;
  std::string_view line;
  while (NextLine(text, &line) && !line.empty()) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.emplace_back(AsciiLower(Trim(line.substr(0, colon))),
                     std::string(Trim(line.substr(colon + 1))));
  }
  return out;
}

}  // namespace

std::string_view HeaderValue(const HeaderList& headers, std::string_view lower_name) {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

std::string MultipartBoundary(std::span<const std::string_view> texts) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  for (;;) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "kb_%016llx%016llx", static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()));
    bool clash = false;
    for (std::string_view t : texts) clash = clash || t.find(buf) != std::string_view::npos;
    if (!clash) return buf;
  }
}

std::string BuildHttpBatch(std::string_view boundary, std::span<const BatchPart> parts) {
  std::string out;
  for (const BatchPart& p : parts) {
    out.append("--").append(boundary);
    out += "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n";
    out += "Content-ID: " + p.content_id + "\r\n\r\n";
    out += p.method + " " + p.target + " HTTP/1.1\r\n";
    for (const auto& [name, value] : p.headers) out += name + ": " + value + "\r\n";
    // The empty line ending the headers, then the line end that belongs to the next delimiter
    // (RFC 2046): without it a strict reader finds no end of the embedded request's headers.
    out += "\r\n\r\n";
  }
  out.append("--").append(boundary).append("--\r\n");
  return out;
}

Result<std::vector<BatchPartAnswer>> ParseHttpBatch(std::string_view subject,
                                                    std::string_view content_type,
                                                    std::string_view body) {
  auto bad = [&](const std::string& why) {
    return Status::Permanent(subject, "malformed batch answer: " + why);
  };
  const std::string ct = AsciiLower(content_type);
  const size_t b = ct.find("boundary=");
  if (!ct.starts_with("multipart/mixed") || b == std::string::npos) {
    return bad("the Content-Type '" + std::string(content_type.substr(0, 100)) +
               "' is not multipart/mixed with a boundary");
  }
  std::string_view boundary = Trim(content_type.substr(b + 9));
  boundary = Trim(boundary.substr(0, boundary.find(';')));
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') {
    boundary = boundary.substr(1, boundary.size() - 2);
  }
  if (boundary.empty()) return bad("the multipart boundary is empty");
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<BatchPartAnswer> out;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return bad("no part starts with the boundary");
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    const size_t next = body.find(delimiter, pos);
    if (next == std::string_view::npos) return bad("it is cut short (no closing boundary)");
    std::string_view part = body.substr(pos, next - pos);
    pos = next;

    std::string_view line;
    NextLine(&part, &line);  // the rest of the delimiter's line
    BatchPartAnswer a;
    a.content_id = std::string(HeaderValue(ReadHeaders(&part), "content-id"));
    // The embedded answer: "HTTP/1.1 202 Accepted", headers, an empty line, a body.
    if (!NextLine(&part, &line) || !line.starts_with("HTTP/")) {
      return bad("a part has no HTTP status line");
    }
    const size_t sp = line.find(' ');
    const std::string_view rest = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    const size_t sp2 = rest.find(' ');
    const std::string_view code = rest.substr(0, sp2);
    if (code.size() != 3 || !std::isdigit(static_cast<unsigned char>(code[0])) ||
        !std::isdigit(static_cast<unsigned char>(code[1])) ||
        !std::isdigit(static_cast<unsigned char>(code[2]))) {
      return bad("the status line '" + std::string(line.substr(0, 60)) + "' has no status code");
    }
    a.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (sp2 != std::string_view::npos) a.reason = std::string(Trim(rest.substr(sp2 + 1)));
    a.headers = ReadHeaders(&part);
    while (!part.empty() && (part.back() == '\r' || part.back() == '\n')) part.remove_suffix(1);
    a.body = std::string(part);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace kb::storage::http
