"""The 2025 app's widgets: :class:`LoginPanel` (register / log in / ``/me`` / log out through the
engine, with the sessions table beside) and :class:`SyncPicker` (switch between the correct auth
syncs and the classic broken ones, and run the same requests against each).

Both work headless (``button.click()`` in code does what a click does), print nothing into an
``Output`` widget (``.text()`` gives the narration), and mask secrets.
"""

from __future__ import annotations

import contextlib
import html
import io
import sys
from collections.abc import Callable, Iterator
from typing import Any

import ipywidgets as w
import pandas as pd

from sessioning import console
from sessioning.db.embedded import all_documents
from sessioning.masking import mask_id
from sessioning.record.show import MONO, flat, html_table
from sessioning.styling import show

from .app import App, make_app
from .auth_syncs import VARIANTS
from .server import Response


# -- the sessions table -----------------------------------------------------------------------------
def _sessions_frame(db: Any) -> pd.DataFrame:
    """``Sessioning.sessions`` with the username each session's user has (or that it has none)."""
    users = {d["_id"]: d.get("username") for d in all_documents(db["UserAuthentication.users"])}
    rows = [{"session": mask_id(d["_id"]), "user": d.get("user"), "username": users.get(d.get("user"), "(no such user)")}
            for d in all_documents(db["Sessioning.sessions"])]
    return pd.DataFrame(rows, columns=["session", "user", "username"])


