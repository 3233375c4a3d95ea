"""/api/v1/alerts: a user's price alert rules (create, list, delete) and the inbox of alerts they raised."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g
from spectree import Response as Documented
from spectree import SpecTree

from app.api import payloads
from app.api.auth import BEARER
from app.api.ids import owned_id
from app.api.responses import ApiError, json_body
from app.api.schemas import InboxQuery, MarkRead, NewAlert
from app.bootstrap import Services
from data.domain import UnknownReference
from data.use_cases.alerts import InvalidAlert
from data.use_cases.jsonable import plain

UNAUTHORIZED = (payloads.ErrorBody, "No token, or an unknown one.")
# The use case's refusals that do not start with the field they are about.
_FIELD_OF = {"a above": "marketplace", "a below": "marketplace", "a change": "marketplace", "a buylist": "marketplace"}


def rule_body(rule: dict[str, Any], slugs: dict[int, str]) -> dict[str, Any]:
    return plain(
        {
            "id": rule["id"],
            "card_id": rule["card_id"],
            "kind": rule["kind"],
            "level": format(rule["level"].normalize(), "f") if rule["level"] is not None else None,
            "marketplace_id": rule["marketplace_id"],
            "marketplace": slugs.get(rule["marketplace_id"]),
            "finish": rule["finish"],
            "condition": rule["condition"],
            "language": rule["language"],
            "webhook": rule["webhook"],
            "cooldown_seconds": int(rule["cooldown"].total_seconds()),
            "last_fired_at": rule["last_fired_at"],
            "created_at": rule["created_at"],
        }
    )


def alert_message(exc: Exception) -> str:
    """The use case's refusal, naming its field first as every API refusal does."""
    text = str(exc)
    for start, field in _FIELD_OF.items():
        if text.startswith(start):
            return f"{field}: {text}"
    if text.startswith(("a webhook", "not a valid URL", "the webhook")):
        return f"webhook: {text}"
    return text


def add_routes(api: Blueprint, spec: SpecTree, services: Services) -> None:
    rules, inbox, marketplaces = services.alert_rules, services.alert_inbox, services.marketplaces

    def slugs() -> dict[int, str]:
        return {market.id: market.slug for market in marketplaces.all()}

    @api.post("/alerts")
    @spec.validate(
        json=NewAlert,
        resp=Documented(HTTP_201=payloads.AlertRule, HTTP_401=UNAUTHORIZED),
        tags=["alerts"],
        operation_id="create_alert",
        security=BEARER,
    )
    def create_alert(json: NewAlert):
        """A price alert rule on a printing (narrowed to a marketplace and variant if given)"""
        market_id = None
        if json.marketplace is not None:
            known = {slug: market_id for market_id, slug in slugs().items()}
            if json.marketplace not in known:
                raise ApiError(400, f"marketplace: unknown slug {json.marketplace!r}; use one of {', '.join(known)}")
            market_id = known[json.marketplace]
        try:
            rule = rules.create(
                g.user_id,
                json.card_id,
                json.kind,
                json.level,
                marketplace_id=market_id,
                finish=None if json.finish is None else json.finish.value,
                condition=None if json.condition is None else json.condition.value,
                language=None if json.language is None else json.language.value,
                webhook=json.webhook,
            )
        except InvalidAlert as exc:
            raise ApiError(400, alert_message(exc)) from None
        except UnknownReference as exc:
            raise ApiError(400, f"card_id: {exc}" if "card" in str(exc) else str(exc)) from None
        response = json_body(rule_body(rule, slugs()))
        response.status_code = 201
        return response

    @api.get("/alerts")
    @spec.validate(
        resp=Documented(HTTP_200=payloads.AlertRules, HTTP_401=UNAUTHORIZED),
        tags=["alerts"],
        operation_id="alerts",
        security=BEARER,
    )
    def list_alerts():
        """The token's alert rules, oldest first"""
        names = slugs()
        return json_body({"rules": [rule_body(rule, names) for rule in rules.list(g.user_id)]})

    @api.delete("/alerts/<alert_id>")
    @spec.validate(
        resp=Documented(
            HTTP_204=None, HTTP_401=UNAUTHORIZED, HTTP_404=(payloads.ErrorBody, "The token's user has no such rule.")
        ),
        tags=["alerts"],
        path_parameter_descriptions={"alert_id": "An alert rule's id, from GET /alerts."},
        operation_id="delete_alert",
        security=BEARER,
    )
    def delete_alert(alert_id: str):
        """Delete an alert rule (the alerts it raised stay in the inbox)"""
        rules.delete(g.user_id, owned_id(alert_id, "alert rule"))
        return Response(status=204)

    @api.get("/alerts/inbox")
    @spec.validate(
        query=InboxQuery,
        resp=Documented(HTTP_200=payloads.Inbox, HTTP_401=UNAUTHORIZED),
        tags=["alerts"],
        operation_id="alert_inbox",
        security=BEARER,
    )
    def alert_inbox(query: InboxQuery):
        """The alerts the token's rules raised, newest first"""
        raised = inbox.list(g.user_id, query.limit, unread_only=query.unread == "1")
        return json_body({"alerts": plain(raised)})

    @api.post("/alerts/inbox/read")
    @spec.validate(
        json=MarkRead,
        resp=Documented(
            HTTP_200=payloads.MarkedRead,
            HTTP_401=UNAUTHORIZED,
            HTTP_404=(payloads.ErrorBody, "An id is not one of the token's alerts; none was marked."),
        ),
        tags=["alerts"],
        operation_id="mark_alerts_read",
        security=BEARER,
    )
    def mark_read(json: MarkRead):
        """Mark alerts read: the ids given, or all of them"""
        ids = json.ids
        if ids is not None and any(not 1 <= alert_id <= 2**63 - 1 for alert_id in ids):
            raise ApiError(404, "no such alert")
        return json_body({"marked": inbox.mark_read(g.user_id, ids)})
