"""Links to a view: a page's settings written to, and read back from, its URL's query.

A page declares its settings as ``LinkParam``s. ``link_query`` writes the ones that differ from their
defaults (short links); ``read_link`` reads a query back, keeping what is valid and saying in a short
sentence why anything else was ignored, so that a wrong or stale link never breaks a page.

Example:
    >>> params = [LinkParam("stride", int, 1, low=1), LinkParam("kernel", str, "sobel", choices=("sobel", "blur"))]
    >>> link_query({"stride": 2, "kernel": "sobel"}, params)
    {'stride': '2'}
    >>> read_link({"stride": "0", "kernel": "blur"}, params)
    ({'kernel': 'blur'}, ["The link's stride=0 was ignored: stride must be at least 1."])
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

KINDS = (int, float, str, bool)
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_SHOWN = 40  # characters of a wrong value repeated in its note; a link may carry anything


@dataclass(frozen=True)
class LinkParam:
    """One setting of a page that its link carries.

    Attributes:
        name: the query key (``?stride=2``); keep it short and stable, links outlive releases.
        kind: ``int``, ``float``, ``str`` or ``bool``.
        default: the page's default; a value equal to it is left out of the link.
        choices: the allowed values, if the setting is a choice (a kernel's name, a layer).
        low, high: inclusive bounds for numbers.
        key: the widget's ``st.session_state`` key (defaults to ``name``).
        label: how a note names the setting (defaults to ``name`` with spaces for underscores).

    Raises:
        ValueError: the declaration itself is inconsistent (unknown kind, a default it would reject).
    """

    name: str
    kind: type
    default: object
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    key: str | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a link setting is an int, float, str or bool, not {self.kind!r} ({self.name})")
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        problem = value_problem(self, self.default)
        if problem:
            raise ValueError(f"the default of link setting {self.name!r} is not valid: {problem}")

    @property
    def widget_key(self) -> str:
        return self.key or self.name

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ")


def value_problem(param: LinkParam, value: object) -> str | None:
    """Why ``value`` cannot be ``param``'s value (a sentence without a final full stop), or None if it can."""
    kind, title = param.kind, param.title
    if kind is bool and not isinstance(value, bool):
        return f"{title} is on or off (1 or 0)"
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{title} must be a whole number"
    if kind is float and (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)):
        return f"{title} must be a number"
    if kind is str and not isinstance(value, str):
        return f"{title} must be text"
    if param.choices is not None and value not in param.choices:
        return f"{title} must be one of {_listed(param.choices)}"
    if param.low is not None and value < param.low:
        return f"{title} must be at least {_number(param.low)}"
    if param.high is not None and value > param.high:
        return f"{title} must be at most {_number(param.high)}"
    return None


def parse_value(param: LinkParam, text: str) -> object:
    """The value ``text`` (as found in a link) stands for.

    Raises:
        ValueError: a sentence saying what the setting must be ("stride must be at least 1").
    """
    value: object = text
    if param.kind is not str:
        text = text.strip()
    if param.kind is bool:
        if text.lower() not in _TRUE + _FALSE:
            raise ValueError(f"{param.title} is on or off (1 or 0)")
        value = text.lower() in _TRUE
    elif param.kind is int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{param.title} must be a whole number") from None
    elif param.kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{param.title} must be a number") from None
    elif param.choices is not None and text not in param.choices:
        # A link typed by hand ("Sobel_X" for "sobel_x") still means the one choice it spells.
        same = [choice for choice in param.choices if choice.lower() == text.strip().lower()]
        value = same[0] if len(same) == 1 else text
    problem = value_problem(param, value)
    if problem:
        raise ValueError(problem)
    return value


def format_value(param: LinkParam, value: object) -> str:
    """``value`` as the link writes it: 1/0 for switches, the shortest exact text for numbers."""
    if param.kind is bool:
        return "1" if value else "0"
    if param.kind is float:
        return _float_text(float(value))
    return str(value)


def read_link(
    raw: Mapping[str, str | Sequence[str]], params: Sequence[LinkParam]
) -> tuple[dict[str, object], list[str]]:
    """The settings a link's query holds, and a note for each one it had to ignore.

    Args:
        raw: the query, key -> value or list of values (a repeated key counts by its last value, as in
            ``st.query_params``). Keys that are not in ``params`` are ignored without a note: they belong to
            the app (``present``) or to another page.
        params: the page's settings.

    Returns:
        ``values``: name -> value for every setting the link holds validly (settings it does not mention are
        left out, so the page keeps its own); ``notes``: one sentence per ignored value, e.g.
        "The link's stride=0 was ignored: stride must be at least 1." Never raises for what a link holds.
    """
    values: dict[str, object] = {}
    notes: list[str] = []
    for param in params:
        found = raw.get(param.name)
        if found is None:
            continue
        if not isinstance(found, str):
            found = list(found)
            if not found:
                continue
            found = str(found[-1])
        try:
            values[param.name] = parse_value(param, found)
        except ValueError as why:
            shown = found if len(found) <= _SHOWN else found[: _SHOWN - 1] + "…"
            notes.append(f"The link's {param.name}={shown} was ignored: {why}.")
    return values, notes


def link_query(values: Mapping[str, object], params: Sequence[LinkParam]) -> dict[str, str]:
    """The query for a page's current settings: only those that differ from their defaults, in ``params``' order.

    A value the link could not read back (one a page lets a student type to see it explained, e.g. a stride of
    0) is left out, so a shared link never opens with a note. Names in ``values`` not in ``params`` are ignored.
    """
    query: dict[str, str] = {}
    for param in params:
        if param.name not in values:
            continue
        value = values[param.name]
        if value_problem(param, value) is None and value != param.default:
            query[param.name] = format_value(param, value)
    return query


def defaults(params: Sequence[LinkParam]) -> dict[str, object]:
    """name -> default of every setting."""
    return {param.name: param.default for param in params}


def view_url(base: str, query: Mapping[str, str]) -> str:
    """``base`` (the page's address without a query) with ``query`` appended, e.g. for "Copy link to this view"."""
    text = urlencode(dict(query))
    return f"{base}?{text}" if text else base


def is_secure_origin(url: str | None) -> bool:
    """Whether a browser on ``url`` treats the page as a secure context, where it offers the camera.

    That is https, or http on this very machine (localhost, 127.x.x.x, [::1]). A student's phone on
    ``http://10.0.0.5:8501`` is not: the browser gives no camera at all, whatever the page asks.

    Example:
        >>> is_secure_origin("http://localhost:8501/Classify"), is_secure_origin("http://10.0.0.5:8501")
        (True, False)
    """
    if not url:
        return False
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme == "https":
        return True
    if scheme != "http" or not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _number(value: float) -> str:
    return _float_text(float(value))


def _float_text(number: float) -> str:
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _listed(choices: Sequence[object], shown: int = 6) -> str:
    names = [str(choice) for choice in choices]
    return ", ".join(names[:shown]) + (f" … ({len(names)} in all)" if len(names) > shown else "")
