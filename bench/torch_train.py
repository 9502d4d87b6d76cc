"""PyTorch side of `heed bench train`: training throughput of heed's models mirrored in PyTorch.

Each case builds the same model as heed (same layers, same sizes, same parameter count), the
same optimizer and the same training step (zero_grad → loss → backward → clip_grad_norm_(1) →
step) on a fixed random batch and runs `--warmup` steps. A first line gives the torch version
and thread count; then one line per case, {case, ready, shape, tokensPerStep, params,
firstLoss}, or {case, error} for a case that fails. After that the script serves heed: each
stdin line `run CASE N` times N more steps of that case and prints {case, block: [ms, ...]},
so that heed can alternate blocks of its own steps with PyTorch's and both sides see the
machine in the same state; `quit` (or the end of stdin) stops it. Standard library and torch
only.

Cases:
  seq2seq-gru-additive  heed's Seq2Seq (src/models/seq2seq) as configs/enfr-rnn-additive.json
                        builds it: embedding → bidirectional GRU over packed lengths → bridge
                        s_0 = tanh(W_b [→h; ←h] + b) → seed-001 decoder (query s_{t−1}, Bahdanau
                        score vᵀtanh(W₁q + W₂k + b), GRU input [E y_{t−1}; c_t], output head
                        W_s·dropout(tanh(W_c [s_t; c_t; E y_{t−1}] + b_c)) + b_s); cross-entropy
                        ignoring padding; Adam. Tokens/s counts target tokens.
  gpt                   nanoGPT's model.py (bias=False) at its CPU shakespeare_char size, with
                        the explicit masked softmax (torch 1.13 has no scaled_dot_product_attention)
                        and nanoGPT's AdamW groups (decay on 2-D weights only). Tokens/s counts B·T.

Run as heed does: OPENBLAS_NUM_THREADS=N OMP_NUM_THREADS=N MKL_NUM_THREADS=N
  python3 bench/torch_train.py --threads N --cases seq2seq-gru-additive,gpt   (then: run gpt 5)
"""

import argparse
import json
import math
import sys
import time

# The sizes heed's src/bench/train.ts uses; the shape strings must agree with its own.
SEQ2SEQ = {
    "batch": 32,
    "src_len": 20,
    "tgt_len": 20,
    "src_vocab": 4000,
    "tgt_vocab": 4000,
    "embed": 128,
    "hidden": 256,
    "dropout": 0.2,
    "pad": 0,
}
GPT = {"batch": 12, "block": 64, "layers": 4, "heads": 4, "embed": 128, "vocab": 65, "dropout": 0.0}


def emit(obj):
    print(json.dumps(obj), flush=True)


def seq2seq_shape():
    s = SEQ2SEQ
    return (
        f"B={s['batch']} Ts={s['src_len']} Tt={s['tgt_len']} V={s['src_vocab']}/{s['tgt_vocab']} "
        f"E={s['embed']} H={s['hidden']} p={s['dropout']}"
    )


def gpt_shape():
    g = GPT
    return (
        f"B={g['batch']} T={g['block']} L={g['layers']} heads={g['heads']} "
        f"D={g['embed']} V={g['vocab']}"
    )