# -- the login panel --------------------------------------------------------------------------------
class LoginPanel(w.HBox):
    """Register, log in, ask ``/me`` and log out through the engine, with the sessions table beside.

    ``LoginPanel(app, stepper=None)`` (``stepper``: a :class:`~sessioning.widgets.FlowStepper` to
    refresh after each request): each button sends a request (``register()``, ``login()``,
    ``me()``, ``logout()`` do the same from code and return the :class:`Response`). ``session``
    holds the session of the last successful log-in; set it yourself to try another one.
    """

    def __init__(self, app: App, stepper: Any = None, username: str = "alice",
                 password: str = "correct horse") -> None:
        self.app = app
        self.stepper = stepper
        self.session: str | None = None
        self.responses: list[tuple[str, Response]] = []
        self.username = w.Text(value=username, description="username")
        # The password stays in the kernel: a widget's value is synced to the browser and saved with
        # the notebook's widget state, so the field is only ever filled while the user types in it.
        self._password = password
        self.password = w.Password(value="", placeholder="(kept in the kernel)", description="password")
        self.register_button = w.Button(description="Register", icon="user-plus")
        self.login_button = w.Button(description="Log in", icon="sign-in", button_style="primary")
        self.me_button = w.Button(description="/me", icon="user")
        self.logout_button = w.Button(description="Log out", icon="sign-out")
        for b, act in ((self.register_button, self.register), (self.login_button, self.login),
                       (self.me_button, self.me), (self.logout_button, self.logout)):
            b.layout = w.Layout(width="auto")
            b.on_click(lambda _b, act=act: self._clicked(act))
        self.status = w.HTML()
        # What a click printed (its TRACE lines) and the answer, shown inside the panel: a button's
        # callback prints into JupyterLab's log console, which nobody sees.
        self.log_pane = w.HTML()
        self.log_pane.add_class("sessioning-panel-log")
        self.trace_pane = w.HTML()
        self.sessions_pane = w.HTML()
        form = w.VBox([self.username, self.password,
                       w.HBox([self.register_button, self.login_button, self.me_button, self.logout_button]),
                       self.status, self.log_pane, self.trace_pane], layout=w.Layout(width="50%"))
        super().__init__([form, w.VBox([self.sessions_pane], layout=w.Layout(padding="0 0 0 16px", flex="1"))])
        self.add_class("sessioning-login-panel")
        self._render()

    def use(self, app: App) -> None:
        """Send the next requests to another app (the sync picker does this)."""
        self.app = app
        if self.stepper is not None:
            self.stepper.load(app)
        self._render()

    def _clicked(self, act: Callable[[], Response]) -> Response:
        """Run a button's request, copying what it prints into the panel (it still prints as before)."""
        buffer = io.StringIO()
        with _tee_console(buffer):
            response = act()
        trace = buffer.getvalue().strip()
        answer = self._line(*self.responses[-1]) if self.responses else ""
        self.log_pane.value = (
            f"<details open><summary>what this click printed</summary><pre style='{MONO} white-space: pre-wrap;"
            f" max-height: 22em; overflow: auto; margin: 2px 0'>{html.escape(trace or '(nothing)')}</pre>"
            f"<div style='{MONO}'>→ {html.escape(answer)}</div></details>")
        return response

    # -- the four requests -------------------------------------------------------------------------
    def _take_password(self) -> str:
        """The password to send: what was just typed (then cleared from the widget), else the last one."""
        typed = self.password.value
        if typed:
            self._password = typed
            self.password.value = ""
        return self._password

    def register(self) -> Response:
        return self._request("/register", username=self.username.value, password=self._take_password())

    def login(self) -> Response:
        response = self._request("/login", username=self.username.value, password=self._take_password())
        if response.ok and isinstance(response.body, dict) and "session" in response.body:
            self.session = response.body["session"]
            self._render()
        return response

    def me(self) -> Response:
        return self._request("/me", session=self.session)

    def logout(self) -> Response:
        response = self._request("/logout", session=self.session)
        if response.ok and isinstance(response.body, dict) and "error" not in response.body:
            self.session = None
            self._render()
        return response

    def _request(self, path: str, **body: Any) -> Response:
        if body.get("session", "") is None:
            body.pop("session")  # no session yet: the request simply lacks the key
        response = self.app.request(path, body)
        self.responses.append((path, response))
        if self.stepper is not None:
            self.stepper.refresh(to="new")
        self._render()
        return response

    # -- display -----------------------------------------------------------------------------------
    def sessions(self) -> pd.DataFrame:
        return _sessions_frame(self.app.db)

    def _line(self, path: str, r: Response) -> str:
        body = flat(r.body) if isinstance(r.body, dict) else str(r.body)
        tail = f"  ({r.message.splitlines()[0]})" if r.message else ""
        return f"POST /api{path} → {r.status} {body}{tail}"

    def text(self) -> str:
        """The last answer and the sessions table, for printing."""
        last = self._line(*self.responses[-1]) if self.responses else "no requests yet"
        table = self.sessions()
        return f"{last}\nsession held: {mask_id(self.session) if self.session else 'none'}\n" + (
            f"Sessioning.sessions ({len(table)}):\n{table.to_string(index=False)}" if len(table)
            else "Sessioning.sessions is empty")

    def _render(self) -> None:
        e = html.escape
        if self.responses:
            path, r = self.responses[-1]
            color = "#2e7d32" if r.ok and not (isinstance(r.body, dict) and "error" in r.body) else "#c62828"
            self.status.value = f"<div style='{MONO} color: {color}'>{e(self._line(path, r))}</div>"
        else:
            self.status.value = "<div style='color: #555'>no requests yet</div>"
        items = "".join(f"<li style='{MONO} line-height: 1.45'>{e(self._line(p, r))}</li>" for p, r in self.responses[-8:])
        self.trace_pane.value = f"<b>Requests</b><ol start='{max(1, len(self.responses) - 7)}'>{items}</ol>" if items else ""
        table = self.sessions()
        held = e(mask_id(self.session)) if self.session else "none"
        noun = "document" if len(table) == 1 else "documents"
        self.sessions_pane.value = (f"<b>Sessioning.sessions</b> ({len(table)} {noun}; session held: "
                                    f"<code>{held}</code>)" + (html_table(table) if len(table) else
                                                               "<div style='color: #555'>empty</div>"))

    def __repr__(self) -> str:
        return (f"LoginPanel(syncs={self.app.variant!r}, {len(self.responses)} requests, "
                f"{len(self.sessions())} sessions, session held: {'yes' if self.session else 'no'})")


class _Tee(io.TextIOBase):
    """Writes to a stream and to a copy."""

    def __init__(self, stream: Any, copy: io.StringIO) -> None:
        self.stream, self.copy = stream, copy

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def _tee_console(copy: io.StringIO) -> Iterator[None]:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(out, copy), _Tee(err, copy)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


# -- the sync picker --------------------------------------------------------------------------------
ABOUT = {
    "correct": "The correct wiring: create and respond are separate syncs; /me and /logout check the session.",
    "one_then": "The seed's bug (F1): one sync runs Sessioning.create and Requesting.respond in the same `then`. "
                "Every `then` input is resolved first, so `session` is unbound and nothing runs: 500, no session.",
    "double_logout": "The reference logout (F12/F13): its check keeps the frame for an unknown session, and its "
                     "`{}` response also matches delete's {error}, so it answers twice.",
    "empty_check": "An auth check with an empty output pattern (F13): /me accepts any session at all.",
}
LABELS = {"correct": "correct", "one_then": "create+respond in one then",
          "double_logout": "{} logout response", "empty_check": "empty auth check"}
