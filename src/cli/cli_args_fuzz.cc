// libFuzzer target for the command-line values kafka-backup parses itself. The first input byte
// picks the parser (testing/fuzz_util.h):
//   0 report::ParseTimeArg             --from / --to of restore, ls and status (ms or ISO-8601 UTC)
//   1 a restore selection           one flag per line, the line's first character naming it:
//                                   t --topic (name or ^regex: restore::CheckPatternList; every
//                                   pattern is compiled and matched, RE2 being linear), f
//                                   --from, u --to, o --offsets
//                                   (restore::ParseOffsetsArg), r --rename (ParseRenameArg),
//                                   p --target-prefix; then RestoreSelection::Check, and for a
//                                   valid selection MatchesTopic, TargetTopic and Describe
//   2 metrics::ParseListenAddress   metrics.listen / --metrics-listen
//   3 restore::ParseExcludedKeys    the file of --exclude-keys: a list either fails naming the flag
//                                   or has keys and a 64-digit digest that the same keys written
//                                   back as base64 lines (in reverse order) reproduce
// Whatever the text, a parser must return (no crash, no sanitizer report, no exception) with a
// value or InvalidArgument naming the flag or key. A parsed time must survive FormatTimeMs +
// ParseTimeArg, and a parsed listen address its ToString + ParseListenAddress.
//
// Seed mode: with KB_FUZZ_WRITE_SEEDS=<dir> the binary writes typical arguments and exits.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metrics_server.h"
#include "report/report_text.h"
#include "restore/excluded_keys.h"
#include "restore/selection.h"
#include "testing/fuzz_util.h"

namespace {

using kb::Status;
namespace fuzz = kb::fuzz;

constexpr int kParsers = 4;
void CheckInvalidArgument(const char* what, const Status& s) {
  fuzz::CheckError(what, s, {Status::Code::kInvalidArgument}, /*need_subject=*/false);
}

void FuzzTime(std::string_view text) {
  kb::Result<int64_t> ms = kb::report::ParseTimeArg(text, "--from");
  CheckInvalidArgument("ParseTimeArg", ms.status());
  if (!ms.ok()) {
    if (ms.status().subject() != "--from") fuzz::Fail("ParseTimeArg", ms.status().ToString());
    return;
  }
  const std::string shown = kb::report::FormatTimeMs(*ms);
  kb::Result<int64_t> again = kb::report::ParseTimeArg(shown, "--from");
  if (!again.ok() || *again != *ms) fuzz::Fail("ParseTimeArg(FormatTimeMs(t)) != t", shown);
}

void FuzzSelection(std::string_view text) {
  kb::restore::RestoreSelection sel;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (line.empty()) continue;
    const std::string_view value = line.substr(1);
    switch (line.front()) {
      case 't': {
        const std::vector<std::string> pattern{std::string(value)};
        const Status s = kb::restore::CheckPatternList(pattern, "--topic");
        CheckInvalidArgument("CheckPatternList", s);
        if (!s.ok()) return;
        sel.topics.push_back(pattern[0]);
        break;
      }
      case 'f':
      case 'u': {
        kb::Result<int64_t> t =
            kb::report::ParseTimeArg(value, line.front() == 'f' ? "--from" : "--to");
        CheckInvalidArgument("ParseTimeArg", t.status());
        if (!t.ok()) return;
        (line.front() == 'f' ? sel.from_ms : sel.to_ms) = *t;
        break;
      }
      case 'o': {
        const Status s = kb::restore::ParseOffsetsArg(value, &sel.offsets);
        CheckInvalidArgument("ParseOffsetsArg", s);
        if (!s.ok()) {
          if (s.subject() != "--offsets") fuzz::Fail("ParseOffsetsArg subject", s.ToString());
          return;
        }
        break;
      }
      case 'r': {
        const Status s = kb::restore::ParseRenameArg(value, &sel.rename);
        CheckInvalidArgument("ParseRenameArg", s);
        if (!s.ok()) {
          if (s.subject() != "--rename") fuzz::Fail("ParseRenameArg subject", s.ToString());
          return;
        }
        break;
      }
      case 'p':
        sel.target_prefix = std::string(value);
        break;
      default:
        return;
    }
  }
  for (const auto& [partition, range] : sel.offsets) {
    if (partition < 0 || range.first < 0 || range.last < range.first) {
      fuzz::Fail("ParseOffsetsArg accepted a bad range");
    }
  }
  const Status checked = sel.Check();
  CheckInvalidArgument("RestoreSelection::Check", checked);
  if (!checked.ok()) return;
  for (const auto& [src, dst] : sel.rename) {
    if (!sel.MatchesTopic(src)) fuzz::Fail("a checked rename's topic is not selected", src);
    if (sel.TargetTopic(src) != dst) fuzz::Fail("TargetTopic", src);
  }
  for (const char* topic : {"orders", "payments-eu", "__consumer_offsets"}) {
    (void)sel.MatchesTopic(topic);
    (void)sel.TargetTopic(topic);
  }
  (void)sel.Describe(0);
  for (const auto& [partition, range] : sel.offsets) {
    if (!sel.Describe(partition).starts_with("offsets:")) fuzz::Fail("Describe", "offsets");
    if (!sel.Selects(partition, range.first, sel.from_or_min())) fuzz::Fail("Selects");
  }
}

