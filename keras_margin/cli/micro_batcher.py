"""`MicroBatcher`: concurrent requests share one model call."""

import asyncio
import concurrent.futures

import numpy as np


class MicroBatcher:
    """Collects concurrent requests into one call of `fn`, run in a worker thread.

    The rule: the first request to reach an idle batcher opens a batch. The batch
    closes when it holds `max_batch_size` instances or `max_delay_ms` after it opened,
    whichever comes first; the requests in it are concatenated along the batch axis,
    `fn` runs once on a single worker thread (model calls never overlap, and the event
    loop keeps accepting requests meanwhile), and each request gets its own rows of
    every output back. A request larger than `max_batch_size` runs as a batch of its
    own. Requests that arrive while a batch runs wait for the next one. If a batch of
    several requests fails, each request is retried alone, so one bad request cannot
    fail the others.

    Args:
        fn: maps a (n, ...) array to a dict of (n, ...) arrays.
        max_batch_size: instances per model call (at least 1).
        max_delay_ms: how long an open batch waits for more requests.
    """

    def __init__(self, fn, max_batch_size=64, max_delay_ms=2.0):
        if max_batch_size < 1:
            raise ValueError(f"`max_batch_size` must be at least 1; received {max_batch_size}.")
        if not max_delay_ms >= 0:
            raise ValueError(f"`max_delay_ms` must be >= 0; received {max_delay_ms}.")
        self._fn = fn
        self.max_batch_size = max_batch_size
        self.max_delay = max_delay_ms / 1000.0
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        self._loop = None
        self._queue = None
        self._worker = None
        self.calls = 0  # model calls made, for tests and the benchmark

    async def __call__(self, inputs):
        """The outputs of `fn` for `inputs` (n, ...), computed in a shared batch."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests run several): a new worker
            self._loop, self._queue = loop, asyncio.Queue()
            self._worker = loop.create_task(self._work())
        future = loop.create_future()
        self._queue.put_nowait((inputs, future))
        return await future

    def close(self):
        if self._worker is not None:
            self._worker.cancel()
        self._executor.shutdown(wait=False)

    async def _work(self):
        loop = asyncio.get_running_loop()
        held_over = None  # a request that would have overfilled the previous batch
        while True:
            batch = [held_over or await self._queue.get()]
            held_over = None
            size = len(batch[0][0])
            closes = loop.time() + self.max_delay
            while size < self.max_batch_size:
                remaining = closes - loop.time()
                if remaining <= 0:
                    break
                try:
                    request = await asyncio.wait_for(self._queue.get(), remaining)
                except asyncio.TimeoutError:
                    break
                if size + len(request[0]) > self.max_batch_size:
                    held_over = request
                    break
                batch.append(request)
                size += len(request[0])
            await self._run(loop, batch)

    async def _run(self, loop, batch):
        try:
            outputs = await loop.run_in_executor(
                self._executor, self._fn, np.concatenate([inputs for inputs, _ in batch]))
            self.calls += 1
        except Exception as error:  # noqa: BLE001  (handed to the waiting requests)
            if len(batch) > 1:
                for request in batch:
                    await self._run(loop, [request])
            elif not batch[0][1].done():
                batch[0][1].set_exception(error)
            return
        start = 0
        for inputs, future in batch:
            stop = start + len(inputs)
            if not future.done():
                future.set_result({name: value[start:stop] for name, value in outputs.items()})
            start = stop
