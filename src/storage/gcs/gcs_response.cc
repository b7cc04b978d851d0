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

}  // namespace kb::storage::gcs