def build_seq2seq(torch):
    nn = torch.nn
    F = torch.nn.functional
    pack = torch.nn.utils.rnn.pack_padded_sequence
    unpack = torch.nn.utils.rnn.pad_packed_sequence

    class Encoder(nn.Module):
        """Embedding → dropout → bidirectional GRU over each row's length → bridge."""

        def __init__(self, vocab, embed, hidden, dropout, pad):
            super().__init__()
            self.embedding = nn.Embedding(vocab, embed, padding_idx=pad)
            self.dropout = nn.Dropout(dropout)
            # One layer: heed's between-layer dropout does not apply (and torch would warn).
            self.rnn = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
            self.bridge = nn.Linear(2 * hidden, hidden)

        def forward(self, src, lengths):
            x = self.dropout(self.embedding(src))  # [B, Ts, E]
            packed = pack(x, lengths, batch_first=True, enforce_sorted=False)
            out, h_n = self.rnn(packed)  # h_n [2, B, H]: forward final, reverse final
            out, _ = unpack(out, batch_first=True, total_length=src.size(1))  # [B, Ts, 2H]
            s0 = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=-1)))  # [B, H]
            return out, s0

    class AdditiveScore(nn.Module):
        """score(q, k) = vᵀ tanh(W₁q + W₂k + b): heed's AdditiveScore (bias on the key side)."""

        def __init__(self, query_dim, key_dim, attn_dim):
            super().__init__()
            self.query_proj = nn.Linear(query_dim, attn_dim, bias=False)
            self.key_proj = nn.Linear(key_dim, attn_dim)
            self.energy = nn.Linear(attn_dim, 1, bias=False)

    class Seed001Decoder(nn.Module):
        """Query s_{t−1} → context c_t → s_t = GRU([E y_{t−1}; c_t], s_{t−1}) → output head."""

        def __init__(self, vocab, embed, hidden, context, dropout, pad):
            super().__init__()
            self.embedding = nn.Embedding(vocab, embed, padding_idx=pad)
            self.dropout = nn.Dropout(dropout)
            self.rnn = nn.GRUCell(embed + context, hidden)
            self.attention = AdditiveScore(hidden, context, hidden)
            self.combine = nn.Linear(hidden + context + embed, hidden)
            self.out_proj = nn.Linear(hidden, vocab)

        def forward(self, tgt_in, s0, memory, mask):
            e = self.dropout(self.embedding(tgt_in))  # [B, Tt, E]
            keys = self.attention.key_proj(memory)  # W₂h + b once per batch [B, Ts, A]
            blocked = ~mask  # [B, Ts]
            s = s0
            states, contexts = [], []
            for t in range(tgt_in.size(1)):
                wq = self.attention.query_proj(s).unsqueeze(1)  # [B, 1, A]
                scores = self.attention.energy(torch.tanh(wq + keys)).squeeze(2)  # [B, Ts]
                weights = torch.softmax(scores.masked_fill(blocked, float("-inf")), dim=-1)
                c = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)  # c_t [B, 2H]
                s = self.rnn(torch.cat([e[:, t], c], dim=-1), s)  # s_t [B, H]
                states.append(s)
                contexts.append(c)
            feats = torch.cat([torch.stack(states, 1), torch.stack(contexts, 1), e], dim=-1)
            return self.out_proj(self.dropout(torch.tanh(self.combine(feats))))  # [B, Tt, V]

    class Seq2Seq(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.pad = c["pad"]
            self.encoder = Encoder(c["src_vocab"], c["embed"], c["hidden"], c["dropout"], c["pad"])
            self.decoder = Seed001Decoder(
                c["tgt_vocab"], c["embed"], c["hidden"], 2 * c["hidden"], c["dropout"], c["pad"]
            )

        def forward(self, src, lengths, tgt_in, tgt_out):
            memory, s0 = self.encoder(src, lengths)
            mask = torch.arange(src.size(1)).unsqueeze(0) < lengths.unsqueeze(1)  # [B, Ts]
            logits = self.decoder(tgt_in, s0, memory, mask)
            v = logits.size(-1)
            flat = logits.reshape(-1, v)  # [B·Tt, V]
            return F.cross_entropy(flat, tgt_out.reshape(-1), ignore_index=self.pad)

    c = SEQ2SEQ
    model = Seq2Seq(c)
    b, ts, tt = c["batch"], c["src_len"], c["tgt_len"]
    # Random real tokens (never padding), every row full length, as heed's batch.
    src = torch.randint(1, c["src_vocab"], (b, ts))
    lengths = torch.full((b,), ts, dtype=torch.int64)
    tgt_in = torch.randint(1, c["tgt_vocab"], (b, tt))
    tgt_out = torch.randint(1, c["tgt_vocab"], (b, tt))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    return model, optimizer, (lambda: model(src, lengths, tgt_in, tgt_out)), b * tt


def build_gpt(torch):
    nn = torch.nn
    F = torch.nn.functional

    class LayerNorm(nn.Module):
        """LayerNorm with an optional bias (PyTorch 1.13's has no bias=False)."""

        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, x):
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self, n_embd, n_head, block, dropout, bias):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
            self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
            self.attn_dropout = nn.Dropout(dropout)
            self.resid_dropout = nn.Dropout(dropout)
            self.n_head, self.n_embd = n_head, n_embd
            causal = torch.tril(torch.ones(block, block)).view(1, 1, block, block)
            self.register_buffer("bias", causal)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            hs = C // self.n_head
            k = k.view(B, T, self.n_head, hs).transpose(1, 2)  # [B, H, T, hs]
            q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # [B, H, T, hs]
            v = v.view(B, T, self.n_head, hs).transpose(1, 2)  # [B, H, T, hs]
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # [B, H, T, T]
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = self.attn_dropout(F.softmax(att, dim=-1))
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)  # [B, T, C]
            return self.resid_dropout(self.c_proj(y))

    class MLP(nn.Module):
        def __init__(self, n_embd, dropout, bias):
            super().__init__()
            self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self, c, bias):
            super().__init__()
            self.ln_1 = LayerNorm(c["embed"], bias)
            self.attn = CausalSelfAttention(c["embed"], c["heads"], c["block"], c["dropout"], bias)
            self.ln_2 = LayerNorm(c["embed"], bias)
            self.mlp = MLP(c["embed"], c["dropout"], bias)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPTModel(nn.Module):
        def __init__(self, c, bias=False):
            super().__init__()
            self.transformer = nn.ModuleDict(
                dict(
                    wte=nn.Embedding(c["vocab"], c["embed"]),
                    wpe=nn.Embedding(c["block"], c["embed"]),
                    drop=nn.Dropout(c["dropout"]),
                    h=nn.ModuleList([Block(c, bias) for _ in range(c["layers"])]),
                    ln_f=LayerNorm(c["embed"], bias),
                )
            )
            self.lm_head = nn.Linear(c["embed"], c["vocab"], bias=False)
            self.transformer.wte.weight = self.lm_head.weight  # weight tying
            self.apply(self._init_weights)
            for name, p in self.named_parameters():
                if name.endswith("c_proj.weight"):
                    nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c["layers"]))

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets):
            t = idx.size(1)
            pos = torch.arange(0, t, dtype=torch.long)
            x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
            for block in self.transformer.h:
                x = block(x)
            logits = self.lm_head(self.transformer.ln_f(x))  # [B, T, V]
            flat = logits.view(-1, logits.size(-1))  # [B·T, V]
            return F.cross_entropy(flat, targets.view(-1), ignore_index=-1)

    c = GPT
    model = GPTModel(c)
    # nanoGPT's configure_optimizers: weight decay on the 2-D tensors only.
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99))
    b, t = c["batch"], c["block"]
    x = torch.randint(0, c["vocab"], (b, t))
    y = torch.randint(0, c["vocab"], (b, t))
    return model, optimizer, (lambda: model(x, y)), b * t