void FuzzListen(std::string_view text) {
  kb::Result<kb::metrics::ListenAddress> address = kb::metrics::ParseListenAddress(text);
  CheckInvalidArgument("ParseListenAddress", address.status());
  if (!address.ok()) {
    if (address.status().subject() != kb::metrics::kListenConfigKey) {
      fuzz::Fail("ParseListenAddress subject", address.status().ToString());
    }
    return;
  }
  if (address->host.empty() || address->host.find('\0') != std::string::npos) {
    fuzz::Fail("ParseListenAddress accepted a host that is not an IPv4 address", address->host);
  }
  kb::Result<kb::metrics::ListenAddress> again =
      kb::metrics::ParseListenAddress(address->ToString());
  if (!again.ok() || !(*again == *address)) fuzz::Fail("listen address round trip");
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

void FuzzExcludedKeys(std::string_view text) {
  kb::Result<kb::restore::ExcludedKeys> keys = kb::restore::ParseExcludedKeys(text, "f");
  CheckInvalidArgument("ParseExcludedKeys", keys.status());
  if (!keys.ok()) {
    if (keys.status().subject() != "--exclude-keys") {
      fuzz::Fail("ParseExcludedKeys subject", keys.status().ToString());
    }
    return;
  }
  if (keys->size() == 0 || keys->Digest().size() != 64) fuzz::Fail("ParseExcludedKeys empty");
  if (keys->Contains(std::nullopt)) fuzz::Fail("a null key matched");
  // Every plain or text: line is a key; written back as base64 the keys give the same digest.
  std::vector<std::string> lines;
  size_t start = 0;
  std::string_view body = text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(start, nl - start);
    start = nl + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.starts_with('#')) continue;
    std::string key;
    if (line.starts_with("base64:")) {
      std::optional<std::string> k = kb::restore::DecodeBase64(line.substr(7));
      if (!k) fuzz::Fail("accepted bad base64");
      key = *k;
    } else if (line.starts_with("text:")) {
      key = std::string(line.substr(5));
    } else {
      key = std::string(line);
    }
    if (!keys->Contains(key)) fuzz::Fail("a listed key does not match");
    lines.push_back("base64:" + Base64(key));
  }
  std::string again;
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) again += *it + "\n";
  kb::Result<kb::restore::ExcludedKeys> back = kb::restore::ParseExcludedKeys(again, "g");
  if (!back.ok() || back->Digest() != keys->Digest() || back->size() != keys->size()) {
    fuzz::Fail("base64 round trip of the keys");
  }
}

void WriteSeeds(fuzz::SeedWriter& w) {
  for (const char* t : {"1763719200000", "0", "-1", "2026-11-21", "2026-11-21T10:00:00Z",
                        "2026-11-21T10:00:00.250Z", "1970-01-01T00:00:00.000000001Z"}) {
    w.Put(0, t);
  }
  w.Put(1,
        "torders\no0=100-199\no3=0-0\nf2026-11-21\nu2026-11-22T00:00:00Z\nrorders=orders-copy\n");
  w.Put(1, "t^payments-.*\ntorders\nprestored-\nrorders=o2\nf1700000000000\n");
  w.Put(1, "");
  for (const char* l : {"127.0.0.1:9308", ":9308", "localhost:0", "0.0.0.0:65535", "[::1]:80"}) {
    w.Put(2, l);
  }
  w.Put(3, "# erasure\r\nuser-1\r\nbase64:AP8=\ntext:#x\ntext: y \nbase64:\nuser-1\n");
  w.Put(3,
        "\xEF\xBB\xBF"
        "a\nb");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  fuzz::WriteSeedsIfAsked(WriteSeeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Selector in = fuzz::Select(data, size, kParsers);
  if (in.index == 0) FuzzTime(in.rest);
  if (in.index == 1) FuzzSelection(in.rest);
  if (in.index == 2) FuzzListen(in.rest);
  if (in.index == 3) FuzzExcludedKeys(in.rest);
  return 0;
}
