// Block payload compression shared by SegmentWriter's in-place mode and PendingBlock (deferred
// mode), so that both write exactly the same bytes. Internal to src/format.
//
// Thread-safety: pure functions; the zstd context is the caller's and not shared.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/status.h"
#include "format/segment_layout.h"

namespace kb::format::internal {

// Room CompressPayload needs in `dst` for `n` input bytes.
size_t CompressedBound(Compression codec, size_t n);

// Compresses `n` bytes at `src` into `dst` (CompressedBound bytes of room) with `codec` (kZstd or
// kLz4): zstd with `zstd_cctx` (a ZSTD_CCtx* whose level is set), one raw LZ4 block with default
// acceleration. Returns the compressed size; an internal failure is Permanent naming `subject`.
Result<size_t> CompressPayload(Compression codec, void* zstd_cctx, const char* src, size_t n,
                               char* dst, size_t capacity, std::string_view subject);

}  // namespace kb::format::internal
