"""UI helpers shared by the Streamlit pages (the only package besides pages/ that imports streamlit).

One module per topic: ``common`` (page set-up, friendly errors), ``resources`` (models and datasets
loaded once per server), plus per-page helpers. The library itself lives in ``cnnviz``.
"""
