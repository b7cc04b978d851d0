#include "restore/restore_test_util.h"

#include <gtest/gtest.h>

#include "kafka/admin.h"
#include "restore/plan.h"
#include "restore/target_reader.h"

namespace kb::restore::testutil {

using namespace std::chrono_literals;

Result<RestoreReport> Restore(storage::ObjectStore& store, const layout::Keys& keys,
                              const std::string& bootstrap, const RestoreSelection& selection,
                              RestoreOptions options, kafka::Properties props) {
  KB_ASSIGN_OR_RETURN(RestorePlan plan,
                      PlanRestore(store, keys, selection, {.skip_corrupt = options.skip_corrupt}));
  options.checkpoint_interval =
      std::min(options.checkpoint_interval, std::chrono::milliseconds(200));
  props["bootstrap.servers"] = bootstrap;
  return RunRestore(store, keys, props, plan, selection, options);
}

int64_t EndOffsetSum(const std::string& bootstrap, const std::string& topic, int partitions) {
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  if (!admin.ok()) return 0;
  int64_t n = 0;
  for (int p = 0; p < partitions; ++p) {
    auto wm = (*admin)->QueryWatermarks(topic, p, std::chrono::seconds(10));
    if (wm.ok()) n += wm->high;
  }
  return n;
}

std::vector<format::Record> ReadAll(const std::string& bootstrap, const std::string& topic,
                                    int32_t partition) {
  std::vector<format::Record> out;
  auto admin = kafka::Admin::Make({{"bootstrap.servers", bootstrap}});
  EXPECT_TRUE(admin.ok());
  if (!admin.ok()) return out;
  auto wm = (*admin)->QueryWatermarks(topic, partition, 30s);
  EXPECT_TRUE(wm.ok()) << wm.status().ToString();
  if (!wm.ok()) return out;
  Status s = ReadTargetRange(
      {{"bootstrap.servers", bootstrap}}, topic, partition, wm->low, wm->high,
      [&](const format::RecordView& r) {
        out.push_back(format::Record::FromView(r));
        return Status::OK();
      },
      60s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

const PartitionResult* Find(const RestoreReport& report, const std::string& topic,
                            int32_t partition) {
  for (const PartitionResult& p : report.partitions) {
    if (p.source_topic == topic && p.partition == partition) return &p;
  }
  ADD_FAILURE() << "no result for " << topic << "/" << partition;
  return nullptr;
}

}  // namespace kb::restore::testutil
