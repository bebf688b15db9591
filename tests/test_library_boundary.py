"""The library never imports streamlit (STYLE rule 1): checked in a fresh interpreter."""

import pkgutil
import subprocess
import sys

import cnnviz


def test_importing_every_cnnviz_module_does_not_import_streamlit():
    modules = [f"cnnviz.{m.name}" for m in pkgutil.iter_modules(cnnviz.__path__)]
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", modules
