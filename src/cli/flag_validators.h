// CLI11 validators for flag values that have a domain of their own (topic names, topic patterns,
// cluster ids, group patterns), so that a bad value is a usage error naming the flag
// ("--topic: 'a/b': illegal character '/' ...") before any store or cluster is touched.
//
// Thread-safety: stateless.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace kb::cli {

// A Kafka topic name (layout::ValidateTopicName); the empty string is refused too.
CLI::Validator TopicNameValidator();
// A topic name, or a regular expression (common/name_pattern.h) when it starts with '^'.
CLI::Validator TopicPatternValidator();
// A Kafka cluster id (layout::ValidateClusterId).
CLI::Validator ClusterIdValidator();
// A consumer group id, or a regular expression when it starts with '^': not empty.
CLI::Validator GroupPatternValidator();

// A decimal integer in [min, max]: no sign where min >= 0, no exponent, no silent saturation of
// values that do not fit (CLI11's own conversion clamps 9223372036854775808 to INT64_MAX).
CLI::Validator IntegerValidator(int64_t min, int64_t max);
// Any value but the empty string (for flags where "" would mean "not given").
CLI::Validator NonEmptyValidator();

}  // namespace kb::cli
