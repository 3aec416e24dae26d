"""Checking a command's failure as a user sees it: one `error:` line on stderr."""

import re

# Lines that native libraries write to stderr themselves, whatever the CLI does: LiteRT's
# "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", TensorFlow's absl preamble.
NATIVE_LOG = re.compile(r"INFO: |WARNING: All log messages before absl|[IWE]\d{4} ")


def error_line(proc, code=2):
    """The one `error:` line on stderr (native libraries' log lines aside); fails unless the
    exit status is `code` and there is no traceback."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip() and not NATIVE_LOG.match(line)]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]
