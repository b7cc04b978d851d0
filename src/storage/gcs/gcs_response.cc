#include "storage/gcs/gcs_response.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace kb::storage::gcs {
namespace {

// The error body's reason and message: {"error": {"code": 404, "message": "...", "errors":
// [{"reason": "notFound", ...}]}}; a plain-text body is its own message.
void ParseErrorBody(std::string_view body, std::string* reason, std::string* message) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("error")) {
    const nlohmann::json& e = doc["error"];
    if (e.is_object()) {
      if (auto m = e.find("message"); m != e.end() && m->is_string())
        *message = m->get<std::string>();
      if (auto errs = e.find("errors");
          errs != e.end() && errs->is_array() && !errs->empty() && (*errs)[0].is_object()) {
        const nlohmann::json& first = (*errs)[0];
        if (auto r = first.find("reason"); r != first.end() && r->is_string()) {
          *reason = r->get<std::string>();
        }
      }
    } else if (e.is_string()) {
      // The OAuth2 token endpoint: {"error": "invalid_grant", "error_description": "..."}.
      *reason = e.get<std::string>();
      if (auto d = doc.find("error_description"); d != doc.end() && d->is_string()) {
        *message = d->get<std::string>();
      }
    }
    return;
  }
  std::string text(body.substr(0, 200));
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  *message = text;
}

}  // namespace

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  for (size_t pos = out.find("upload_id="); pos != std::string::npos;
       pos = out.find("upload_id=", pos + 1)) {
    if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&') continue;
    const size_t start = pos + 10;
    const size_t end = std::min(out.find('&', start), out.size());
    out.replace(start, end - start, "REDACTED");
  }
  return out;
}

Status MapGcsError(long http_status, std::string_view body, std::string_view subject,
                   std::string_view where) {
  std::string reason, message;
  ParseErrorBody(body, &reason, &message);
  std::string msg = "HTTP " + std::to_string(http_status);
  if (!reason.empty()) msg += " " + reason;
  if (!message.empty()) msg += ": " + message;
  if (!where.empty()) msg += " (" + std::string(where) + ")";
  if (http_status >= 200 && http_status < 300) return Status::OK();
  if (http_status == 408 || http_status == 429 || http_status >= 500 ||
      reason == "rateLimitExceeded" || reason == "userRateLimitExceeded") {
    return Status::Retryable(subject, msg);
  }
  if (http_status == 404) return Status::NotFound(subject, msg);
  if (http_status == 401) {
    return Status::PermissionDenied(
        subject, msg +
                     " (check the GCS credentials: storage.gcs.auth, storage.gcs.credentials_file "
                     "or GOOGLE_APPLICATION_CREDENTIALS)");
  }
  if (http_status == 403) return Status::PermissionDenied(subject, msg);
  if (http_status == 416) return Status::InvalidArgument(subject, msg);
  if (http_status == 412 || http_status == 409) return Status::FailedPrecondition(subject, msg);
  return Status::Permanent(subject, msg);
}

namespace {

Result<uint64_t> SizeOf(const nlohmann::json& doc, std::string_view key) {
  auto it = doc.find("size");
  std::string text;
  if (it != doc.end() && it->is_string()) {
    text = it->get<std::string>();
  } else if (it != doc.end() && it->is_number_unsigned()) {
    return it->get<uint64_t>();
  }
  uint64_t size = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::Permanent(key, "object metadata has no valid size ('" + text + "')");
  }
  return size;
}

}  // namespace

Result<uint64_t> ParseObjectSize(std::string_view body, std::string_view key) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::Permanent(key, "object metadata is not a JSON object");
  return SizeOf(doc, key);
}

