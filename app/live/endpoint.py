"""/ws: one loop per socket that reads commands and answers them; updates arrive
through the bridge. Bad input gets an error frame and the socket stays open, and so
does a frame that trips a bug of ours: it is logged and answered with a generic error.
(A text frame that is not UTF-8 is the exception: RFC 6455 has the socket closed, 1007.)"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_sock import Sock
from sqlalchemy.exc import SQLAlchemyError

from app.live import protocol, tokens
from app.live.bridge import EXTENSION, RedisBridge
from app.live.connections import Connection, ConnectionManager
from app.logs import Throttle
from data.use_cases.accounts import Accounts, looks_like_token

log = logging.getLogger(__name__)

PATH = "/ws"
# Frames up to this size are read and answered with an error when over the protocol's
# limit; a bigger one cannot be read without buffering it, so the socket is closed (1009).
HARD_FRAME_BYTES = 64 * 1024
# The first socket of a process starts its bridge: its acknowledgement waits (this
# long at most) for the Redis subscription, so "subscribed" means updates will come.
BRIDGE_WAIT_SECONDS = 3


class LiveEndpoint:
    def __init__(
        self,
        manager: ConnectionManager,
        bridge: RedisBridge,
        secret: str | None,
        card_exists: Callable[[int], bool],
        origins: list[str],
        heartbeat_seconds: float = 30,
        accounts: Accounts | None = None,
    ) -> None:
        self.manager = manager
        self.bridge = bridge
        self.secret = secret
        self.card_exists = card_exists
        self.origins = set(origins)
        self.heartbeat_seconds = heartbeat_seconds
        self.accounts = accounts  # API tokens (`cc_...`) and password changes; None: JWTs alone
        self._faults = Throttle(log)

    def register(self, server: Flask) -> None:
        server.config["SOCK_SERVER_OPTIONS"] = {
            "ping_interval": self.heartbeat_seconds,  # a ping frame; no pong by the next one closes the socket
            "max_message_size": HARD_FRAME_BYTES,
        }
        server.before_request(self._admit)
        server.extensions[EXTENSION] = self.bridge  # for /readyz
        Sock(server).route(PATH)(self.serve)

    def _admit(self) -> Response | None:
        """Before /ws is upgraded: refuse foreign origins, and negotiate no compression.

        Browsers always send Origin: only our own and the allowlisted ones may open a
        socket (flask-sock does not check). A client without Origin is not a browser page."""
        if request.path != PATH:
            return None
        # No permessage-deflate: our frames are a few hundred bytes, and each compressed
        # socket holds its own zlib state (bench/live.py, 200 clients: 170 KiB a connection
        # with it, 126 KiB without).
        request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        origin = request.headers.get("Origin")
        if origin is None or "*" in self.origins or origin in self.origins or urlsplit(origin).netloc == request.host:
            return None
        log.warning("websocket: refused origin %s", origin)
        return Response(f"origin {origin} is not allowed\n", status=403, mimetype="text/plain")

    def serve(self, socket) -> None:
        connection = Connection(socket)
        self.manager.add(connection)
        self.bridge.start()
        try:
            while connection.open:
                frame = socket.receive()
                if frame is not None:
                    connection.push(self.answer(connection, frame))
        finally:
            self.manager.remove(connection)
            connection.close()

    def answer(self, connection: Connection, frame: str | bytes) -> str:
        """The reply to one client frame."""
        try:
            command = protocol.parse(frame)
            if command.action == "ping":
                return protocol.encode("pong")
            key, named = self._subscription(command)
            if command.action == "unsubscribe":
                self.manager.unsubscribe(connection, key)
                return protocol.encode("unsubscribed", channel=command.channel, **named)
            if not self.manager.subscribe(connection, key):
                raise protocol.ProtocolError(
                    f"at most {self.manager.max_subscriptions} subscriptions per connection: unsubscribe first"
                )
            self.bridge.subscribed.wait(BRIDGE_WAIT_SECONDS)
            return protocol.encode("subscribed", channel=command.channel, **named)
        except protocol.ProtocolError as exc:
            return protocol.encode("error", error=str(exc))
        except Exception:  # a bug of ours: this frame fails, the socket and its subscriptions stay
            self._faults.log(logging.ERROR, "websocket: answering a frame failed", exc_info=True)
            return protocol.encode("error", error="the server could not answer that message")

    def _subscription(self, command: protocol.Command) -> tuple[str, dict[str, int]]:
        """The key to register under, and the fields that name it in the acknowledgement."""
        if command.channel == "card":
            try:
                known = self.card_exists(command.card_id)
            except SQLAlchemyError:
                log.exception("websocket: card lookup failed")
                raise protocol.ProtocolError("the card could not be looked up: try again shortly") from None
            if not known:
                raise protocol.ProtocolError(f"unknown card_id {command.card_id}")
            return protocol.subscription_key("card", command.card_id), {"card_id": command.card_id}
        if command.channel == "alerts":
            return protocol.subscription_key("alerts", self._alerts_user(command.token or "")), {}
        return protocol.subscription_key("market"), {}

    def _alerts_user(self, token: str) -> int:
        """The user whose alerts `token` opens: an API token of theirs, or an alerts JWT issued
        after their last password change (a JWT for an id with no account is taken as it is)."""
        try:
            if self.accounts is not None and looks_like_token(token):
                user = self.accounts.user_for_bearer(token)
                if user is None:
                    raise protocol.ProtocolError("alerts refused: unknown or revoked API token")
                return user
            if not self.secret:
                raise protocol.ProtocolError("alerts refused: the server has no SECRET_KEY to check tokens with")
            try:
                user, issued = tokens.verified(self.secret, token)
            except tokens.TokenError as exc:
                raise protocol.ProtocolError(f"alerts refused: {exc}") from None
            changed = self.accounts.credentials_changed(user) if self.accounts is not None else None
            if changed is not None and (issued is None or issued < changed.replace(microsecond=0)):
                raise protocol.ProtocolError("alerts refused: the token predates a password change")
            return user
        except SQLAlchemyError:
            log.exception("websocket: token lookup failed")
            raise protocol.ProtocolError("the token could not be checked: try again shortly") from None