UNKNOWN_SESSION = "019a0000-0000-7000-8000-000000000000"


class SyncPicker(w.VBox):
    """Switch the app between sync variants on the same database, and try the same requests on each.

    ``SyncPicker(db=None, value="correct", panel=None)``; with a :class:`LoginPanel` (and its stepper),
    switching also points them at the new app, on the panel's database. Set ``value`` (or click a
    toggle) to switch;
    ``app`` is the current app; ``try_button.click()`` (or ``try_requests()``) runs log in, /me, /me
    with an unknown session, log out with an unknown session, and log out, and fills ``results``.
    """

    def __init__(self, db: Any = None, value: str = "correct", panel: LoginPanel | None = None,
                 fast_hash: bool = True, username: str = "alice", password: str = "correct horse") -> None:
        self.fast_hash = fast_hash
        self.panel = panel
        self.credentials = (username, password)
        if db is None and panel is not None:
            db = panel.app.db
        self.app = make_app(db, syncs=value, fast_hash=fast_hash)
        self.db = self.app.db
        self.results = pd.DataFrame()
        self.toggle = w.ToggleButtons(options=[(LABELS[v], v) for v in VARIANTS], value=value,
                                      tooltips=[ABOUT[v] for v in VARIANTS], style={"button_width": "auto"})
        self.about = w.HTML()
        self.try_button = w.Button(description="Try the same requests", icon="play", layout=w.Layout(width="auto"))
        self.results_pane = w.HTML()
        self.toggle.observe(lambda change: self._switch(change["new"]), names="value")
        self.try_button.on_click(lambda _: self.try_requests())
        super().__init__([self.toggle, self.about, self.try_button, self.results_pane],
                         layout=w.Layout(align_items="flex-start"))
        self.add_class("sessioning-sync-picker")
        if panel is not None:
            panel.use(self.app)
        self._render()

    @property
    def value(self) -> str:
        return self.toggle.value

    @value.setter
    def value(self, variant: str) -> None:
        self.toggle.value = variant

    def _switch(self, variant: str) -> None:
        self.app = make_app(self.db, syncs=variant, fast_hash=self.fast_hash)
        self.results = pd.DataFrame()
        if self.panel is not None:
            self.panel.use(self.app)
        self._render()

    def try_requests(self, quiet: bool = True) -> pd.DataFrame:
        """Send the same five requests (after registering the user if needed); one row per request."""
        username, password = self.credentials
        app, rows = self.app, []

        def send(what: str, path: str, expect: tuple[str, ...], **body: Any) -> Response:
            r = app.request(path, body)
            flow = app.engine.run.flows.get(r.flow)
            responds = sum(1 for a in (flow.actions if flow else []) if a.is_respond)
            keys = sorted(r.body) if isinstance(r.body, dict) else []
            ok = r.status == 200 and keys == sorted(expect) and responds == 1
            why = (r.message or "").splitlines()[0] if r.message else (
                f"answered {responds} times" if responds > 1 else
                "" if ok else f"a correct app answers {{{', '.join(expect)}}}")
            rows.append({"request": what, "status": r.status, "answer": flat(r.body), "responds": responds,
                         "as expected": "yes" if ok else "NO", "why": why})
            return r

        with console.quiet(quiet):
            app.request("/register", {"username": username, "password": password})
            login = send("log in", "/login", ("session",), username=username, password=password)
            session = login.body.get("session") if isinstance(login.body, dict) else None
            body = {"session": session} if session else {}
            send("/me", "/me", ("user", "username"), **body)
            send("/me, unknown session", "/me", ("error",), session=UNKNOWN_SESSION)
            send("log out, unknown session", "/logout", ("error",), session=UNKNOWN_SESSION)
            send("log out", "/logout", ("status",), **body)
        self.results = pd.DataFrame(rows)
        if self.panel is not None:
            self.panel._render()
            if self.panel.stepper is not None:
                self.panel.stepper.refresh(to="keep")
        self._render()
        return self.results

    def text(self) -> str:
        out = f"syncs: {self.value} — {ABOUT[self.value]}"
        if len(self.results):
            out += "\n" + self.results.to_string(index=False)
        return out

    def _render(self) -> None:
        self.about.value = f"<div style='margin: 4px 0'>{html.escape(ABOUT[self.value])}</div>"
        self.results_pane.value = show(self.results)._repr_html_() if len(self.results) else ""

    def __repr__(self) -> str:
        return f"SyncPicker(syncs={self.value!r}, {len(self.results)} requests tried)"


__all__ = ["LoginPanel", "SyncPicker"]
