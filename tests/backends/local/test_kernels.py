"""Kernel paths (kernels.py): the choice by CPU and the forced switch, int8/int4 quantisation, and on
every path, forced whatever this CPU would choose, a token's logits are bit-identical alone and
inside a draft block (with siblings too), so speculative output stays identical to plain decoding."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from backends.local import kernels
from backends.local.decoder import Decoder, decoder_from_hf

from .conftest import tiny_hf
from .test_decoder import _siblings_match_single_steps

PATHS = ["bf16", "int8", "int4", "int4-torch"]


@pytest.fixture(scope="module")
def q4(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Our 4-bit kernel built for this machine (skips without a C compiler)."""
    from backends.local.native import load_q4mm

    kernel = load_q4mm(tmp_path_factory.mktemp("home"))
    if kernel is None:
        pytest.skip("the 4-bit kernel could not be built here (no C compiler?)")
    return kernel


def test_choice_by_cpu_and_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kernels.ENV, raising=False)
    monkeypatch.setattr(kernels.platform, "machine", lambda: "x86_64")
    assert kernels.choose_path() == "int4"  # x86, bf16 dot products or not: a quarter of the bytes to read
    monkeypatch.setattr(kernels.platform, "machine", lambda: "aarch64")
    assert kernels.choose_path() == "bf16"
    monkeypatch.setattr(kernels.platform, "machine", lambda: "x86_64")
    assert kernels.choose_path("int8") == "int8"
    monkeypatch.setenv(kernels.ENV, "bf16")
    assert kernels.choose_path() == "bf16" and kernels.choose_path("int4") == "int4"
    with pytest.raises(ValueError, match="unknown kernel path"):
        kernels.choose_path("fp8")
    assert "AVX" in kernels.cpu_isa() or "DEFAULT" in kernels.cpu_isa() or "NEON" in kernels.cpu_isa()


QUANTISED = {  # case: (path, whether our kernel is passed, quantiser, the product it must make)
    "int8": ("int8", False, kernels.quantize_int8, "Int8Linear"),
    "int4": ("int4", True, kernels.quantize_int4, "NativeInt4Linear"),
    "int4-torch": ("int4-torch", False, kernels.quantize_int4, "Int4Linear"),
    "q8": ("int4", True, kernels.quantize_q8, "NativeInt8Linear"),  # the output projection on int4
    "q8-no-kernel": ("int4-torch", False, kernels.quantize_q8, "DequantLinear"),
}


def _dequantised(parts: dict[str, torch.Tensor], n: int, k: int) -> torch.Tensor:
    group = kernels.GROUP
    if "q8" in parts:
        return (parts["q8"].float().view(n, -1, group) * parts["scale"].float()[..., None]).view(n, k)
    if "low" in parts:
        q, scale, low = parts["q"].float(), parts["scale"].float(), parts["low"].float()
        return (q.view(n, -1, group) * scale[..., None] + low[..., None]).view(n, k)
    return parts["q"].float() * parts["scale"].float()[:, None]


@pytest.mark.parametrize("case", sorted(QUANTISED))
def test_quantised_product_is_the_dequantised_matrix(case: str, request: pytest.FixtureRequest) -> None:
    """The kernel multiplies by exactly the matrix the quantisation stands for (scale and zero
    conventions; ours also rounds activations to 8 bits), and that matrix is close to the original."""
    path, ours, quantize, product = QUANTISED[case]
    native = request.getfixturevalue("q4") if ours else None
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(64, 256, generator=gen).to(torch.bfloat16)
    parts = quantize(weight)
    deq = _dequantised(parts, 64, 256)
    bound = 0.25 if "low" in parts else 0.01 if "q8" in parts else 0.03
    assert (deq - weight.float()).abs().max() < bound * weight.float().abs().max()
    x = torch.randn(3, 256, generator=gen).to(torch.bfloat16)
    made = kernels.quant_linear([parts], path, native)
    assert type(made).__name__ == product
    got = made(x).float()
    want = x.float() @ deq.T
    assert torch.allclose(got, want, rtol=2e-2, atol=2e-2 * want.abs().max().item())


