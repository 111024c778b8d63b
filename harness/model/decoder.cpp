#include "harness/model/decoder.hpp"

#include <cmath>
#include <string>

#include "harness/core/error.hpp"
#include "harness/model/kv_cache.hpp"

namespace tb {

namespace {

// Activation buffers reused across forward calls (grown, never shrunk), handed out as views.
class Workspace {
 public:
  explicit Workspace(Backend& backend) : backend_(backend) {}
  Tensor get(size_t index, const Shape& shape) {
    if (buffers_.size() <= index) buffers_.resize(index + 1);
    Tensor& buffer = buffers_[index];
    if (buffer.numel() < shape_numel(shape)) buffer = backend_.alloc({shape_numel(shape)});
    return Tensor::view(buffer.data(), shape, DType::F32, buffer.device(), nullptr);
  }

 private:
  Backend& backend_;
  std::vector<Tensor> buffers_;
};

[[noreturn]] void bad_batch(const std::string& what) {
  throw Error(ErrorKind::BadInput, "forward batch: " + what);
}

class Decoder final : public Model {
 public:
  Decoder(const ModelConfig& config, DecoderOptions options, DecoderWeights weights,
          Backend& backend)
      : config_(config),
        options_(options),
        w_(std::move(weights)),
        backend_(backend),
        work_(backend) {
    shape_.heads = static_cast<int>(config.num_heads);
    shape_.kv_heads = static_cast<int>(config.num_kv_heads);
    shape_.head_dim = static_cast<int>(config.head_dim);
    shape_.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(config.head_dim)));
  }

  const ModelConfig& config() const override { return config_; }
  int64_t parameter_count() const override { return w_.parameters; }

  std::unique_ptr<KvCache> make_cache(int num_slots, int capacity) const override {
    return std::make_unique<DeviceKvCache>(backend_, static_cast<int>(config_.num_layers),
                                           num_slots, capacity, shape_.kv_heads, shape_.head_dim);
  }

  void forward(const ForwardBatch& batch, KvCache& cache_base,
               std::vector<float>& logits) override {
    auto* cache = dynamic_cast<DeviceKvCache*>(&cache_base);
    if (!cache || cache->layers() != config_.num_layers) {
      throw Error(ErrorKind::Internal, "forward: the KV cache was not made by this model");
    }
    const std::vector<AttentionSegment> segments = plan(batch, *cache);
    const auto m = static_cast<int64_t>(batch.tokens.size());
    std::vector<int32_t> wanted = batch.logit_rows;
    if (wanted.empty()) {
      for (int32_t r = 0; r < m; ++r) wanted.push_back(r);
    }
    for (int32_t r : wanted) {
      if (r < 0 || r >= m) bad_batch("logit row " + std::to_string(r) + " outside the batch");
    }
    logits.assign(wanted.size() * static_cast<size_t>(config_.vocab_size), 0.0f);
    if (m == 0) return;

    const int64_t d = config_.hidden_size, inter = config_.intermediate_size;
    const int64_t up_width = options_.swiglu ? 2 * inter : inter;
    Tensor x = work_.get(0, {m, d}), h = work_.get(1, {m, d});
    Tensor qkv = work_.get(2, {m, shape_.qkv_width()}),
           attn = work_.get(3, {m, shape_.out_width()});
    Tensor up = work_.get(4, {m, up_width});
    Tensor act = options_.swiglu ? work_.get(5, {m, inter}) : up;

    backend_.embedding(w_.embed, batch.tokens, w_.positions, batch.positions, x);
    for (size_t l = 0; l < w_.layers.size(); ++l) {
      const DecoderLayer& L = w_.layers[l];
      norm(x, L.norm1_w, L.norm1_b, h);
      backend_.linear(h, L.qkv_w, L.qkv_b, qkv);
      if (options_.rope) {
        backend_.rope(qkv, batch.positions, shape_.head_dim, shape_.heads + shape_.kv_heads,
                      config_.rope_theta);
      }
      const int layer = static_cast<int>(l);
      backend_.store_kv(qkv, shape_, batch.slots, batch.positions, cache->keys(layer),
                        cache->values(layer));
      backend_.attention(qkv, shape_, segments, batch.positions, cache->keys(layer),
                         cache->values(layer), attn);
      backend_.linear(attn, L.o_w, L.o_b, x, /*accumulate=*/true);
      norm(x, L.norm2_w, L.norm2_b, h);
      backend_.linear(h, L.up_w, L.up_b, up);
      if (options_.swiglu) {
        backend_.silu_mul(up, act);
      } else {
        backend_.gelu_new(act);
      }
      backend_.linear(act, L.down_w, L.down_b, x, /*accumulate=*/true);
    }
    // Only the wanted rows go through the final norm and the head.
    const auto rows = static_cast<int64_t>(wanted.size());
    Tensor picked = work_.get(6, {rows, d}), normed = work_.get(7, {rows, d});
    Tensor out = work_.get(8, {rows, config_.vocab_size});
    backend_.gather_rows(x, wanted, picked);
    norm(picked, w_.final_w, w_.final_b, normed);
    backend_.linear(normed, w_.head, Tensor(), out);
    Tensor host =
        Tensor::view(logits.data(), {rows, config_.vocab_size}, DType::F32, Device::Cpu, nullptr);
    backend_.download(out, host);

    for (const AttentionSegment& seg : segments) {
      cache->set_length(seg.slot, batch.positions[static_cast<size_t>(seg.row + seg.rows - 1)] + 1);
    }
  }

