// Paged K/V storage of every layer, native-owned layout (values f32 or raw f16 bits):
//   layer l's K plane: per block, per KV head, (headDim, blockSize) -- keys transposed within a
//     block, so a query's scores against a block are one vector expression over its keys;
//   layer l's V plane: per slot (block * blockSize + offset), (numKvHeads, headDim) rows.
// A block of either plane is contiguous, so copying a block is one memmove per plane.
#pragma once
#include <cstddef>
#include <cstdint>

namespace flt {

struct KvLayout {
  int numLayers = 0;
  int numBlocks = 0;
  int blockSize = 0;
  int numKvHeads = 0;
  int headDim = 0;
  bool f16 = true;

  int kvDim() const { return numKvHeads * headDim; }
  size_t numSlots() const { return size_t(numBlocks) * blockSize; }
  size_t elemBytes() const { return f16 ? 2 : 4; }
  size_t rowBytes() const { return size_t(kvDim()) * elemBytes(); }
  size_t blockBytes() const { return size_t(blockSize) * rowBytes(); }
  size_t planeBytes() const { return numSlots() * rowBytes(); }  // one layer's K (or V)
  size_t totalBytes() const { return 2 * size_t(numLayers) * planeBytes(); }
  // byte offset of layer l's K (which = 0) or V (which = 1) plane
  size_t planeOffset(int layer, int which) const { return (2 * size_t(layer) + which) * planeBytes(); }
  // element index, within a K plane, of (block, head, d, offset in block)
  size_t kIndex(size_t block, int head, int d, int offset) const {
    return ((block * numKvHeads + head) * headDim + d) * blockSize + offset;
  }
};

}  // namespace flt
