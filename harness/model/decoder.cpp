#include "harness/model/decoder.hpp"

#include <algorithm>
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
  const Tensor& last() const { return last_; }
  void set_last(Tensor t) { last_ = std::move(t); }

 private:
  Backend& backend_;
  std::vector<Tensor> buffers_;
  Tensor last_;  // the logits of the last forward
};

[[noreturn]] void bad_batch(const std::string& what) {
  throw Error(ErrorKind::BadInput, "forward batch: " + what);
}

class Decoder final : public Model {
 public:
  Decoder(const ModelConfig& config, DecoderOptions options, DecoderWeights weights,
          const ModelPrecision& precision, Backend& backend)
      : config_(config),
        options_(options),
        w_(std::move(weights)),
        precision_(precision),
        backend_(backend),
        work_(backend) {
    weight_bytes_ = decoder_weight_bytes(w_);
    shape_.heads = static_cast<int>(config.num_heads);
    shape_.kv_heads = static_cast<int>(config.num_kv_heads);
    shape_.head_dim = static_cast<int>(config.head_dim);
    shape_.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(config.head_dim)));
  }

  const ModelConfig& config() const override { return config_; }
  Backend& backend() const override { return backend_; }
  int64_t parameter_count() const override { return w_.parameters; }
  int64_t weight_bytes() const override { return weight_bytes_; }
  DType weight_dtype() const override {
    return w_.layers.empty() ? w_.head.dtype() : w_.layers[0].down_w.dtype();
  }

  std::unique_ptr<KvCache> make_cache(int num_slots, int capacity) const override {
    return std::make_unique<DeviceKvCache>(backend_, static_cast<int>(config_.num_layers),
                                           num_slots, capacity, shape_.kv_heads, shape_.head_dim,
                                           precision_.kv_cache);
  }

  const Tensor& forward_logits(const ForwardBatch& batch, KvCache& cache_base) override {
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
    const auto rows = static_cast<int64_t>(wanted.size());
    if (m == 0 || rows == 0) {
      work_.set_last(work_.get(8, {rows, config_.vocab_size}));
      return work_.last();
    }

    // The metadata goes to the device once; every op below reads the staged copy.
    StagedBatch staged;
    staged.tokens = batch.tokens;
    staged.positions = batch.positions;
    staged.slots = batch.slots;
    staged.segments = segments;
    staged.wanted = wanted;
    for (int32_t p : batch.positions) staged.max_position = std::max(staged.max_position, p);
    backend_.stage(staged);

    const int64_t d = config_.hidden_size, inter = config_.intermediate_size;
    const int64_t up_width = options_.swiglu ? 2 * inter : inter;
    Tensor x = work_.get(0, {m, d}), h = work_.get(1, {m, d});
    Tensor qkv = work_.get(2, {m, shape_.qkv_width()}),
           attn = work_.get(3, {m, shape_.out_width()});
    Tensor up = work_.get(4, {m, up_width});
    Tensor act = options_.swiglu ? work_.get(5, {m, inter}) : up;

    backend_.embedding(w_.embed, w_.positions, staged, x);
    for (size_t l = 0; l < w_.layers.size(); ++l) {
      const DecoderLayer& L = w_.layers[l];
      norm(x, L.norm1_w, L.norm1_b, h);
      split_linear(h, L.qkv, qkv);
      if (options_.rope) {
        backend_.rope(qkv, staged, shape_.head_dim, shape_.heads + shape_.kv_heads,
                      config_.rope_theta);
      }
      const int layer = static_cast<int>(l);
      backend_.store_kv(qkv, shape_, staged, cache->keys(layer), cache->values(layer));
      backend_.attention(qkv, shape_, staged, cache->keys(layer), cache->values(layer), attn);
      backend_.linear(attn, L.o_w, L.o_b, x, {.accumulate = true});
      norm(x, L.norm2_w, L.norm2_b, h);
      split_linear(h, L.up, up);
      if (options_.swiglu) {
        backend_.silu_mul(up, act);
      } else {
        backend_.gelu_new(act);
      }
      backend_.linear(act, L.down_w, L.down_b, x, {.accumulate = true});
    }
    // Only the wanted rows go through the final norm and the head.
    Tensor picked = work_.get(6, {rows, d}), normed = work_.get(7, {rows, d});
    Tensor out = work_.get(8, {rows, config_.vocab_size});
    backend_.gather_rows(x, staged, picked);
    norm(picked, w_.final_w, w_.final_b, normed);
    backend_.linear(normed, w_.head, Tensor(), out);

    for (const AttentionSegment& seg : segments) {
      cache->set_length(seg.slot, batch.positions[static_cast<size_t>(seg.row + seg.rows - 1)] + 1);
    }
    work_.set_last(out);
    return work_.last();
  }

 private:
  void split_linear(const Tensor& x, const SplitLinear& parts, Tensor& y) {
    int64_t column = 0;
    for (size_t i = 0; i < parts.weights.size(); ++i) {
      backend_.linear(x, parts.weights[i], parts.biases[i], y, {.column = column});
      column += parts.weights[i].dim(0);
    }
  }

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
  ModelPrecision precision_;
  int64_t weight_bytes_ = 0;
  Backend& backend_;
  Workspace work_;
  AttentionShape shape_;
};

}  // namespace

int64_t SplitLinear::out_width() const {
  int64_t width = 0;
  for (const Tensor& w : weights) width += w.dim(0);
  return width;
}

int64_t decoder_weight_bytes(const DecoderWeights& w) {
  int64_t bytes = 0;
  auto add = [&](const Tensor& t) { bytes += static_cast<int64_t>(t.nbytes()); };
  auto add_split = [&](const SplitLinear& s) {
    for (const Tensor& t : s.weights) add(t);
    for (const Tensor& t : s.biases) add(t);
  };
  add(w.embed);
  add(w.positions);
  for (const DecoderLayer& L : w.layers) {
    for (const Tensor* t :
         {&L.norm1_w, &L.norm1_b, &L.o_w, &L.o_b, &L.norm2_w, &L.norm2_b, &L.down_w, &L.down_b}) {
      add(*t);
    }
    add_split(L.qkv);
    add_split(L.up);
  }
  add(w.final_w);
  add(w.final_b);
  if (w.head.data() != w.embed.data()) add(w.head);
  return bytes;
}

void Model::forward(const ForwardBatch& batch, KvCache& cache, std::vector<float>& logits) {
  const Tensor& out = forward_logits(batch, cache);
  logits.assign(static_cast<size_t>(out.numel()), 0.0f);
  if (out.numel() == 0) return;
  Tensor host = Tensor::view(logits.data(), out.shape(), DType::F32, Device::Cpu, nullptr);
  backend().download(out, host);
}

std::unique_ptr<Model> make_decoder(const ModelConfig& config, DecoderOptions options,
                                    DecoderWeights weights, const ModelPrecision& precision,
                                    Backend& backend) {
  return std::make_unique<Decoder>(config, options, std::move(weights), precision, backend);
}

}  // namespace tb
