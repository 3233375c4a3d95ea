"""The account pages' gate: who is signed in, and what a signed-out visitor sees instead of a page."""

from __future__ import annotations

from urllib.parse import quote

import dash_mantine_components as dmc
from flask import has_request_context

from app.accounts.sessions import current_user
from data.repositories.users import User


def signed_in_user() -> User | None:
    """The request's signed-in user; None outside a request (Dash building a layout to check it)."""
    return current_user() if has_request_context() else None


def login_href(path: str) -> str:
    return f"/login?next={quote(path, safe='/')}"


def sign_in_prompt(path: str, what: str) -> dmc.Alert:
    """'Log in to see your collection', with a link that comes back to `path` after logging in."""
    return dmc.Alert(
        [
            dmc.Text("It is kept with your account."),
            dmc.Group(
                [
                    dmc.Anchor("Log in", href=login_href(path), id="sign-in-link", fw=600),
                    dmc.Text("or", c="dimmed"),
                    dmc.Anchor("register", href="/register"),
                ],
                gap="xs",
                mt="xs",
            ),
        ],
        title=f"Log in to see your {what}",
        color="blue",
        mt="md",
        id="sign-in-prompt",
    )
