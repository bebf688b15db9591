"""Settings survive a visit to another page (and a hidden control): what a lecturer sets up stays set up.

Streamlit forgets a widget's value when the widget is not drawn in a run; the app's widgets keep theirs
(``persist_state="session"``), and the two tables (the custom kernel, the layer builder) through
``cnnviz_ui.state.lasting_data_editor``. The Train form's settings are checked in the browser
(tests/e2e/test_home_and_train.py): AppTest does not submit a form on a page reached with ``switch_page``.
"""

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    return at


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    return at


def test_kernels_settings_survive_another_page():
    at = visit(open_app(), "1_Kernels")
    at.radio(key="kernels_source").set_value("Sample photo").run()
    at.selectbox(key="kernels_photo").set_value("astronaut").run()
    at.selectbox(key="kernels_colour").set_value("Colour (per channel)").run()
    at.radio(key="kernels_kind").set_value("Gaussian").run()
    at.slider(key="kernels_gauss_size").set_value(15).run()
    at.number_input(key="kernels_stride").set_value(3).run()
    at.selectbox(key="kernels_boundary").set_value("wrap").run()
    at.toggle(key="kernels_flip").set_value(True).run()  # away from its default, cross-correlation
    visit(at, "2_Conv_arithmetic")
    visit(at, "1_Kernels")
    assert at.selectbox(key="kernels_photo").value == "astronaut"
    assert at.selectbox(key="kernels_colour").value == "Colour (per channel)"
    assert at.radio(key="kernels_kind").value == "Gaussian" and at.slider(key="kernels_gauss_size").value == 15
    assert at.number_input(key="kernels_stride").value == 3 and at.selectbox(key="kernels_boundary").value == "wrap"
    assert at.toggle(key="kernels_flip").value is True


def test_conv_arithmetic_keeps_the_convolution_while_pooling_is_shown_and_across_pages():
    at = visit(open_app(), "2_Conv_arithmetic")
    at.number_input(key="ar_conv_s").set_value(2).run()
    at.number_input(key="ar_conv_d").set_value(2).run()
    at.text_input(key="ar_conv_p").set_value("same").run()
    at.get("button_group")[0].set_value("Max pooling").run()
    assert "ar_conv_s" not in [n.key for n in at.number_input]  # the pooling controls are shown instead
    at.get("button_group")[0].set_value("Convolution").run()
    assert at.number_input(key="ar_conv_s").value == 2 and at.number_input(key="ar_conv_d").value == 2
    assert at.text_input(key="ar_conv_p").value == "same"
    visit(at, "7_Train")
    visit(at, "2_Conv_arithmetic")
    assert at.number_input(key="ar_conv_s").value == 2 and at.text_input(key="ar_conv_p").value == "same"


def test_a_table_comes_back_as_it_was_last_edited():
    def app():
        import pandas as pd
        import streamlit as st

        from cnnviz_ui.state import lasting_data_editor

        if st.checkbox("show", value=True, key="show"):
            table = lasting_data_editor(pd.DataFrame({"w": [1.0, 2.0]}), key="grid")
            st.write(f"sum={table['w'].sum():g}")

    at = AppTest.from_function(app).run()
    assert [m.value for m in at.markdown] == ["sum=3"]
    edited = pd.DataFrame({"w": [1.0, 2.0, 40.0]})  # what the editor returned after the student added a row
    at.session_state["grid__kept"] = edited
    at.checkbox(key="show").set_value(False).run()  # the editor is not drawn: Streamlit drops its state
    at.checkbox(key="show").set_value(True).run()
    assert [m.value for m in at.markdown] == ["sum=43"]
    at.run()  # while the editor lives, its starting table stays put (edits are recorded against it)
    assert [m.value for m in at.markdown] == ["sum=43"]


def test_an_uploaded_image_is_still_there_after_another_page():
    from fixtures_hostile import gradient_png

    at = visit(open_app(), "1_Kernels")
    at.radio(key="kernels_source").set_value("Upload").run()
    at.file_uploader(key="kernels_upload").upload("gradient.png", gradient_png(96, 64), "image/png").run()
    assert not at.exception and not at.error
    visit(at, "2_Conv_arithmetic")
    visit(at, "1_Kernels")
    assert any("Still using **gradient.png**" in c.value for c in at.caption)
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("64 x 96" in spec for spec in titles)  # the upload's size, not a sample photo's
    at.run()  # and on the next rerun too
    assert any("Still using **gradient.png**" in c.value for c in at.caption)