 private:
  void norm(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y) {
    const auto eps = static_cast<float>(config_.norm_eps);
    if (options_.layer_norm) {
      backend_.layernorm(x, w, b, eps, y);
    } else {
      backend_.rmsnorm(x, w, eps, y);
    }
  }

  // Checks the batch against the cache and splits it into one attention segment per slot.
  std::vector<AttentionSegment> plan(const ForwardBatch& batch, const DeviceKvCache& cache) const {
    const size_t m = batch.tokens.size();
    if (batch.positions.size() != m || batch.slots.size() != m) {
      bad_batch("tokens, positions and slots differ in length");
    }
    std::vector<AttentionSegment> segments;
    std::vector<bool> seen(static_cast<size_t>(cache.num_slots()), false);
    for (size_t r = 0; r < m; ++r) {
      const int32_t slot = batch.slots[r], pos = batch.positions[r];
      if (slot < 0 || slot >= cache.num_slots()) {
        bad_batch("slot " + std::to_string(slot) + " outside the cache's " +
                  std::to_string(cache.num_slots()) + " slots");
      }
      if (pos < 0 || pos >= cache.capacity()) {
        bad_batch("position " + std::to_string(pos) + " outside the KV cache capacity " +
                  std::to_string(cache.capacity()));
      }
      if (pos >= config_.max_positions) {
        bad_batch("position " + std::to_string(pos) + " beyond the model's max_positions " +
                  std::to_string(config_.max_positions));
      }
      if (!segments.empty() && segments.back().slot == slot) {
        if (pos != batch.positions[r - 1] + 1) {
          bad_batch("slot " + std::to_string(slot) + ": positions not consecutive at row " +
                    std::to_string(r));
        }
        ++segments.back().rows;
        continue;
      }
      if (seen[static_cast<size_t>(slot)]) {
        bad_batch("slot " + std::to_string(slot) + " appears in two separate runs");
      }
      seen[static_cast<size_t>(slot)] = true;
      if (pos > cache.length(slot)) {
        bad_batch("slot " + std::to_string(slot) + " starts at position " + std::to_string(pos) +
                  " but holds only " + std::to_string(cache.length(slot)));
      }
      segments.push_back({slot, static_cast<int32_t>(r), 1});
    }
    return segments;
  }

  ModelConfig config_;
  DecoderOptions options_;
  DecoderWeights w_;
  Backend& backend_;
  Workspace work_;
  AttentionShape shape_;
};

}  // namespace

std::unique_ptr<Model> make_decoder(const ModelConfig& config, DecoderOptions options,
                                    DecoderWeights weights, Backend& backend) {
  return std::make_unique<Decoder>(config, options, std::move(weights), backend);
}

}  // namespace tb
