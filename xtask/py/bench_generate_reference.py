"""transformers' `generate` with the settings of `secateurs generate-calib` (batch of
random 5-token prompts, sampling with temperature 1, top-k 50, top-p 1, to EOS or
the maximum length, KV cache), timed the same way: sampled tokens per second of the
sampling stage. The reference side of `cargo xtask bench generate`.

Usage: bench_generate_reference.py MODEL COUNT MAX_LEN BATCH OUT.json
"""

import json
import pathlib
import sys
import time

import torch
import transformers


def main():
    model_dir = sys.argv[1]
    count, max_len, batch = map(int, sys.argv[2:5])
    out = pathlib.Path(sys.argv[5])
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    eos = model.generation_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos])
    tokens, seconds = 0, 0.0
    with torch.no_grad():
        for _ in range(0, count, batch):
            prompts = torch.randint(model.config.vocab_size, (batch, 5))
            start = time.perf_counter()
            generated = model.generate(prompts, attention_mask=torch.ones_like(prompts), do_sample=True, temperature=1.0, top_k=50, top_p=1.0,
                                       max_new_tokens=max_len - 5, pad_token_id=next(iter(eos)))
            seconds += time.perf_counter() - start
            for row in generated[:, 5:].tolist():
                for t in row:
                    tokens += 1
                    if t in eos:
                        break
    result = {"sampled_tokens": tokens, "sampling_seconds": seconds, "tokens_per_second": tokens / seconds, "threads": torch.get_num_threads()}
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