def test_a_kept_upload_can_be_forgotten_and_the_uploaders_own_cross_still_empties_it():
    # (AppTest does not deliver button clicks on a page reached with switch_page: a hidden-then-shown
    # uploader drops its state the same way.)
    from fixtures_hostile import gradient_png

    def app():
        import streamlit as st

        from cnnviz_ui.picker import upload_image

        if st.checkbox("show", value=True, key="show"):
            picked = upload_image("photo")
            st.write(f"picked={None if picked is None else picked.caption}")

    at = AppTest.from_function(app).run()
    at.file_uploader(key="photo").upload("g.png", gradient_png(), "image/png").run()
    at.checkbox(key="show").set_value(False).run()
    at.checkbox(key="show").set_value(True).run()
    assert [m.value for m in at.markdown] == ["picked=g.png"]
    at.button(key="photo_forget").click().run()
    assert [m.value for m in at.markdown] == ["picked=None"]
    at.run()
    assert [m.value for m in at.markdown] == ["picked=None"] and not at.button
    at.file_uploader(key="photo").upload("h.png", gradient_png(), "image/png").run()
    at.file_uploader(key="photo").clear().run()  # the uploader's own cross, the widget still drawn
    assert [m.value for m in at.markdown] == ["picked=None"]


def _inspected(at: AppTest) -> tuple[int, int, str]:
    text = next(m.value for m in at.markdown if m.value.startswith("Output pixel (row"))
    return at.number_input(key="kernels_inspect_row").value, at.number_input(key="kernels_inspect_col").value, text


def test_the_inspected_pixel_survives_an_error_and_another_page():
    """The boxes and the explanation agree, and keep the pixel: after a stride of 0 (no inspector drawn) the
    boxes read 0, 0 while the text still explained (100, 200); after another page they read 0, 0 (padding)."""
    at = visit(open_app(), "1_Kernels")
    at.number_input(key="kernels_inspect_row").set_value(100)
    at.number_input(key="kernels_inspect_col").set_value(200).run()
    assert _inspected(at) == (100, 200, _inspected(at)[2]) and "(row 100, column 200)" in _inspected(at)[2]
    at.number_input(key="kernels_stride").set_value(0).run()
    assert at.error and "kernels_inspect_row" not in [n.key for n in at.number_input]
    at.number_input(key="kernels_stride").set_value(1).run()
    row, col, text = _inspected(at)
    assert (row, col) == (100, 200) and "(row 100, column 200)" in text
    visit(at, "2_Conv_arithmetic")
    visit(at, "1_Kernels")
    row, col, text = _inspected(at)
    assert (row, col) == (100, 200) and "(row 100, column 200)" in text


def test_feature_maps_close_up_and_pooling_choices_survive_another_page():
    """Controls whose range depends on the model keep the student's choice when it still fits (they started
    afresh after every visit to another page), and start afresh when it does not (a LeNet has 20 conv1 maps)."""
    at = visit(open_app(), "3_Feature_maps")
    at.selectbox(key="fm_zoom_layer").set_value("conv2").run()
    at.slider(key="fm_zoom_map_conv2").set_value(40).run()
    at.selectbox(key="fm_pool_layer").set_value("relu2 → pool2").run()
    at.slider(key="fm_pool_map_pool2").set_value(50).run()
    at.slider(key="fm_pool_row_pool2").set_value(1).run()
    at.slider(key="fm_pool_map_pool2").set_value(51).run()  # the zoom row, left alone, stays where it is shown
    at.slider(key="fm_pool_map_pool2").set_value(50).run()
    assert not at.exception
    visit(at, "2_Conv_arithmetic")
    visit(at, "3_Feature_maps")
    assert at.selectbox(key="fm_zoom_layer").value == "conv2" and at.slider(key="fm_zoom_map_conv2").value == 40
    assert at.selectbox(key="fm_pool_layer").value == "relu2 → pool2"
    assert at.slider(key="fm_pool_map_pool2").value == 50 and at.slider(key="fm_pool_row_pool2").value == 1
    assert not at.warning  # no "set both by default and through Session State" notice


def test_a_kept_choice_that_no_longer_fits_is_dropped():
    from cnnviz.models import build_model
    from cnnviz_ui.resources import SESSION_MODELS_KEY

    at = visit(open_app(), "3_Feature_maps")
    at.session_state[SESSION_MODELS_KEY] = {"My LeNet": (build_model("lenet").eval(), {"dataset": "MNIST"})}
    at.slider(key="fm_zoom_map_conv1").set_value(30).run()  # conv1 map 30 of the convnet's 32
    visit(at, "2_Conv_arithmetic")
    at.session_state["fm_model"] = "My LeNet"  # 20 conv1 maps: 30 does not fit
    visit(at, "3_Feature_maps")
    assert not at.exception
    assert at.slider(key="fm_zoom_map_conv1").value < 20


def test_a_zoom_window_left_alone_stays_where_it_was_shown():
    """The QA pass: map 47 → 49 on relu2 → pool2 left the zoom row at 0; after a visit it came back at 2, the
    default for map 49, because only choices the student made were kept."""
    at = visit(open_app(), "3_Feature_maps")
    at.selectbox(key="fm_pool_layer").set_value("relu2 → pool2").run()
    at.slider(key="fm_pool_map_pool2").set_value(47).run()
    at.slider(key="fm_pool_map_pool2").set_value(49).run()
    shown = at.slider(key="fm_pool_row_pool2").value, at.slider(key="fm_pool_col_pool2").value
    visit(at, "4_Classify")
    visit(at, "3_Feature_maps")
    assert (at.slider(key="fm_pool_row_pool2").value, at.slider(key="fm_pool_col_pool2").value) == shown
