#include "ops/copy.h"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <array>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/parallel.h"
#include "format/segment_decoder.h"
#include "report/report_text.h"

namespace kb::ops {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest Sha256(std::string_view data) {
  Digest d;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

// Immutable objects: named by what they hold, never rewritten (a copy may skip them).
bool Immutable(const layout::Keys& keys, const std::string& key) {
  layout::KeyKind kind = keys.Classify(key);
  if (std::optional<layout::Keys::GenerationKey> g = keys.ParseGenerationKey(key)) {
    kind = keys.Generation(g->generation).Classify(key);
  }
  return kind == layout::KeyKind::kSegment || kind == layout::KeyKind::kGap ||
         kind == layout::KeyKind::kConsumerOffsetsHistory;
}

bool IsSegment(const layout::Keys& keys, const std::string& key) {
  if (std::optional<layout::Keys::GenerationKey> g = keys.ParseGenerationKey(key)) {
    return keys.Generation(g->generation).Classify(key) == layout::KeyKind::kSegment;
  }
  return keys.Classify(key) == layout::KeyKind::kSegment;
}

// Copies one object; `skipped` tells whether it was already there.
Status CopyOne(storage::ObjectStore& from, const layout::Keys& from_keys, storage::ObjectStore& to,
               const storage::ObjectInfo& object, const std::string& target, bool* skipped,
               uint64_t* bytes) {
  *skipped = false;
  if (Immutable(from_keys, object.key)) {
    Result<uint64_t> there = to.Head(target);
    if (there.ok() && *there == object.size) {
      *skipped = true;
      return Status::OK();
    }
    if (!there.ok() && !there.status().IsNotFound()) return there.status();
  }
  Result<std::string> data = from.Get(object.key);
  if (!data.ok()) {
    // Deleted since it was listed (prune, a daemon's rewrite of a small object): nothing to copy.
    if (data.status().IsNotFound()) {
      *skipped = true;
      return Status::OK();
    }
    return data.status();
  }
  if (IsSegment(from_keys, object.key)) {
    KB_RETURN_IF_ERROR(format::VerifySegmentStructure(object.key, *data).status());
  }
  const Digest sent = Sha256(*data);
  *bytes = data->size();
  KB_RETURN_IF_ERROR(to.Put(target, *data));
  data->clear();
  data->shrink_to_fit();
  KB_ASSIGN_OR_RETURN(std::string back, to.Get(target));
  if (Sha256(back) != sent) {
    return Status::Corruption(target, "read back after the copy, it differs from " + object.key +
                                          " (" + std::to_string(back.size()) + " bytes, " +
                                          std::to_string(*bytes) + " written)");
  }
  return Status::OK();
}

}  // namespace

Result<CopyReport> CopyStore(storage::ObjectStore& from, const layout::Keys& from_keys,
                             storage::ObjectStore& to, const layout::Keys& to_keys,
                             const CopyOptions& options) {
  const std::string from_root = from_keys.Root(), to_root = to_keys.Root();
  std::vector<storage::ObjectInfo> objects;
  if (options.topics.empty()) {
    KB_ASSIGN_OR_RETURN(objects, storage::ListAll(from, from_root));
  } else {
    for (const std::string& topic : options.topics) {
      KB_ASSIGN_OR_RETURN(auto listed, storage::ListAll(from, from_keys.TopicPrefix(topic)));
      objects.insert(objects.end(), listed.begin(), listed.end());
    }
    // The topics' archived generations (<prefix>/@generations/<n>/<topic>/...).
    KB_ASSIGN_OR_RETURN(auto archived, storage::ListAll(from, from_keys.GenerationsRoot()));
    for (storage::ObjectInfo& o : archived) {
      std::optional<layout::Keys::GenerationKey> g = from_keys.ParseGenerationKey(o.key);
      if (g && std::find(options.topics.begin(), options.topics.end(), g->topic) !=
                   options.topics.end()) {
        objects.push_back(std::move(o));
      }
    }
  }
  CopyReport report;
  report.listed = objects.size();
  std::mutex mu;
  uint64_t done = 0;
  ParallelFor(objects.size(), std::max<size_t>(options.parallelism, 1), [&](size_t i) {
    const storage::ObjectInfo& o = objects[i];
    const std::string target = to_root + o.key.substr(from_root.size());
    bool skipped = false;
    uint64_t bytes = 0;
    Status s = CopyOne(from, from_keys, to, o, target, &skipped, &bytes);
    std::lock_guard lock(mu);
    if (!s.ok()) {
      spdlog::error("copy of {}: {}", o.key, s.ToString());
      report.failed.push_back(s.subject() == o.key ? s : s.WithContext("copying " + o.key));
    } else if (skipped) {
      ++report.skipped;
    } else {
      ++report.copied;
      report.bytes_copied += bytes;
    }
    ++done;
    if (options.on_progress) options.on_progress(done, objects.size());
  });
  return report;
}

std::string FormatCopyReport(const CopyReport& report) {
  std::string out = "copied " + report::Count(report.copied, "object") + " (" +
                    report::FormatBytes(report.bytes_copied) + "), " +
                    report::Count(report.skipped, "object") + " already there, " +
                    report::Count(report.failed.size(), "failure") + " (" +
                    report::Count(report.listed, "object") + " listed)\n";
  for (const Status& s : report.failed) out += "failed: " + s.ToString() + "\n";
  return out;
}

std::string FormatCopyReportJson(const CopyReport& report) {
  nlohmann::json failed = nlohmann::json::array();
  for (const Status& s : report.failed) failed.push_back(s.ToString());
  return nlohmann::json{{"listed", report.listed},
                        {"copied", report.copied},
                        {"skipped", report.skipped},
                        {"bytes_copied", report.bytes_copied},
                        {"failed", failed}}
             .dump(2) +
         "\n";
}

}  // namespace kb::ops