Result<ListPage> ParseObjectList(std::string_view body, std::string_view subject) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::Permanent(subject, "object list is not a JSON object");
  ListPage page;
  if (auto items = doc.find("items"); items != doc.end()) {
    if (!items->is_array()) return Status::Permanent(subject, "object list 'items' is not a list");
    for (const nlohmann::json& item : *items) {
      auto name = item.is_object() ? item.find("name") : item.end();
      if (!item.is_object() || name == item.end() || !name->is_string()) {
        return Status::Permanent(subject, "object list has an item without a name");
      }
      ObjectInfo info{.key = name->get<std::string>()};
      KB_ASSIGN_OR_RETURN(info.size, SizeOf(item, info.key));
      page.objects.push_back(std::move(info));
    }
  }
  if (auto token = doc.find("nextPageToken"); token != doc.end()) {
    if (!token->is_string()) return Status::Permanent(subject, "nextPageToken is not a string");
    page.next_token = token->get<std::string>();
  }
  return page;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The header block of `part` up to the blank line (lower-cased) and what follows it.
void SplitHead(std::string_view part, std::string* head, std::string_view* rest) {
  size_t end = part.find("\r\n\r\n");
  size_t skip = 4;
  if (end == std::string_view::npos) {
    end = part.find("\n\n");
    skip = 2;
  }
  if (end == std::string_view::npos) {
    *head = Lower(part);
    *rest = {};
    return;
  }
  *head = Lower(part.substr(0, end));
  *rest = part.substr(end + skip);
}

}  // namespace

Result<std::vector<BatchAnswer>> ParseBatchResponse(std::string_view content_type,
                                                    std::string_view body,
                                                    std::string_view subject) {
  const std::string ct = Lower(content_type);
  size_t b = ct.find("boundary=");
  if (!ct.starts_with("multipart/mixed") || b == std::string::npos) {
    return Status::Permanent(subject, "batch answer is not multipart/mixed with a boundary ('" +
                                          std::string(content_type.substr(0, 100)) + "')");
  }
  std::string boundary(content_type.substr(b + 9));
  if (size_t semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') {
    boundary = boundary.substr(1, boundary.size() - 2);
  }
  const std::string delim = "--" + boundary;
  std::vector<BatchAnswer> out;
  size_t pos = body.find(delim);
  while (pos != std::string_view::npos) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    const size_t next = body.find(delim, pos);
    if (next == std::string_view::npos) {
      return Status::Permanent(subject, "batch answer is cut short (no closing boundary)");
    }
    std::string_view part = body.substr(pos, next - pos);
    while (!part.empty() && (part.front() == '\r' || part.front() == '\n')) part.remove_prefix(1);
    std::string head;
    std::string_view http;
    SplitHead(part, &head, &http);
    BatchAnswer a;
    if (size_t id = head.find("content-id:"); id != std::string::npos) {
      size_t r = head.find("response-", id);
      size_t eol = head.find('\n', id);
      if (r != std::string::npos && (eol == std::string::npos || r < eol)) {
        int n = 0;
        auto [p, ec] = std::from_chars(head.data() + r + 9, head.data() + head.size(), n);
        if (ec == std::errc()) a.id = n;
      }
    }
    // The inner answer: "HTTP/1.1 204 No Content", headers, blank line, body.
    if (!http.starts_with("HTTP/")) {
      return Status::Permanent(subject, "batch answer part without an HTTP status line");
    }
    const size_t sp = http.find(' ');
    auto [p, ec] = std::from_chars(http.data() + sp + 1, http.data() + http.size(), a.status);
    if (sp == std::string_view::npos || ec != std::errc()) {
      return Status::Permanent(subject, "batch answer part with a bad HTTP status line");
    }
    std::string inner_head;
    std::string_view inner_body;
    SplitHead(http, &inner_head, &inner_body);
    while (!inner_body.empty() && (inner_body.back() == '\r' || inner_body.back() == '\n')) {
      inner_body.remove_suffix(1);
    }
    a.body = std::string(inner_body);
    out.push_back(std::move(a));
    pos = next;
  }
  return out;
}

}  // namespace kb::storage::gcs
