"""The understanding model as a serving process holds it: its cached weights, read and
scored without numpy, give each message the reading the trained classifier gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from bot.understanding.corpus import Example, read_all
from bot.understanding.model import UnderstandingModel, _matrix, load_or_train

ROOT = Path(__file__).resolve().parent.parent


def test_of_two_intents_each_message_gets_its_own(tmp_path: Path) -> None:
    """scikit-learn gives two classes one row of weights (the second's score)."""
    examples = [Example("stop", "en", t) for t in ("quit it", "leave me alone", "stop now")]
    examples += [Example("yes", "es", t) for t in ("si claro", "yes sure", "ok dale")]
    model = load_or_train(examples, tmp_path)
    for ex in examples:
        assert model.understand(ex.text).intent == ex.intent, ex.text
        assert model.locale(ex.text)[0] == ex.locale, ex.text
    loaded = load_or_train(examples, tmp_path)  # from the cache file
    assert loaded.understand("si claro").ranked == model.understand("si claro").ranked


def test_the_integer_weights_score_as_the_trained_classifier() -> None:
    """Every shipped corpus message: the same likeliest intent and locale as
    scikit-learn's own probabilities, each within 0.002."""
    from sklearn.linear_model import SGDClassifier

    from bot.understanding import model as module

    examples = read_all()
    texts = [ex.text for ex in examples]
    matrix = _matrix(texts)
    served = UnderstandingModel.train(examples)
    reference = SGDClassifier(loss="log_loss", alpha=module.ALPHA, max_iter=module.EPOCHS,
                              tol=None, class_weight="balanced", random_state=0)
    reference.fit(matrix, [ex.intent for ex in examples])
    expected = reference.predict_proba(matrix)
    classes = list(reference.classes_)
    for text, probs in zip(texts, expected, strict=True):
        ranked = served.understand(text)
        assert ranked.intent == classes[int(probs.argmax())], text
        assert ranked.confidence == pytest.approx(float(probs.max()), abs=0.002), text


def test_a_broken_cache_file_is_trained_again(tmp_path: Path) -> None:
    examples = [Example("stop", "en", "quit it"), Example("yes", "en", "yes sure")]
    load_or_train(examples, tmp_path)
    (cache,) = tmp_path.iterdir()
    whole = cache.read_bytes()
    flipped = bytearray(whole)
    flipped[len(whole) // 2] ^= 0x10  # one weight, deep inside the rows
    _, header, arrays = whole.split(b"\n", 2)
    sizes = json.loads(header)["blobs"]
    lying = []  # checksummed right, but the header names sizes the file has not
    for forged_sizes in ([1 << 40, *sizes[1:]], [-1, *sizes[1:]]):
        body = json.dumps({**json.loads(header), "blobs": forged_sizes}).encode() + b"\n" + arrays
        lying.append(b"%08x\n" % zlib.crc32(body) + body)
    for broken in (whole[:5000], b"not json\n", b'{"version": "0"}\n', bytes(flipped),
                   whole + b"\0", *lying):
        cache.write_bytes(broken)
        assert load_or_train(examples, tmp_path).understand("yes sure").intent == "yes"
        assert cache.read_bytes() == whole  # saved whole again


def test_a_serving_process_understands_without_numpy(tmp_path: Path) -> None:
    """numpy is 15 MB of a process: the workers' one reads messages without it."""
    load_or_train(read_all(), tmp_path / "casecheck")
    script = (
        "import asyncio, json, sys\n"
        "import handlers\n"
        "u = handlers.Understanding()\n"
        "asyncio.run(u.warm())\n"
        "r = u.understand('hola, quiero saber si mi caso fue afectado')\n"
        "print(json.dumps([r.intent, u.written_in('was my case affected?')[0],\n"
        "                  'numpy' in sys.modules]))\n")
    env = {**os.environ, "CASECHECK_CACHE": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == ["lookup", "en", False]
    assert len(list((tmp_path / "casecheck").iterdir())) == 1  # loaded, not trained again
