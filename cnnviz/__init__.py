"""cnnviz: the library behind the app. Pure functions on numpy arrays and torch tensors.

It never imports streamlit (a test checks this), so everything here runs in scripts,
notebooks and tests as well as behind the pages.
"""

__version__ = "0.1.0"
