"""The lecture-hall settings in .streamlit/config.toml, and the upload limit the UI states matches them."""

import ast
import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnnviz_ui.picker import UPLOAD_LIMIT_MB

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_upload_limit_is_set_and_matches_the_ui_constant():
    assert CONFIG["server"]["maxUploadSize"] == UPLOAD_LIMIT_MB


def test_usage_statistics_are_off():
    assert CONFIG["browser"]["gatherUsageStats"] is False


def test_no_error_details_or_tracebacks_reach_the_browser():
    assert CONFIG["client"]["showErrorDetails"] in ("none", False)


def test_streamlit_reads_the_same_limit(monkeypatch):
    from streamlit import config

    monkeypatch.chdir(ROOT)
    config._config_options = None  # re-read the project's config.toml from the working directory
    config.get_config_options(force_reparse=True, options_from_flags={})
    assert config.get_option("server.maxUploadSize") == UPLOAD_LIMIT_MB
    assert config.get_option("browser.gatherUsageStats") is False
    # Streamlit really knows these (a misspelt option would be dropped with only a warning):
    assert config.get_option("runner.postScriptGC") is False  # no GIL-holding gc.collect(2) after every rerun
    assert config.get_option("server.fileWatcherType") == "none"


def test_upload_widget_states_the_limit():
    at = AppTest.from_file(str(ROOT / "pages" / "1_Kernels.py"), default_timeout=60).run()
    at.radio(key="kernels_source").set_value("Upload").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert f"up to {UPLOAD_LIMIT_MB} MB" in captions


def _cache_data_decorators():
    """(file:line, decorator) of every ``st.cache_data`` decorator in the app's own code."""
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "cnnviz_ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for decorator in getattr(node, "decorator_list", ()):
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr == "cache_data":
                    yield f"{path.name}:{decorator.lineno}", decorator


def test_every_data_cache_is_bounded():
    """The server's memory must not grow with every photo thirty students upload: ``st.cache_data`` is shared by
    all sessions and, without ``max_entries``, keeps one entry per distinct argument (e.g. per upload) forever."""
    found = list(_cache_data_decorators())
    assert len(found) >= 5  # the scan sees the caches (load_image, the uploads, the pictures, ...)
    bounded = [isinstance(d, ast.Call) and any(k.arg == "max_entries" for k in d.keywords) for _, d in found]
    assert [where for (where, _), ok in zip(found, bounded, strict=True) if not ok] == []
