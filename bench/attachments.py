"""Attachment benchmark: 100 MB through the worker's code paths, with peak memory.

What it measures
----------------
A real stack is started (tests/live.py: a fresh PostgreSQL database, Daphne and
a Celery worker on Redis) with the sandbox as Apple's gateway and MMCS. This
process then runs the *worker's* code in-process against that stack, so its
memory is the worker's memory for one task:

* send: an outbound message with one stored file of ``--size`` MB goes through
  ``services.message_deliver``: the file is read from storage, encrypted
  (AES-256-CTR), ``preUpload`` + upload streamed to the sandbox over HTTP, then
  the text with the descriptor is posted to ``/message`` (the sandbox decrypts
  the head to check the key). MB/s = size / wall time of the whole call.
* receive: the sandbox stores a ``--size`` MB file encrypted as a customer's
  device would, and ``attachments.attachment_fetch`` runs: ``preDownload``,
  streamed download, length check, decrypt, SHA-256, spool, storage. MB/s as above.
* raw: a bare ``cryptography`` AES-256-CTR loop over the same number of bytes
  in the same chunk size, the ceiling on this machine.

Peak memory is measured three ways per phase, each as growth over the start
of the call: the ``tracemalloc`` peak of Python allocations (what the code
holds), the peak resident set sampled every 5 ms from /proc/self/statm (which
also sees C buffers such as OpenSSL's and the socket's), and ``ru_maxrss``
(the kernel's high-water mark; it only ever rises, so it shows only how far
a transfer pushed past everything before it). A 64 KB transfer each way runs
first so imports and library mappings, which a long-running worker has
already paid for, are not counted.

The SHA-256 of what arrives is compared with what was sent, both ways.
Exit status: 0 when both transfers match and both phases stay under the
32 MB budget; 1 otherwise; 2 when the stack would not start.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
CHUNK = 256 * 1024
BUDGET_MB = 32.0


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def maxrss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def source_chunks(size: int, seed: bytes) -> Iterator[bytes]:
    """Deterministic, incompressible-looking bytes, produced a chunk at a time."""
    block = hashlib.sha256(seed).digest() * (CHUNK // 32)
    counter = 0
    left = size
    while left > 0:
        piece = bytes(b ^ (counter & 0xFF) for b in block[:64]) + block[64:]
        counter += 1
        yield piece[: min(CHUNK, left)]
        left -= min(CHUNK, left)


def write_source(path: Path, size: int, seed: bytes) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        # A PDF header: the sandbox checks that the key decrypts to the type.
        head = b"%PDF-1.7\n"
        first = True
        for chunk in source_chunks(size, seed):
            if first:
                chunk = head + chunk[len(head) :]
                first = False
            handle.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def raw_aes_mb_s(size: int) -> float:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    chunk = os.urandom(CHUNK)
    encryptor = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(bytes(16))).encryptor()
    started = time.perf_counter()
    done = 0
    while done < size:
        encryptor.update(chunk)
        done += CHUNK
    encryptor.finalize()
    return size / MB / (time.perf_counter() - started)


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / MB


class RssSampler(threading.Thread):
    """Samples resident memory every few ms: the peak a call really reached."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_mb = current_rss_mb()
        self.peak_mb = self.start_mb
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak_mb = max(self.peak_mb, current_rss_mb())


def measured(call: Callable[[], Any]) -> tuple[float, float, float, float]:
    """Run ``call``; return (seconds, tracemalloc peak MB, RSS peak growth MB,
    ru_maxrss growth MB)."""
    rss_before = maxrss_mb()
    sampler = RssSampler()
    sampler.start()
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    call()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sampler.done.set()
    sampler.join()
    sampler.peak_mb = max(sampler.peak_mb, current_rss_mb())
    return (
        seconds,
        peak / MB,
        sampler.peak_mb - sampler.start_mb,
        maxrss_mb() - rss_before,
    )


