"""Several Predictors of one model behind one object, so that the demo's concurrent
requests use several CPU cores."""

import queue
from contextlib import contextmanager


class PredictorPool:
    """Several Predictors of one model, so that a server's requests use several CPU cores.

    One Predictor classifies one image at a time (a lock: the face detector and the LiteRT
    interpreter keep per-call state), but its work (decoding, the detector, OpenCV,
    LiteRT) runs outside Python's GIL, so one Predictor per core, each in its own thread,
    takes much less time per photo than one Predictor alone (docs/benchmarks.md).

    predictors: Predictors of the same model (`PredictorPool.load` makes them). The pool
    has what the demo uses of a Predictor: predict_rgb and predict_rgb_with_inputs (each
    call takes a free Predictor, waiting for one if all are busy), metadata and
    model_sha256 (the first one's; the same file for all).
    """

    def __init__(self, predictors):
        self.predictors = list(predictors)
        if not self.predictors:
            raise ValueError("a PredictorPool needs at least one Predictor")
        self.metadata = self.predictors[0].metadata
        self.model_sha256 = self.predictors[0].model_sha256
        self._free = queue.SimpleQueue()
        for predictor in self.predictors:
            self._free.put(predictor)

    @classmethod
    def load(cls, size, *args, **kwargs):
        """`size` warmed-up Predictor(*args, **kwargs), each with its own detector and
        interpreter, built and warmed up one after another."""
        from emoji_fer.predictor import Predictor

        return cls(Predictor(*args, **kwargs).warm_up() for _ in range(size))

    @contextmanager
    def _take(self):
        predictor = self._free.get()
        try:
            yield predictor
        finally:
            self._free.put(predictor)

    def predict_rgb(self, *args, **kwargs):
        """Predictor.predict_rgb on a free Predictor."""
        with self._take() as predictor:
            return predictor.predict_rgb(*args, **kwargs)

    def predict_rgb_with_inputs(self, *args, **kwargs):
        """Predictor.predict_rgb_with_inputs on a free Predictor."""
        with self._take() as predictor:
            return predictor.predict_rgb_with_inputs(*args, **kwargs)
