#include "format/record.h"

namespace kb::format {

std::string_view TimestampTypeName(TimestampType type) {
  switch (type) {
    case TimestampType::kNotAvailable:
      return "NotAvailable";
    case TimestampType::kCreateTime:
      return "CreateTime";
    case TimestampType::kLogAppendTime:
      return "LogAppendTime";
  }
  return "Unknown";
}

Record Record::FromView(const RecordView& view) {
  Record r;
  r.offset = view.offset;
  r.timestamp = view.timestamp;
  r.timestamp_type = view.timestamp_type;
  if (view.key) r.key.emplace(*view.key);
  if (view.value) r.value.emplace(*view.value);
  r.headers.reserve(view.headers.size());
  for (const HeaderView& h : view.headers) {
    Header& out = r.headers.emplace_back();
    out.key.assign(h.key);
    if (h.value) out.value.emplace(*h.value);
  }
  return r;
}

RecordView Record::View(std::vector<HeaderView>* header_storage) const {
  header_storage->clear();
  header_storage->reserve(headers.size());
  for (const Header& h : headers) {
    HeaderView& v = header_storage->emplace_back();
    v.key = h.key;
    if (h.value) v.value = *h.value;
  }
  RecordView view;
  view.offset = offset;
  view.timestamp = timestamp;
  view.timestamp_type = timestamp_type;
  if (key) view.key = *key;
  if (value) view.value = *value;
  view.headers = *header_storage;
  return view;
}

size_t PayloadBytes(const RecordView& record) {
  size_t n = (record.key ? record.key->size() : 0) + (record.value ? record.value->size() : 0);
  for (const HeaderView& h : record.headers) n += h.key.size() + (h.value ? h.value->size() : 0);
  return n;
}

}  // namespace kb::format
