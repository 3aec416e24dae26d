"""A live webcam session: frames arrive whenever the browser sends them; samples are taken
at a user-set rate and recorded in a bounded Timeline.

The rate is enforced here, by the server's clock, not trusted to the client: a frame that
arrives before the next sample is due is answered without being classified again, so a
client sending frames faster than the rate (or a burst of API calls) costs a decode, not
a detection + CNN run.
"""

import time

from emoji_fer.timeline import Timeline

DEFAULT_RATE = 2.0  # samples per second (Hz)
MAX_RATE = 10.0  # Hz
MAX_ROWS = 7200  # an hour at 2 Hz; 80 bytes a row, so at most ~0.6 MB per session


class LiveSession:
    """One viewer's timeline. Times are seconds since the session's first sample.

    max_rows bounds memory (Timeline: the oldest rows are dropped beyond it).
    clock: a function returning seconds (time.monotonic; tests pass their own).
    """

    def __init__(self, max_rows=MAX_ROWS, clock=time.monotonic):
        self.clock = clock
        self.max_rows = max_rows
        self.reset()

    def reset(self):
        """Start over: no samples, the next frame is sampled at t = 0. Reset in place (not by
        replacing the object) so that a frame being processed meanwhile, which writes this
        same object back as the session's state, cannot undo it."""
        self.timeline = Timeline(self.max_rows)
        self.start = None  # clock time of the first sample
        self.next_due = None  # clock time at which the next sample is due

    def due(self, rate=DEFAULT_RATE):
        """True if a frame arriving now should be classified at `rate` Hz (0 < rate <= MAX_RATE)."""
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate must be in (0, {MAX_RATE:g}] samples per second, got {rate}")
        return self.next_due is None or self.clock() >= self.next_due

    def record(self, result, rate=DEFAULT_RATE):
        """Add a Predictor result as a sample taken now; returns its time in s."""
        now = self.clock()
        if self.start is None:
            self.start = now
        period = 1.0 / rate
        # Step from the previous due time, so that frames arriving every 0.3 s still give
        # 2 Hz on average, but never sooner than half a period from now (no bunched samples
        # after a late frame); after a pause, restart from now instead of catching up.
        if self.next_due is None or now - self.next_due > period:
            self.next_due = now + period
        else:
            self.next_due = max(self.next_due + period, now + period / 2)
        t = now - self.start
        self.timeline.add_result(t, result)
        return t
