// libFuzzer target for every decoder of layout/: the JSON objects of a store besides segments
// (layout/metadata.h, layout/retention_state.h) and the parsing of object keys (layout/keys.h).
//
// The first input byte picks the decoder (testing/fuzz_util.h), the rest is the object's text:
//   0 DecodeGroupOffsets    offset/consumers_offset and offset/history/<time> (the same map)
//   1 DecodeTopicMetadata   topic.json
//   2 DecodeGap             gap/<start>-<end>
//   3 DecodeRetentionState  retention.json
//   4 DecodeGenerationMove  @generations/moving/<topic>.json
//   5 Keys: Parse, Classify, ParseSegment, ParseGap, ParseRestoreOffsetMap, ParseGenerationKey,
//     TopicOf on the text as a key
// Whatever the text, a decoder must return (no crash, no sanitizer report, no exception) with OK or
// Corruption / NotImplemented naming the key; whatever decodes must encode to text that decodes to
// an equal value, and a parsed key must be rebuilt by Keys into a key that parses the same.
//
// Seed mode: with KB_FUZZ_WRITE_SEEDS=<dir> the binary writes valid objects and keys and exits.
#include <cstdint>
#include <string>
#include <string_view>

#include "layout/keys.h"
#include "layout/metadata.h"
#include "layout/retention_state.h"
#include "testing/fuzz_util.h"

