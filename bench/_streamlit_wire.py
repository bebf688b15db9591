"""A Streamlit session without a browser: the messages Streamlit's front end exchanges with the server.

The load test uses it to measure what thirty students cost the *server* when their browsers run on thirty
laptops, not on the server's own two cores next to it. It speaks Streamlit's own protocol (the
``streamlit.proto`` messages over ``/_stcore/stream``), in the order a browser does, captured from
Chromium against this app: a first ``rerun_script`` naming the page; widget values sent as a fragment
rerun with every widget set so far; an upload as ``file_urls_request``, an HTTP PUT of the file (with the
XSRF token from the ``_streamlit_xsrf`` cookie, as the front end does) and a rerun that names the file.
What it does not do is draw: the deltas are parsed and kept, not rendered.

Only what the Classify load test needs: radios, selectboxes and file uploaders found by their label,
``st.html`` bodies read back. ``WireSession.wait_for_html`` waits for a body that satisfies a test.
"""

from __future__ import annotations

import asyncio
import http.cookies
import urllib.request
import uuid

import requests
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
WIDGETS = ("radio", "selectbox", "file_uploader")  # the element types whose id and label are remembered


class WireError(RuntimeError):
    """The server answered something a browser would show as an error (an exception element, a refusal)."""


class WireSession:
    """One browserless Streamlit session: ``await WireSession.open(base_url, page_name)``, then ``choose``,
    ``upload`` and ``wait_for_html``; ``await close()`` at the end."""

    def __init__(self, base_url: str, page_name: str) -> None:
        self.base_url, self.page_name = base_url.rstrip("/"), page_name
        self.session_id = self.page_script_hash = self.xsrf = ""
        self.widget_ids: dict[str, str] = {}  # label -> widget id, as the server last drew them
        self.fragment_ids: dict[str, str] = {}  # widget id -> the fragment it was drawn in
        self.states: dict[str, WidgetState] = {}  # every value set so far, sent with each rerun (as browsers do)
        self.html: list[str] = []  # st.html bodies received, oldest first
        self.exceptions: list[str] = []
        self._changed = asyncio.Condition()
        self._file_urls: dict[str, asyncio.Future] = {}
        self._socket = None
        self._reader: asyncio.Task | None = None

    @classmethod
    async def open(cls, base_url: str, page_name: str) -> WireSession:
        """Connect and run the page's script once (what opening ``base_url/page_name`` in a browser does)."""
        session = cls(base_url, page_name)
        await session._connect()
        return session

    async def _connect(self) -> None:
        self.xsrf = await asyncio.to_thread(_xsrf_cookie, f"{self.base_url}/_stcore/health")
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self._socket = await websockets.connect(
            ws_url,
            subprotocols=["streamlit", self.xsrf],
            additional_headers={"Cookie": f"{XSRF_COOKIE}={self.xsrf}"},
            origin=self.base_url,
            max_size=None,
        )
        self._reader = asyncio.create_task(self._read())
        await self.rerun(initial=True)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            await self._read_messages()
        finally:  # wake whoever waits, so a closed connection is an error rather than a hang
            async with self._changed:
                self._changed.notify_all()

    async def _read_messages(self) -> None:
        async for raw in self._socket:
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
                self.page_script_hash = msg.new_session.page_script_hash
            elif kind == "navigation":  # the page that ran, as the front end reads it
                # (the first run's new_session names app.py: a rerun sent with that hash ran Home instead)
                self.page_script_hash = msg.navigation.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._remember(msg.delta.new_element, msg.delta.fragment_id)
            elif kind == "file_urls_response":
                future = self._file_urls.pop(msg.file_urls_response.response_id, None)
                if future is not None and not future.done():
                    future.set_result(msg.file_urls_response)
            async with self._changed:
                self._changed.notify_all()

    def _remember(self, element, fragment_id: str) -> None:
        kind = element.WhichOneof("type")
        if kind in WIDGETS:
            widget = getattr(element, kind)
            self.widget_ids[widget.label] = widget.id
            self.fragment_ids[widget.id] = fragment_id
        elif kind == "html":
            self.html.append(element.html.body)
        elif kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}")

    async def _send(self, msg: BackMsg) -> None:
        await self._socket.send(msg.SerializeToString())

    async def rerun(self, fragment_id: str = "", initial: bool = False) -> None:
        """Ask for a rerun with every widget value set so far (``fragment_id``: only that fragment)."""
        state = ClientState(page_name=self.page_name, fragment_id=fragment_id)
        if not initial:
            state.page_script_hash = self.page_script_hash
        state.widget_states.widgets.extend(self.states.values())
        state.context_info.url = f"{self.base_url}/{self.page_name}"
        await self._send(BackMsg(rerun_script=state))

    async def widget(self, label: str, timeout_s: float = 60) -> str:
        """The id of the widget labelled ``label``, waiting until the server has drawn it."""
        await self._wait(lambda: label in self.widget_ids, timeout_s, f"no widget labelled {label!r}")
        return self.widget_ids[label]

    async def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the radio or selectbox ``label`` (a rerun of the fragment that holds it)."""
        widget_id = await self.widget(label)
        self.states[widget_id] = WidgetState(id=widget_id, string_value=option)
        await self.rerun(self.fragment_ids[widget_id])

    async def upload(self, label: str, name: str, data: bytes, mime: str = "image/png") -> None:
        """Upload one file through the file uploader ``label``, exactly as the front end does."""
        widget_id = await self.widget(label)
        request_id = str(uuid.uuid4())
        self._file_urls[request_id] = asyncio.get_running_loop().create_future()
        await self._send(
            BackMsg(file_urls_request={"request_id": request_id, "file_names": [name], "session_id": self.session_id})
        )
        response = await asyncio.wait_for(self._file_urls[request_id], 60)
        if response.error_msg:
            raise WireError(f"upload refused: {response.error_msg}")
        urls = response.file_urls[0]
        put = await asyncio.to_thread(
            requests.put,
            self.base_url + urls.upload_url,
            files={"file": (name, data, mime)},
            headers={"X-Xsrftoken": self.xsrf},
            cookies={XSRF_COOKIE: self.xsrf},
            timeout=60,
        )
        if put.status_code != 204:
            raise WireError(f"upload PUT answered {put.status_code}: {put.text[:120]}")
        info = UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id, file_urls=urls)
        state = WidgetState(id=widget_id)
        state.file_uploader_state_value.uploaded_file_info.append(info)
        self.states[widget_id] = state
        await self.rerun(self.fragment_ids[widget_id])

    async def wait_for_html(self, test, timeout_s: float = 120) -> str:
        """The first ``st.html`` body received from now on for which ``test(body)`` is true."""
        start = len(self.html)
        found: list[str] = []

        def seen() -> bool:
            found.extend(body for body in self.html[start:] if test(body))
            return bool(found)

        await self._wait(seen, timeout_s, "the expected HTML did not arrive")
        return found[0]

    async def _wait(self, ready, timeout_s: float, what: str) -> None:
        async def until() -> None:
            async with self._changed:
                while not ready():
                    if self.exceptions:
                        raise WireError("exception shown: " + self.exceptions[0])
                    if self._reader.done():
                        raise WireError("the server closed the connection")
                    await self._changed.wait()

        try:
            await asyncio.wait_for(until(), timeout_s)
        except TimeoutError:
            raise TimeoutError(f"{what} within {timeout_s:.0f} s") from None


def _xsrf_cookie(url: str) -> str:
    """The XSRF token the server sets in its ``_streamlit_xsrf`` cookie (what the front end reads back)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            if XSRF_COOKIE in cookie:
                return cookie[XSRF_COOKIE].value
    raise WireError(f"{url} set no {XSRF_COOKIE} cookie")