def run(stack: Any, size: int, workdir: Path) -> int:
    os.environ.update(stack.env)
    import django

    django.setup()
    from django.core.files import File

    from conversations import attachments, services
    from conversations.apple.crypto import key_from_wire
    from conversations.models import (
        Attachment,
        Business,
        Conversation,
        Customer,
        Message,
    )
    from sandbox import mmcs
    from sandbox.models import SandboxCustomer

    business = Business.objects.get(apple_id=stack.business_apple_id)
    device = SandboxCustomer.objects.create(
        business_apple_id=business.apple_id, display_name="bench"
    )
    customer = Customer.objects.create(business=business, apple_id=device.opaque_id)
    conversation = Conversation.objects.create(business=business, customer=customer)

    def send(nbytes: int) -> tuple[bool, tuple[float, float, float, float]]:
        source = workdir / "send.pdf"
        sent_sha = write_source(source, nbytes, b"send")
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUT,
            kind=Message.Kind.ATTACHMENT,
            status=Message.Status.PENDING,
        )
        row = Attachment(
            message=message,
            name="bench.pdf",
            mime_type="application/pdf",
            size=nbytes,
            sha256=sent_sha,
        )
        with source.open("rb") as handle:
            row.file.save("bench.pdf", File(handle), save=False)
        row.save()
        source.unlink()
        figures = measured(lambda: services.message_deliver(message_id=message.id))
        message.refresh_from_db()
        row.refresh_from_db()
        uploaded = mmcs.find_by_url(row.apple_descriptor.get("url", ""))
        got = hashlib.sha256()
        if uploaded is not None:
            key = key_from_wire(row.apple_descriptor["key"])
            for chunk in mmcs.decrypted_chunks(uploaded, key):
                got.update(chunk)
        ok = message.status == Message.Status.SENT and got.hexdigest() == sent_sha
        return ok, figures

    def receive(nbytes: int) -> tuple[bool, tuple[float, float, float, float]]:
        expected = hashlib.sha256()
        first = True

        def device_chunks() -> Iterator[bytes]:
            nonlocal first
            for chunk in source_chunks(nbytes, b"receive"):
                if first:
                    chunk = b"%PDF-1.7\n" + chunk[9:]
                    first = False
                expected.update(chunk)
                yield chunk

        upload, key = mmcs.store_encrypted(device_chunks(), declared_size=nbytes)
        descriptor = mmcs.descriptor(
            upload, key, name="scan.pdf", mime_type="application/pdf"
        )
        inbound = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.IN,
            kind=Message.Kind.ATTACHMENT,
            status=Message.Status.RECEIVED,
        )
        attachment = Attachment.objects.create(
            message=inbound,
            name="scan.pdf",
            mime_type="application/pdf",
            size=nbytes,
            apple_descriptor=descriptor,
        )
        figures = measured(
            lambda: attachments.attachment_fetch(attachment_id=attachment.id)
        )
        attachment.refresh_from_db()
        ok = (
            attachment.status == Attachment.Status.STORED
            and attachment.sha256 == expected.hexdigest()
        )
        return ok, figures

    # A long-running worker has its modules imported and its libraries mapped:
    # one small transfer each way first, so the figures are the transfer's own.
    send(64 * 1024)
    receive(64 * 1024)
    send_ok, (send_s, send_peak, send_rss, send_max) = send(size)
    recv_ok, (recv_s, recv_peak, recv_rss, recv_max) = receive(size)

    raw = raw_aes_mb_s(size)
    size_mb = size / MB

    def line(label: str, seconds: float, figures: tuple[float, ...], ok: bool) -> str:
        traced, rss, maxrss = figures
        return (
            f"{label:<32}{size_mb / seconds:8.1f} MB/s ({seconds:5.2f} s)  "
            f"peak +{traced:5.1f} MB tracemalloc, +{rss:5.1f} MB RSS, "
            f"+{maxrss:5.1f} MB ru_maxrss  sha256 {'match' if ok else 'MISMATCH'}"
        )

    out(f"{'file size':<32}{size_mb:8.1f} MB, chunks of {CHUNK // 1024} KB")
    out(f"{'raw AES-256-CTR (cryptography)':<32}{raw:8.1f} MB/s")
    out(
        line(
            "send: encrypt+preUpload+upload",
            send_s,
            (send_peak, send_rss, send_max),
            send_ok,
        )
    )
    out(
        line(
            "receive: download+decrypt+store",
            recv_s,
            (recv_peak, recv_rss, recv_max),
            recv_ok,
        )
    )
    out(f"{'memory budget':<32}< {BUDGET_MB:.0f} MB above the start, per transfer")
    within = (
        max(send_peak, send_rss, send_max, recv_peak, recv_rss, recv_max) < BUDGET_MB
    )
    return 0 if (send_ok and recv_ok and within) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=100, help="file size in MB")
    args = parser.parse_args()
    size = args.size * MB

    from tests.live import live_stack

    try:
        context = live_stack(name="bench-attachments")
        stack = context.__enter__()
    except Exception as exc:  # noqa: BLE001 - any start-up failure ends the run
        out(f"the stack did not start: {exc}")
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="bench-attachments-") as workdir:
            return run(stack, size, Path(workdir))
    finally:
        context.__exit__(None, None, None)


if __name__ == "__main__":
    sys.exit(main())
