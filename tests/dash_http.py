"""Talk to the app over HTTP the way the browser does, and read its answers as parsed JSON.

Callback answers are asserted on ``response.get_json()``, never on raw bytes: whether Chinese text
comes back escaped (``\\u60a8``) or not depends on which JSON encoder happens to be installed.
"""

from __future__ import annotations

import re
from typing import Any

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def log_in(client, username: str, password: str, next_path: str = "/"):
    """Submit the login form (with its CSRF token) and return the response."""
    page = client.get("/login").get_data(as_text=True)
    token = _CSRF_FIELD.search(page).group(1)
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password, "next": next_path})


def csrf_header(client) -> dict[str, str]:
    """The header Dash's renderer sends back from the ``_csrf_token`` cookie (none when absent)."""
    cookie = client.get_cookie("_csrf_token")
    return {"X-CSRFToken": cookie.value} if cookie else {}


def _outputs_of(entry) -> list[dict[str, str]]:
    outputs = entry["output"] if isinstance(entry["output"], list) else [entry["output"]]
    return [{"id": o.component_id, "property": o.component_property} for o in outputs]


def callback_key(app, output: str) -> str:
    """The callback_map key of the callback that writes ``output`` ("id.property")."""
    for key, entry in app.callback_map.items():
        for out in _outputs_of(entry):
            if f"{out['id']}.{out['property'].split('@')[0]}" == output:
                return key
    raise KeyError(f"no callback writes {output}")


def callback_body(app, output: str, values: dict[str, Any] | None = None,
                  changed: list[str] | None = None) -> dict:
    """The request body the renderer sends for the callback writing ``output``.

    ``values`` maps "id.property" of its inputs and states to values (missing ones are None);
    ``changed`` names the triggering inputs (default: the first input).
    """
    values = values or {}
    key = callback_key(app, output)
    entry = app.callback_map[key]
    outputs = _outputs_of(entry)

    def with_values(deps):
        return [{**dep, "value": values.get(f"{dep['id']}.{dep['property']}")} for dep in deps]

    inputs = with_values(entry["inputs"])
    return {
        "output": key,
        "outputs": outputs if isinstance(entry["output"], list) else outputs[0],
        "inputs": inputs,
        "state": with_values(entry["state"]),
        "changedPropIds": changed if changed is not None else [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def call(client, app, output: str, values: dict[str, Any] | None = None, changed: list[str] | None = None):
    """POST the callback writing ``output`` to /_dash-update-component; returns the response."""
    return client.post("/_dash-update-component", json=callback_body(app, output, values, changed),
                       headers=csrf_header(client))


def texts(value: Any) -> list[str]:
    """Every string inside a parsed JSON value (a component tree, a callback answer)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in texts(v)]
    if isinstance(value, list):
        return [s for v in value for s in texts(v)]
    return []


def text_of(response) -> str:
    """All strings of a JSON response joined by newlines, for "does it say X" assertions."""
    return "\n".join(texts(response.get_json()))


def page_layout(client, path: str, search: str = ""):
    """The JSON layout of the page at ``path`` as the browser's router asks for it (the response)."""
    return client.post("/_dash-update-component", headers=csrf_header(client), json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    })