def _tiny(path: str, kind: str = "llama", q4: Any = None) -> Decoder:
    model = tiny_hf(kind, hidden=64)

    def quantize(state: dict[str, torch.Tensor], names: list[str]) -> dict[str, dict[str, torch.Tensor]]:
        return {n: kernels.quantize_for(path, n, state[n].to(torch.bfloat16)) for n in names}

    return decoder_from_hf(model, max_len=96, dtype=torch.bfloat16, kernels=path, quantize=quantize, q4=q4)


def _blocks_equal_singles(dec: Any, vocab: int) -> None:
    ids = torch.randint(0, vocab, (80,), generator=torch.Generator().manual_seed(6))
    dec.forward(ids[:20], 0)
    singles = torch.cat([dec.forward(ids[p : p + 1], p)[0] for p in range(20, 80)])
    for start, size in ((20, 2), (27, 9), (40, 5), (58, 8), (70, 3)):
        block, _ = dec.forward(ids[start : start + size], start)
        assert torch.equal(block, singles[start - 20 : start - 20 + size]), (start, size)
    dec.forward(ids[:60], 0)
    _siblings_match_single_steps(dec, ids, 33, [5, 9, 11], [17, 40])


@pytest.mark.parametrize("kind", ["llama", "gemma3"])
@pytest.mark.parametrize("path", ["int8", "int4", "int4-torch"])
def test_tiny_quantised_rows_equal_single_steps(path: str, kind: str, request: pytest.FixtureRequest) -> None:
    dec = _tiny(path, kind, request.getfixturevalue("q4") if path == "int4" else None)
    assert dec.kernels == path and type(dec.layers[0]["w13"]).__name__ != "Linear"
    if path == "int4":  # our kernels, exact by construction: never run row by row; the output 8-bit
        assert type(dec.layers[0]["w13"]).__name__ == "NativeInt4Linear"
        assert type(dec.output).__name__ == "NativeInt8Linear"
    _blocks_equal_singles(dec, 64)


@pytest.mark.parametrize("path", PATHS)
def test_real_smollm2_rows_equal_single_steps_on_every_path(path: str, smollm2: Any) -> None:
    """The real SmolLM2 on each kernel path, forced: identity in draft blocks and siblings; the
    quantised paths' logits stay close to bf16's (same top token on most positions)."""
    from backends.local.loader import load_model

    loaded = smollm2 if path == "bf16" else load_model("smollm2", max_len=256, kernels=path)
    dec = loaded.decoder
    assert dec is not None and dec.kernels == path
    _blocks_equal_singles(dec, 40000)
    if path != "bf16":
        ids = torch.randint(0, 40000, (40,), generator=torch.Generator().manual_seed(1))
        ref = smollm2.decoder.forward(ids, 0)[0].argmax(-1)
        got = dec.forward(ids, 0)[0].argmax(-1)
        assert (ref == got).float().mean() > 0.6
    if path == "int4":  # the output projection 8-bit: 4-bit layers cost ~1% of perplexity (4-bit output: 6.6%)
        assert type(dec.output).__name__ == "NativeInt8Linear"
        ids = torch.randint(0, 40000, (12,), generator=torch.Generator().manual_seed(2))
        dec.forward(ids[:8], 0)
        fused = dec.forward(ids[8:], 8)[0]  # a draft block through the C rotary embedding and cache writes
        q4, dec._q4 = dec._q4, None
        try:
            assert torch.equal(dec.forward(ids[8:], 8)[0], fused)  # the same block through torch's operations
        finally:
            dec._q4 = q4
        assert _perplexity(dec, loaded.tokenizer) < 1.02 * _perplexity(smollm2.decoder, smollm2.tokenizer)


def _perplexity(dec: Any, tokenizer: Any) -> float:
    import inspect
    import textwrap

    ids = torch.tensor(tokenizer(inspect.getsource(textwrap))["input_ids"][:200])
    logits = dec.forward(ids, 0)[0]
    return float(torch.nn.functional.cross_entropy(logits[:-1].float(), ids[1:]).exp())