namespace {

using kb::Status;
namespace fuzz = kb::fuzz;
namespace layout = kb::layout;

constexpr char kKey[] = "fuzz/orders/0/offset/consumers_offset";
constexpr int kDecoders = 6;

// Decode, check the error contract; on success Encode, decode again and compare.
template <typename T, typename Decode, typename Encode>
void RoundTrip(const char* what, std::string_view text, Decode decode, Encode encode) {
  kb::Result<T> decoded = decode(kKey, text);
  fuzz::CheckError(what, decoded.status(),
                   {Status::Code::kCorruption, Status::Code::kNotImplemented});
  if (!decoded.ok()) {
    if (decoded.status().subject() != kKey) fuzz::Fail(what, decoded.status().ToString());
    return;
  }
  const std::string encoded = encode(*decoded);
  kb::Result<T> again = decode(kKey, encoded);
  if (!again.ok())
    fuzz::Fail(what, "re-encoded value does not decode: " + again.status().ToString());
  if (!(*again == *decoded)) fuzz::Fail(what, "round trip changed the value: " + encoded);
}

void FuzzKeys(std::string_view key) {
  // The key is the subject of every error, so an empty key gives an empty subject.
  const layout::Keys keys("fuzz");
  (void)keys.Classify(key);
  (void)keys.Parse(key);
  (void)keys.TopicOf(key);
  for (bool gap : {false, true}) {
    kb::Result<layout::SegmentKey> range = gap ? keys.ParseGap(key) : keys.ParseSegment(key);
    fuzz::CheckError("ParseSegment/ParseGap", range.status(),
                     {Status::Code::kCorruption, Status::Code::kInvalidArgument}, !key.empty());
    if (!range.ok()) continue;
    const std::string rebuilt =
        gap ? keys.Gap(range->topic, range->partition, range->start_offset, range->end_offset)
            : keys.Segment(range->topic, range->partition, range->start_offset, range->end_offset);
    kb::Result<layout::SegmentKey> again =
        gap ? keys.ParseGap(rebuilt) : keys.ParseSegment(rebuilt);
    if (!again.ok() || !(*again == *range)) fuzz::Fail("segment key round trip", rebuilt);
    std::optional<layout::ParsedKey> parsed = keys.Parse(rebuilt);
    if (!parsed || parsed->kind != (gap ? layout::KeyKind::kGap : layout::KeyKind::kSegment)) {
      fuzz::Fail("Parse of a rebuilt segment key", rebuilt);
    }
  }
  kb::Result<layout::Keys::RestoreMapKey> restore = keys.ParseRestoreOffsetMap(key);
  fuzz::CheckError("ParseRestoreOffsetMap", restore.status(),
                   {Status::Code::kCorruption, Status::Code::kInvalidArgument}, !key.empty());
  if (restore.ok()) {
    const std::string rebuilt = keys.RestoreOffsetMap(restore->topic, restore->partition,
                                                      restore->cluster_id, restore->target_topic);
    kb::Result<layout::Keys::RestoreMapKey> again = keys.ParseRestoreOffsetMap(rebuilt);
    if (!again.ok() || again->topic != restore->topic || again->partition != restore->partition ||
        again->cluster_id != restore->cluster_id || again->target_topic != restore->target_topic) {
      fuzz::Fail("restore key round trip", rebuilt);
    }
  }
  std::optional<layout::Keys::GenerationKey> generation = keys.ParseGenerationKey(key);
  if (generation) {
    const std::string rebuilt =
        keys.Generation(generation->generation).TopicMetadata(generation->topic);
    std::optional<layout::Keys::GenerationKey> again = keys.ParseGenerationKey(rebuilt);
    if (!again || again->generation != generation->generation ||
        again->topic != generation->topic) {
      fuzz::Fail("generation key round trip", rebuilt);
    }
  }
}

void WriteSeeds(fuzz::SeedWriter& w) {
  w.Put(0, layout::EncodeGroupOffsets({}));
  w.Put(0, layout::EncodeGroupOffsets({{"group-a", 100}, {"group-b", 0}, {"g\u00e9", 1LL << 40}}));
  w.Put(1, layout::EncodeTopicMetadata(
               {.topic = "orders",
                .topic_id = "MkU3OEVBNTcwNTJENDM2Qg",
                .partitions = 6,
                .replication_factor = 3,
                .configs = {{"cleanup.policy", "compact"}, {"retention.ms", "604800000"}},
                .updated_at_ms = 1700000000000}));
  w.Put(1, layout::EncodeTopicMetadata({.topic = "t", .partitions = 1}));
  w.Put(2, layout::EncodeGap({.reason = "retention", .detected_at_ms = 1700000000000}));
  layout::RetentionState state;
  w.Put(3, layout::EncodeRetentionState(state));
  state.missing_since_ms = 1700000000000;
  state.expired[0] = {{0, 99, 1700000000000}, {100, 199, 1700000000001}};
  state.expired[7] = {{5, 5, 0}};
  w.Put(3, layout::EncodeRetentionState(state));
  w.Put(4, layout::EncodeGenerationMove({.topic = "orders",
                                         .generation = 1700000000000,
                                         .reason = "topic re-created",
                                         .started_at_ms = 1700000000001,
                                         .objects = {"0/00000000000000000000-00000000000000000009",
                                                     "topic.json", "0/offset/consumers_offset"}}));
  w.Put(4, layout::EncodeGenerationMove({.topic = "t"}));
  const layout::Keys keys("fuzz");
  for (const std::string& key :
       {keys.Segment("orders", 0, 0, 99), keys.Gap("orders", 3, 100, 199),
        keys.ConsumerOffsets("orders", 2), keys.ConsumerOffsetsHistory("orders", 2, 1700000000000),
        keys.TopicMetadata("orders"), keys.RetentionState("orders"),
        keys.RestoreOffsetMap("orders", 1, "MkU3OEVBNTcwNTJENDM2Qg", "orders-restored"),
        keys.GenerationMove("orders"), keys.Generation(1700000000000).Segment("orders", 0, 5, 9)}) {
    w.Put(5, key);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  fuzz::WriteSeedsIfAsked(WriteSeeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Selector in = fuzz::Select(data, size, kDecoders);
  switch (in.index) {
    case 0:
      RoundTrip<layout::GroupOffsets>("DecodeGroupOffsets", in.rest, layout::DecodeGroupOffsets,
                                      layout::EncodeGroupOffsets);
      break;
    case 1:
      RoundTrip<layout::TopicMetadata>("DecodeTopicMetadata", in.rest, layout::DecodeTopicMetadata,
                                       layout::EncodeTopicMetadata);
      break;
    case 2:
      RoundTrip<layout::GapRecord>("DecodeGap", in.rest, layout::DecodeGap, layout::EncodeGap);
      break;
    case 3:
      RoundTrip<layout::RetentionState>("DecodeRetentionState", in.rest,
                                        layout::DecodeRetentionState, layout::EncodeRetentionState);
      break;
    case 4:
      RoundTrip<layout::GenerationMove>("DecodeGenerationMove", in.rest,
                                        layout::DecodeGenerationMove, layout::EncodeGenerationMove);
      break;
    case 5:
      FuzzKeys(in.rest);
      break;
    default:
      break;
  }
  return 0;
}
