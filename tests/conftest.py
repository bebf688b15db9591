"""Settings for the whole suite.

Hypothesis runs with no per-example deadline: its default (200 ms) is a wall-clock assertion, which a
first example that pays for an import, or a busy 2-core machine, fails at random (it did once, on
``text.literal``'s property test importing Streamlit). Speed is measured in bench/, not asserted here.
"""

from hypothesis import settings

settings.register_profile("cnnviz", deadline=None)
settings.load_profile("cnnviz")
