"""`cardcharts users`: create an account, or reset its password (the administrator's way in).

The password is asked twice without echo, or read from the first line of stdin with
--password-stdin (scripts, tests); it is never an argument, which `ps` and shell history would keep."""

from __future__ import annotations

import sys

import click

_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin instead of asking."
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Accounts: create one, reset a password."""


@users.command()
@click.argument("email")
@_STDIN
def create(email: str, password_stdin: bool) -> None:
    """Create an account for EMAIL."""
    from app.cli import services

    password = _password(password_stdin)
    with services() as built:
        user = built.accounts.register(email, password)
    click.echo(f"created user {user.id} ({user.email})")


@users.command("reset-password")
@click.argument("email")
@_STDIN
def reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL's account; its sessions everywhere are signed out."""
    from app.cli import services

    password = _password(password_stdin)
    with services() as built:
        built.accounts.reset_password(email, password)
    click.echo(f"password reset for {email}; its sessions are signed out")
