"""UI helpers shared by the Streamlit pages (the only package besides pages/ that imports streamlit).

One module per page, named after it (``kernels``, ``conv_arithmetic``, ``feature_maps``, ``classify``,
``evaluate``, ``translation_invariance``, ``training``), and a few shared by topic: ``picker`` (every input),
``layout``, ``state``, ``text``, ``resources``, ``plots``, ``charts``, ``cards`` and ``navigation``. The
library itself lives in ``cnnviz``.
"""

import os

# Idle OpenMP threads of torch busy-wait by default. On a 2-core server shared by a class, that spinning
# starved OpenCV and the other sessions: a photo + prediction took ~160 ms instead of ~14 ms (measured
# under load). Must be set before torch is first imported, which every page does through this package.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
