"""Links to a view (cnnviz.view_links): what a page writes reads back the same; what a link holds never raises."""

from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnviz import view_links
from cnnviz.view_links import LinkParam, defaults, is_secure_origin, link_query, read_link, view_url

PARAMS = [
    LinkParam("kernel", str, "sobel_x", choices=("sobel_x", "sobel_y", "blur 3x3", "sharpen&edge")),
    LinkParam("stride", int, 1, low=1, high=8),
    LinkParam("gain", float, 1.0, low=-5.0, high=5.0),
    LinkParam("rotate", bool, False),
    LinkParam("layer", str, "conv1"),
    LinkParam("unit", int, 0, low=0, high=31, key="fm_unit"),
]


def valid_values() -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {
            "kernel": st.sampled_from(PARAMS[0].choices),
            "stride": st.integers(1, 8),
            "gain": st.floats(-5.0, 5.0, allow_nan=False),
            "rotate": st.booleans(),
            "layer": st.text(max_size=30),
            "unit": st.integers(0, 31),
        }
    )


@given(valid_values())
def test_values_survive_a_round_trip_through_the_link(values):
    query = link_query(values, PARAMS)
    back, notes = read_link(query, PARAMS)
    assert notes == []
    assert {**defaults(PARAMS), **back} == values
    for name, value in {**defaults(PARAMS), **back}.items():  # the kinds survive too (1 is not True)
        assert type(value) is type(values[name]) or (isinstance(value, float) and isinstance(values[name], float))


@given(valid_values())
def test_the_link_holds_only_what_differs_from_the_defaults(values):
    query = link_query(values, PARAMS)
    assert set(query) == {p.name for p in PARAMS if values[p.name] != p.default}
    assert all(isinstance(text, str) for text in query.values())


@given(valid_values())
def test_a_round_trip_through_a_real_url_keeps_the_values(values):
    from urllib.parse import parse_qs, urlsplit

    url = view_url("http://10.0.0.5:8501/Kernels", link_query(values, PARAMS))
    raw = parse_qs(urlsplit(url).query, keep_blank_values=True)  # lists, as a browser's query gives
    back, notes = read_link(raw, PARAMS)
    assert notes == [] and {**defaults(PARAMS), **back} == values


def test_defaults_give_the_bare_address():
    assert link_query(defaults(PARAMS), PARAMS) == {}
    assert view_url("http://h:8501/Kernels", {}) == "http://h:8501/Kernels"


@pytest.mark.parametrize(
    ("raw", "note"),
    [
        ({"stride": "0"}, "The link's stride=0 was ignored: stride must be at least 1."),
        ({"stride": "9"}, "The link's stride=9 was ignored: stride must be at most 8."),
        ({"stride": "2.5"}, "The link's stride=2.5 was ignored: stride must be a whole number."),
        ({"stride": "two"}, "The link's stride=two was ignored: stride must be a whole number."),
        ({"gain": "nan"}, "The link's gain=nan was ignored: gain must be a number."),
        ({"gain": "inf"}, "The link's gain=inf was ignored: gain must be a number."),
        ({"gain": "-7.5"}, "The link's gain=-7.5 was ignored: gain must be at least -5."),
        ({"rotate": "maybe"}, "The link's rotate=maybe was ignored: rotate is on or off (1 or 0)."),
        (
            {"kernel": "gauss"},
            "The link's kernel=gauss was ignored: kernel must be one of sobel_x, sobel_y, blur 3x3, sharpen&edge.",
        ),
        ({"unit": "50"}, "The link's unit=50 was ignored: unit must be at most 31."),
    ],
)
def test_a_wrong_value_is_dropped_with_its_own_sentence(raw, note):
    values, notes = read_link(raw, PARAMS)
    assert values == {}
    assert notes == [note]


def test_good_values_are_kept_beside_bad_ones_and_unknown_keys_are_left_alone():
    values, notes = read_link({"stride": "0", "kernel": "blur 3x3", "present": "1", "zzz": "?"}, PARAMS)
    assert values == {"kernel": "blur 3x3"}
    assert len(notes) == 1 and "stride=0" in notes[0]


def test_lenient_spellings_a_person_might_type():
    values, notes = read_link({"kernel": "SOBEL_Y", "rotate": "true", "stride": " 3 ", "gain": "2"}, PARAMS)
    assert notes == []
    assert values == {"kernel": "sobel_y", "rotate": True, "stride": 3, "gain": 2.0}
    assert isinstance(values["gain"], float)


def test_a_repeated_key_counts_by_its_last_value_and_an_empty_list_is_absent():
    assert read_link({"stride": ["2", "5"], "unit": []}, PARAMS) == ({"stride": 5}, [])


def test_a_long_wrong_value_is_shortened_in_its_note():
    _, notes = read_link({"kernel": "x" * 500}, PARAMS)
    assert len(notes[0]) < 200 and "…" in notes[0]


def test_a_long_list_of_choices_is_shortened():
    many = LinkParam("map", str, "m0", choices=tuple(f"m{i}" for i in range(64)))
    _, notes = read_link({"map": "m99"}, [many])
    assert notes == ["The link's map=m99 was ignored: map must be one of m0, m1, m2, m3, m4, m5 … (64 in all)."]


@given(st.dictionaries(st.sampled_from([p.name for p in PARAMS] + ["other"]), st.text() | st.lists(st.text())))
def test_whatever_a_link_holds_never_raises(raw):
    values, notes = read_link(raw, PARAMS)
    for name, value in values.items():
        param = next(p for p in PARAMS if p.name == name)
        assert view_links.value_problem(param, value) is None
    assert all(note.startswith("The link's ") and note.endswith(".") for note in notes)


def test_a_value_the_link_could_not_read_back_is_left_out():
    # Conv arithmetic lets a student type a stride of 0 to see why it fails; the link does not carry it.
    assert link_query({"stride": 0, "gain": math.nan, "rotate": 1, "kernel": "blur 3x3"}, PARAMS) == {
        "kernel": "blur 3x3"
    }


def test_numbers_are_written_short():
    assert link_query({"gain": 2.0, "stride": 3}, PARAMS) == {"gain": "2", "stride": "3"}
    assert link_query({"gain": 0.1}, PARAMS) == {"gain": "0.1"}


def test_a_declaration_with_a_default_it_would_reject_fails_at_once():
    with pytest.raises(ValueError, match="default of link setting 'stride'"):
        LinkParam("stride", int, 0, low=1)
    with pytest.raises(ValueError, match="int, float, str or bool"):
        LinkParam("shape", list, [])


def test_the_widget_key_and_label():
    assert PARAMS[5].widget_key == "fm_unit" and PARAMS[1].widget_key == "stride"
    assert LinkParam("test_index", int, 0).title == "test index"


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://10.0.0.5:8501/Classify", True),
        ("HTTPS://lecture.example.org", True),
        ("http://localhost:8501", True),
        ("http://app.localhost:8501/Kernels", True),
        ("http://127.0.0.1:8501", True),
        ("http://127.8.9.10", True),
        ("http://[::1]:8501/", True),
        ("http://10.0.0.5:8501/Classify", False),
        ("http://192.168.1.20:8501", False),
        ("http://lecturer-laptop.local:8501", False),
        ("http://localhost.evil.com", False),
        ("ftp://localhost", False),
        ("", False),
        (None, False),
        ("not a url", False),
    ],
)
def test_secure_origins_are_those_a_browser_gives_the_camera_to(url, secure):
    assert is_secure_origin(url) is secure


def test_the_docstring_examples():
    assert doctest.testmod(view_links).failed == 0