CASES = {
    "seq2seq-gru-additive": (build_seq2seq, seq2seq_shape),
    "gpt": (build_gpt, gpt_shape),
}


def prepare_case(torch, name, warmup):
    """Builds a case and runs its warmup steps; returns its step function and its ready line."""
    build, shape = CASES[name]
    torch.manual_seed(0)
    model, optimizer, loss_fn, tokens = build(torch)
    model.train()
    params = list(model.parameters())

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn()
        value = loss.item()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return value

    first_loss = step()
    for _ in range(warmup - 1):
        step()
    return step, {
        "case": name,
        "ready": True,
        "shape": shape(),
        "tokensPerStep": tokens,
        "params": sum(p.numel() for p in params),
        "firstLoss": first_loss,
    }


def time_block(step, steps):
    """Milliseconds of each of `steps` timed steps."""
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--cases", required=True, help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (at least 1)")
    args = parser.parse_args()
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means "no torch"
        emit({"error": f"import torch failed: {e}"})
        return 3
    torch.set_num_threads(args.threads)
    emit({"torch": torch.__version__, "threads": torch.get_num_threads()})
    steps = {}
    for name in args.cases.split(","):
        try:
            if name not in CASES:
                raise ValueError(f"unknown case '{name}'; cases: {', '.join(CASES)}")
            steps[name], ready = prepare_case(torch, name, max(1, args.warmup))
            emit(ready)
        except Exception as e:  # noqa: BLE001 - report and go on with the other cases
            emit({"case": name, "error": f"{type(e).__name__}: {e}"})
    # Blocks of timed steps on request, so heed can interleave its own blocks with them.
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["quit"]:
            break
        if len(words) != 3 or words[0] != "run" or words[1] not in steps:
            emit({"error": f"bad request: {line.strip()}"})
            continue
        emit({"case": words[1], "block": time_block(steps[words[1]], max(1, int(words[2])))})
    return 0


if __name__ == "__main__":
    sys.exit(main())