@pytest.mark.skipif(kernels.platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 dispatch levels")
def test_forced_avx2_dispatch_chooses_as_an_avx2_cpu_would() -> None:
    """ATEN_CPU_CAPABILITY=avx2 on any x86 CPU: torch dispatches to AVX2, the kernel path is the one
    for a CPU without bf16 dot products (int4) and the native kernels are built without AVX-512."""
    import os
    import subprocess
    import sys

    code = (
        "from backends.local import kernels, native;"
        "print(kernels.dispatch_isa(), kernels.choose_path(), ' '.join(native.march_flags()))"
    )
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2"}
    env.pop(kernels.ENV, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    isa, path, flags = out.split(" ", 2)
    assert (isa, path) == ("AVX2", "int4")
    assert "-mno-avx512f" in flags.split()


@pytest.mark.parametrize("bits", [4, 8])
def test_our_kernels_rows_exact_across_threads_and_long_blocks(bits: int, q4: Any) -> None:
    """Ours: a row's output does not depend on the thread count (outputs are split between threads,
    never a row's sums) nor on how many rows share the call, past 16 rows too (prefill)."""
    gen = torch.Generator().manual_seed(3)
    weight = torch.randn(96, 128, generator=gen).to(torch.bfloat16)
    quantize = kernels.quantize_int4 if bits == 4 else kernels.quantize_q8
    linear = kernels.quant_linear([quantize(weight)], "int4", q4)
    x = torch.randn(40, 128, generator=gen).to(torch.bfloat16)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = torch.cat([linear(x[i : i + 1]) for i in range(40)])
        torch.set_num_threads(2)
        assert torch.equal(linear(x), alone)
        assert torch.equal(linear(x[3:8]), alone[3:8])
    finally:
        torch.set_num_threads(threads)


@pytest.mark.skipif(kernels.platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 dispatch levels")
@pytest.mark.parametrize("quantize", ["quantize_int4", "quantize_q8"])
def test_our_kernels_give_the_same_numbers_on_every_isa(quantize: str, q4: Any, tmp_path: Any) -> None:
    """The AVX-512 VNNI, AVX2 and plain C builds of ours compute the same integer sums and the same
    float operations in the same order: bit-identical products, so output does not depend on the CPU."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, torch; from pathlib import Path; from backends.local import kernels, native;"
        "g = torch.Generator().manual_seed(5);"
        "w = torch.randn(64, 256, generator=g).to(torch.bfloat16);"
        "x = torch.randn(5, 256, generator=g).to(torch.bfloat16);"
        "k = native.load_q4mm(Path(sys.argv[1]));"
        f"y = kernels.quant_linear([kernels.{quantize}(w)], 'int4', k)(x);"
        "import hashlib; print(k.lanes, hashlib.sha256(y.view(torch.int16).numpy().tobytes()).hexdigest())"
    )
    results = {}
    for isa in ("avx2", "default", ""):
        env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
        if isa:
            env["ATEN_CPU_CAPABILITY"] = isa
        run = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "home")], env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr[-2000:]
        lanes, *sums = run.stdout.split()
        results[isa or "native"] = (lanes, tuple(sums))
    assert len({sums for _, sums in results.values()}) == 1, results


def test_mtp_head_on_the_int4_path_uses_our_kernel_and_output_stays_plain(q4: Any) -> None:
    """Next to an int4 target the MTP head's products go through the same 4-bit kernel (drafting was
    most of a step's cost otherwise); greedy speculative output still equals plain decoding."""
    from backends.local.drafters import MTPDrafter
    from backends.local.generate import SpecPolicy, generate
    from backends.local.mtp import MTPHead, QuantizedLinear
    from backends.local.sampling import Sampler

    dec = _tiny("int4", "llama", q4)
    arch = dec.arch
    head = MTPHead(arch.dim, torch.arange(0, 64, 2), attn=(arch.n_heads, arch.n_kv_heads, arch.head_dim))
    drafter = MTPDrafter(dec, head, siblings=2, sibling_min=0.0)
    assert isinstance(drafter.head.fc, QuantizedLinear) and isinstance(
        drafter.head.packed_out,
        kernels.NativeInt8Linear,  # 8-bit, as the target's output
    )
    prompt = [5, 9, 11, 5, 9, 11, 7, 3]

    def run(d: Any) -> list[int]:
        blocks = generate(dec, prompt, Sampler(), max_new_tokens=40, drafter=d, policy=SpecPolicy(switch_off=False))
        return [t for b in blocks for t in b]

    assert run(drafter) == run(None)


def test_the_heads_norm_in_c_is_torchs_rms_norm(q4: Any) -> None:
    """Next to an int4 target the MTP head's RMSNorms run in q4mm.c (one call instead of casts and five
    torch operations each): the same bf16 numbers as torch's rms_norm of the float32 row, to one bf16
    rounding step where the sums are added in another order."""
    from backends.local.mtp import RMSNorm

    torch.manual_seed(0)
    norm = RMSNorm(576)
    with torch.no_grad():
        norm.weight.copy_(torch.rand(576) * 2)
    x = (torch.randn(3, 576) * 4).to(torch.bfloat16)
    expected = norm(x)
    norm.quantize(q4)
    got = norm(x)
    assert norm.kernel is not None and got.dtype == torch.bfloat16 and got.shape == x.shape
    assert torch.allclose(got.float(), expected.float(), rtol=2**-7, atol=0)
    assert (got != expected).float().mean() < 0.02  # nearly all bit-equal
    wide = x.float()  # float rows (training) still go through torch
    assert torch.equal(norm(wide), torch.nn.functional.rms_norm(wide, (576,), norm.weight.float(), norm.eps))


@pytest.mark.parametrize("gemma", [False, True])
def test_the_decoders_norm_in_c_follows_transformers_formula(q4: Any, gemma: bool) -> None:
    """On the int4 path the decoder's RMSNorms run in q4mm.c: Llama's formula (the normalised row rounded to
    bf16, then scaled by the bf16 weight and rounded again) and Gemma's (scaled by 1 + w in float32, rounded
    once), each to one bf16 step of transformers' where the sums are added in another order."""
    from backends.local.decoder import Norm, rms_norm

    torch.manual_seed(1)
    w = (torch.randn(576) * 0.3 + (0.0 if gemma else 1.0)).to(torch.bfloat16)
    weight = 1.0 + w.float() if gemma else w
    x = (torch.randn(64, 576) * 3).to(torch.bfloat16)
    expected = rms_norm(x, weight, 1e-5, gemma)
    got = Norm(weight, 1e-5, gemma, q4)(x)
    assert got.dtype == torch.bfloat16 and got.shape == x.shape
    assert torch.allclose(got.float(), expected.float(), rtol=2**-7, atol=0)
    assert (got != expected).float().mean() < 0.001  # nearly all bit-equal: the other formula differs more
    assert torch.equal(Norm(weight, 1e-5, gemma, None)(x), expected)  # no kernel: torch's operations


def test_the_rotary_embedding_in_c_is_apply_ropes_bit_for_bit(q4: Any) -> None:
    """On the int4 path q and k are rotated in q4mm.c: the same bf16 numbers as apply_rope's three torch
    operations, on the transposed view the decoder hands it."""
    from backends.local.decoder import apply_rope

    torch.manual_seed(2)
    t, heads, dim = 5, 9, 64
    q = (torch.randn(t, heads, dim) * 3).to(torch.bfloat16).transpose(0, 1)  # [heads, t, dim], not contiguous
    angles = torch.rand(t, dim // 2) * 100
    cos = torch.cat([angles.cos(), angles.cos()], dim=-1).to(torch.bfloat16)
    sin = torch.cat([-angles.sin(), angles.sin()], dim=-1).to(torch.bfloat16)
    got = q4.rope(q, cos, sin)
    assert torch.equal(got, apply_rope(q, cos, sin))
    assert not torch.equal(got, apply_rope(q, cos, -sin))  # the test tells the rotation's direction


def test_a_decode_steps_attention_inputs_in_c_are_torchs(q4: Any) -> None:
    """store_kv_q: k and v into the float32 caches at their slots (keys transposed), q cast, scaled and
    transposed for the attention kernel: the same numbers as the decoder's torch operations."""
    torch.manual_seed(3)
    t, heads, kv_heads, dim, slots, pos = 3, 9, 3, 64, 40, 17
    qkv = (torch.randn(t, (heads + 2 * kv_heads) * dim) * 3).to(torch.bfloat16)
    q = qkv[:, : heads * dim].view(t, heads, dim).transpose(0, 1)
    k = qkv[:, heads * dim : (heads + kv_heads) * dim].view(t, kv_heads, dim).transpose(0, 1)
    v = qkv[:, (heads + kv_heads) * dim :].view(t, kv_heads, dim).transpose(0, 1)  # strided, as the decoder's
    keys, values = torch.zeros(kv_heads, dim, slots), torch.zeros(kv_heads, slots, dim)
    got = q4.store_kv_q(q, k, v, keys, values, pos, 0.1)  # not a power of two: float32 products rounded
    want_keys, want_values = torch.zeros_like(keys), torch.zeros_like(values)
    want_keys[:, :, pos : pos + t] = k.transpose(1, 2)
    want_values[:, pos : pos + t] = v
    assert torch.equal(keys, want_keys) and torch.equal(values, want_values)
    assert torch.equal(got, (q.float() * 0.1).transpose(0, 1).contiguous())


def test_int4_keeps_8_bits_where_the_gguf_has_more_than_4(tmp_path: Any) -> None:
    """On int4 a matrix the source file stores above 4 bits (Q5_*, Q6_K, Q8_0, F16, ...) is made 8-bit,
    with the rest of its stack (q/k/v, gate/up); 4-bit ones stay 4-bit. The output projection is 8-bit
    whatever the file (SmolLM2 stores its tied embedding as Q8_0; its layers are Q4_1)."""
    import gguf
    import numpy as np

    from backends.local.convert import embedded_gguf

    writer = gguf.GGUFWriter(str(tmp_path / "m.gguf"), "llama")
    types = {
        "attn_q": "Q4_0",
        "attn_k": "Q4_0",
        "attn_v": "F16",
        "attn_output": "Q4_0",
        "ffn_gate": "Q4_0",
        "ffn_up": "Q4_0",
        "ffn_down": "Q8_0",
    }
    tensors = {f"blk.{i}.{name}.weight": kind if i == 0 else "Q4_1" for i in (0, 1) for name, kind in types.items()}
    tensors["token_embd.weight"] = "Q4_0"  # tied: the output projection
    for name, kind in tensors.items():
        qtype = gguf.GGMLQuantizationType[kind]
        data = gguf.quants.quantize(np.ones((32, 64), dtype=np.float32), qtype)
        writer.add_tensor(name, data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    layer = "model.layers.0."
    assert kernels.gguf_wide(tmp_path / "m.gguf") == {
        layer + "self_attn.q_proj.weight",
        layer + "self_attn.k_proj.weight",
        layer + "self_attn.v_proj.weight",
        layer + "mlp.down_proj.weight",
    }
    assert kernels.gguf_wide(embedded_gguf("smollm2")) == {"lm_head.weight"}
    weight = torch.randn(32, 64).to(torch.bfloat16)
    assert "q8" in kernels.quantize_for(
        "int4", layer + "mlp.down_proj.weight", weight, frozenset({layer + "mlp.down_proj.weight"})
    )
    assert "q8" in kernels.quantize_for("int4", "lm_head.weight", weight)
    assert "low" in kernels.quantize_for("int4", layer + "mlp.up_proj.weight", weight, frozenset({"lm_head.weight"}))
    assert "low" in kernels.quantize_for("int4-torch", "lm_head.weight", weight)  # torch's kernel: 4-bit only
