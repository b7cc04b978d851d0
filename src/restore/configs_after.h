// The LogAppendTime switch of a restore (restorer.h, "Timestamps"): a target whose backup says
// message.timestamp.type=LogAppendTime is produced as CreateTime and switched at the end. These
// functions keep that promise in the restore records (configs_after_restore, offset_map_store.h)
// so that a rerun after a kill still switches, and do the switch once every planned partition of
// the target is complete.
//
// Ownership: borrow everything for the call. Thread-safety: call from one thread (they read and
// write restore records that the partition workers do not touch at that time: before the topics
// are created, and after every worker is done). Failure contract: store errors pass through;
// FinishConfigsAfter reports into the RestoreReport (topic_errors, warnings) instead.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "kafka/admin.h"
#include "restore/offset_map_store.h"
#include "restore/plan.h"
#include "restore/restorer.h"

namespace kb::restore {

// Before a target that gets `configs` at the end is created: every planned partition's restore
// record carries them (a new record with an empty map starting at 0, the target's end once it is
// created; an existing record of the same selection keeps its map). Reshaping (`partitions` > 0):
// a new record only for the topic's first planned partition. A record of another selection is
// left alone: that partition fails with the selection mismatch.
Status RecordConfigsAfter(OffsetMapStore& records, const std::string& cluster_id,
                          const TopicPlan& t, const kafka::TopicConfigs& configs,
                          int32_t partitions);

// At the end of the run: sets the configs owed to each target whose planned partitions are all
// complete (see "Timestamps"), then removes them from its records; or says why not (a warning
// for incomplete partitions, a topic error for a failed switch).
void FinishConfigsAfter(kafka::Admin& admin, OffsetMapStore& records, const RestorePlan& plan,
                        const TargetCheck& check, const RestoreOptions& options,
                        RestoreReport* report);

}  // namespace kb::restore
