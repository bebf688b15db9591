"""Settings for the whole suite.

Hypothesis runs with no per-example deadline: its default (200 ms) is a wall-clock assertion, which a
first example that pays for an import, or a busy 2-core machine, fails at random (it did once, on
``text.literal``'s property test importing Streamlit). Speed is measured in bench/, not asserted here.
"""

import os

# As `make run` starts the app: idle OpenMP threads sleep instead of spinning. On a shared 2-core machine a
# spinning torch is many times slower (an EfficientNet forward pass: ~2 s instead of ~0.1 s). Read when
# torch loads, which is after this file.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from hypothesis import settings  # noqa: E402

settings.register_profile("cnnviz", deadline=None)
settings.load_profile("cnnviz")
