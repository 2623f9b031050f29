"""The sentence encoder as an ONNX graph, built from its verified weights, for ONNX Runtime.

Why: the same model runs three to four times cheaper in ONNX Runtime than on numpy, most
of it from int8 matrix products (measured by ``bench/encoders.py``). Nothing is
downloaded or shipped as a ready-made graph: the graph is written here, node by node,
from the weights that :mod:`indexer.encoder` has already checked, so the vectors come
from the published file and from nothing else.

The graph encodes one text per run (no padding, no attention mask). That keeps a text's
vector a function of the text alone: int8 matrix products quantize their input with one
scale per run, so texts sharing a run would shift each other's vectors slightly.

With ``int8``, each weight matrix is stored as signed 8-bit integers with one scale per
output column (symmetric, computed here from the float weights), and ONNX Runtime's
``DynamicQuantizeMatMul`` quantizes the activations per run. Everything else (embeddings,
attention scores, layer norms, GELU, pooling) stays in float32.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np

WEIGHT_LEVELS = 127  # int8 weights use -127..127 (symmetric: zero stays exactly zero)
OPSET = 18  # the ONNX operator set the graph is written for (ONNX Runtime 1.14 and later)
IR_VERSION = 8

# ONNX's protobuf messages, written directly: the graph needs a handful of fields, and the
# ``onnx`` package that could write them costs 20 MB in every process that loads the
# encoder. Field numbers are those of onnx/onnx.proto.
_FLOAT, _UINT8, _INT8, _INT64, _FLOAT16 = 1, 2, 3, 7, 10
_DTYPES = {np.dtype(np.float32): _FLOAT, np.dtype(np.uint8): _UINT8, np.dtype(np.int8): _INT8,
           np.dtype(np.int64): _INT64, np.dtype(np.float16): _FLOAT16}
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 values as two's complement, as protobuf does
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _int(field: int, n: int) -> bytes:
    return _varint(field << 3) + _varint(n)


def _bytes(field: int, data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _tensor(name: str, value: np.ndarray) -> bytes:
    """TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian)."""
    data = value.astype(value.dtype.newbyteorder("<"), copy=False).tobytes()  # C order
    return b"".join(_int(1, d) for d in value.shape) + _int(2, _DTYPES[value.dtype]) + _bytes(8, name) + _bytes(9, data)


def _attribute(name: str, value) -> bytes:
    """AttributeProto: name (1), f (2), i (3), ints (8), type (20)."""
    if isinstance(value, float):
        return _bytes(1, name) + _varint(2 << 3 | 5) + struct.pack("<f", value) + _int(20, _ATTR_FLOAT)
    if isinstance(value, int):
        return _bytes(1, name) + _int(3, value) + _int(20, _ATTR_INT)
    return _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, _ATTR_INTS)


def _node(kind: str, inputs: list[str], outputs: list[str], name: str, domain: str | None, attrs: dict) -> bytes:
    """NodeProto: input (1), output (2), name (3), op_type (4), attribute (5), domain (7)."""
    return (b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outputs) + _bytes(3, name)
            + _bytes(4, kind) + b"".join(_bytes(5, _attribute(k, v)) for k, v in attrs.items())
            + (_bytes(7, domain) if domain else b""))


def _value_info(name: str, elem_type: int, dims: list[int | str]) -> bytes:
    """ValueInfoProto: name (1), type (2) = TypeProto.tensor_type (1): elem_type (1), shape (2)."""
    shape = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, elem_type) + _bytes(2, shape)))


def _model(nodes: list[bytes], initializers: list[bytes], inputs: list[bytes], outputs: list[bytes]) -> bytes:
    """ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8); GraphProto:
    node (1), name (2), initializer (5), input (11), output (12)."""
    graph = (b"".join(_bytes(1, n) for n in nodes) + _bytes(2, "sentence_encoder")
             + b"".join(_bytes(5, t) for t in initializers)
             + b"".join(_bytes(11, i) for i in inputs) + b"".join(_bytes(12, o) for o in outputs))
    opsets = _bytes(8, _bytes(1, "") + _int(2, OPSET)) + _bytes(8, _bytes(1, "com.microsoft") + _int(2, 1))
    return _int(1, IR_VERSION) + _bytes(2, "kb") + _bytes(7, graph) + opsets




def build_graph(take: Callable[[str], np.ndarray], *, layers: int, heads: int, eps: float,
                int8: bool) -> bytes:
    """A serialized ONNX model: word-piece ids (int64, shape [n]) -> unit vector (float32, [dim]).

    :param take: reads one weight tensor by its name in the model's safetensors file.
    :param int8: int8 weight matrices (else float32).
    """
    initializers: list[bytes] = []
    nodes: list[bytes] = []

    def const(name: str, value) -> str:
        initializers.append(_tensor(name, np.asarray(value)))
        return name

    def op(kind: str, inputs: list[str], domain: str | None = None, **attrs) -> str:
        name = f"{kind}_{len(nodes)}"
        nodes.append(_node(kind, inputs, [name], name, domain, attrs))
        return name

    def dense(x: str, name: str, weight: np.ndarray, bias: np.ndarray) -> str:
        """x @ weight.T + bias (``weight`` as stored: [out, in])."""
        w = np.ascontiguousarray(weight.T.astype(np.float32))
        if not int8:
            return op("Add", [op("MatMul", [x, const(name, w)]), const(name + ".bias", bias)])
        scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / WEIGHT_LEVELS
        q = np.clip(np.rint(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
        return op("DynamicQuantizeMatMul", [x, const(name, q), const(name + ".scale", scale.astype(np.float32)),
                                            const(name + ".zero", np.zeros(w.shape[1], np.int8)),
                                            const(name + ".bias", bias)], domain="com.microsoft")

    def layer_norm(x: str, prefix: str) -> str:
        return op("LayerNormalization", [x, const(prefix + ".weight", take(prefix + ".weight")),
                                         const(prefix + ".bias", take(prefix + ".bias"))], axis=-1, epsilon=eps)

    def scalar(name: str, value: float) -> str:
        return const(name, np.array(value, np.float32))

    def axes(name: str, *values: int) -> str:
        return const(name, np.array(values, np.int64))

    # Embeddings: word piece + position + token type 0. The word-piece table is the largest
    # tensor and is only gathered from, so it is kept in half precision (rows widened per use).
    word_table = take("embeddings.word_embeddings.weight")
    dim = word_table.shape[1]
    head = dim // heads
    words = op("Cast", [op("Gather", [const("word_pieces", word_table.astype(np.float16)), "ids"])],
               to=_FLOAT)
    length = op("Shape", ["ids"])
    positions = op("Slice", [const("positions", take("embeddings.position_embeddings.weight")),
                             axes("zero", 0), length, axes("first_axis", 0)])
    token_type = const("token_type", take("embeddings.token_type_embeddings.weight")[0])
    x = layer_norm(op("Add", [op("Add", [words, positions]), token_type]), "embeddings.LayerNorm")

    split_heads = axes("split_heads", 0, 3, heads, head)  # [n, 3 * dim] -> [n, q/k/v, head, head dim]
    join_heads = axes("join_heads", 0, dim)
    scale = scalar("attention_scale", 1.0 / np.sqrt(head))
    half, one, root_half = scalar("half", 0.5), scalar("one", 1.0), scalar("root_half", np.sqrt(0.5))
    for n in range(layers):
        p = f"encoder.layer.{n}."
        qkv_names = [p + f"attention.self.{m}." for m in ("query", "key", "value")]
        qkv = dense(x, p + "qkv", np.concatenate([take(m + "weight") for m in qkv_names]),
                    np.concatenate([take(m + "bias") for m in qkv_names]))
        qkv = op("Transpose", [op("Reshape", [qkv, split_heads])], perm=[1, 2, 0, 3])  # [3, heads, n, hd]
        q, k, v = (op("Gather", [qkv, const(f"{p}pick{i}", np.array(i, np.int64))]) for i in range(3))
        scores = op("Mul", [op("MatMul", [q, op("Transpose", [k], perm=[0, 2, 1])]), scale])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])  # [heads, n, hd]
        context = op("Reshape", [op("Transpose", [context], perm=[1, 0, 2]), join_heads])
        out = p + "attention.output."
        attended = dense(context, out + "dense", take(out + "dense.weight"), take(out + "dense.bias"))
        x = layer_norm(op("Add", [attended, x]), out + "LayerNorm")
        up = dense(x, p + "intermediate.dense", take(p + "intermediate.dense.weight"),
                   take(p + "intermediate.dense.bias"))
        # GELU, the exact (erf) form the model was trained with; ONNX Runtime fuses it.
        gelu = op("Mul", [op("Mul", [up, op("Add", [op("Erf", [op("Mul", [up, root_half])]), one])]), half])
        down = dense(gelu, p + "output.dense", take(p + "output.dense.weight"), take(p + "output.dense.bias"))
        x = layer_norm(op("Add", [down, x]), p + "output.LayerNorm")

    pooled = op("ReduceMean", [x, axes("pool_axis", 0)], keepdims=0)
    norm = op("Max", [op("ReduceL2", [pooled], keepdims=1), scalar("tiny", 1e-12)])
    nodes.append(_node("Div", [pooled, norm], ["vector"], "normalize", None, {}))
    return _model(nodes, initializers, [_value_info("ids", _INT64, ["n"])], [_value_info("vector", _FLOAT, [dim])])
