"""The five kinds of LLM call the store's agent makes, each built as a format-neutral `Conv`."""

from __future__ import annotations

from slmconvert.testing import traffic_data as D
from slmconvert.testing.traffic_world import Conv, Gen, iso_time, json_text, month_day, styled, ymd

FOLLOWUP_KINDS = {"processing": ("address",), "cancelled": ("refund",), "delivered": ("track",)}


def routing(g: Gen, fmt: str, now: float) -> Conv:
    """The Data Flywheel router: one customer message, exactly one delegating tool call."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    tool = r.choice(tuple(D.ROUTES))
    user, query = (t.format_map(s) for t in r.choice(D.ROUTES[tool]))
    if tool == "HandleOtherTalk":
        text, args = styled(g, user, ("",), ("",)), {"message": query}
    else:
        text, args = styled(g, user), {"query": query}
        if tool != "ToProductQAAssistant":
            args["user_id"] = p.user_id
        if r.random() < 0.25:
            text = r.choice(D.ROUTE_PII).format_map(s) + text
    prompt = D.ROUTER_SYSTEM if fmt == "openai" else r.choice(D.ROUTER_SYSTEM_VARIANTS)
    conv = Conv("routing", prompt.format(user_id=p.user_id), D.ROUTER_TOOLS, p.customer_id)
    conv.add("user", text)
    conv.add("call", (tool, args))
    return conv


def order_status(g: Gen, fmt: str, now: float) -> Conv:
    """Customer asks -> tool call -> order JSON -> answer; sometimes a follow-up round."""
    r, p = g.rng, g.person()
    order = g.order(p, now)
    s = g.slots(p)
    s.update(order_id=order["order_id"], product=order["items"][0]["name"], today=ymd(now))
    system = r.choice(D.ORDER_SYSTEMS).format_map(s)
    conv = Conv("order_status", system, D.ORDER_TOOLS, p.customer_id)
    how = r.choices(("id", "mine", "email"), (0.55, 0.3, 0.15))[0]
    if how == "id":
        asks, call, result = (
            D.ORDER_ASK_ID,
            ("get_order_status", {"order_id": order["order_id"]}),
            order,
        )
    elif how == "mine":
        args = {"customer_id": p.customer_id} | ({"limit": 5} if r.random() < 0.5 else {})
        older = []
        for _ in range(r.randint(0, 3)):
            day = ymd(now - r.uniform(30, 200) * 86400)
            total = round(r.uniform(15, 300), 2)
            older.append(
                {
                    "order_id": g.order_id(day[:4]),
                    "status": "delivered",
                    "order_date": day,
                    "total": total,
                }
            )
        asks, call = D.ORDER_ASK_MINE, ("get_customer_orders", args)
        result = {"customer_id": p.customer_id, "orders": [order, *older]}
    else:
        asks, call = D.ORDER_ASK_EMAIL, ("find_orders_by_email", {"email": p.email})
        result = {"email": p.email, "orders": [order]}
    conv.add("user", styled(g, r.choice(asks).format_map(s), suffix=D.MOOD_SUFFIX[:5]))
    conv.add("call", call)
    conv.add("result", json_text(result))
    names = [i["name"] for i in order["items"]]
    fill = {
        "first": p.first,
        "order_id": order["order_id"],
        "city": p.city,
        "street": p.street,
        "items": " and ".join(names) if len(names) < 3 else f"{len(names)} items",
        "order_date": order["order_date"],
        "total": f"{order['total']:.2f}",
        "ship_by": month_day(now + 2 * 86400),
        "carrier": order.get("carrier", "the carrier"),
        "tracking": order.get("tracking_number"),
        "ship_date": order.get("shipped_at"),
        "eta": order.get("estimated_delivery"),
        "delivered": order.get("delivered_at"),
        "cancelled": order.get("cancelled_at"),
        "method": order["payment"]["method"],
        "last4": p.card[-4:],
    }
    conv.add("text", r.choice(D.ORDER_ANSWERS[order["status"]]).format_map(fill))
    if r.random() < 0.22:
        _order_followup(g, conv, order, fill, now)
    return conv


def _order_followup(g: Gen, conv: Conv, order: dict, fill: dict, now: float) -> None:
    r, oid = g.rng, order["order_id"]
    kinds = FOLLOWUP_KINDS.get(order["status"], ("address", "track"))
    kind, text = r.choice([f for f in D.ORDER_FOLLOWUPS if f[0] in kinds])
    if kind == "address":
        new = g.person()
        conv.add("user", text.format(new_address=new.address))
        address = new.address_obj(order["shipping_address"]["name"])
        conv.add("call", ("update_shipping_address", {"order_id": oid, "address": address}))
        ok = order["status"] == "processing"
        outcome = {"shipping_address": address} if ok else {"reason": "order already shipped"}
        conv.add("result", json_text({"order_id": oid, "updated": ok} | outcome))
        answer = (D.ADDRESS_DONE if ok else D.ADDRESS_REFUSED).format_map(
            fill | {"new_street": new.street, "new_city": new.city}
        )
    elif kind == "track":
        conv.add("user", text)
        args = {"tracking_number": fill["tracking"], "carrier": fill["carrier"]}
        conv.add("call", ("track_shipment", args))
        hub = g.person()
        where = f"{hub.city}, {hub.state or hub.country}"
        hours = sorted(r.sample(range(2, 60), 3))
        events = [
            {
                "time": iso_time(now - h * 3600),
                "location": where,
                "description": r.choice(D.SCAN_EVENTS),
            }
            for h in hours
        ]
        conv.add("result", json_text(args | {"status": order["status"], "events": events}))
        last = events[0]
        scan = {"scan_city": where, "scan_time": last["time"][:16].replace("T", " ") + " UTC"}
        answer = D.TRACK_ANSWER.format_map(fill | scan | {"scan_event": last["description"]})
    else:
        conv.add("user", text)
        conv.add("call", ("get_refund_status", {"order_id": oid}))
        refund_id = f"RF-{r.randint(10**7, 10**8 - 1)}"
        refund = {
            "order_id": oid,
            "refund_id": refund_id,
            "amount": order["total"],
            "status": "issued",
            "issued_at": order["cancelled_at"],
            "card_last4": fill["last4"],
        }
        conv.add("result", json_text(refund))
        answer = D.REFUND_ANSWER.format_map(
            fill | {"refund_id": refund_id, "refund_date": refund["issued_at"]}
        )
    conv.add("text", answer)


def extraction(g: Gen, fmt: str, now: float) -> Conv:
    """A free-text customer email in, a JSON object of the customer's details out."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    body, label, _ = r.choice(D.ISSUES)
    found: dict = dict.fromkeys(("name", "email", "phone", "order_id"))
    lines = []
    if r.random() < 0.35:
        lines += [f"Subject: {r.choice(D.SUBJECTS)}", f"From: {p.name} <{p.email}>", ""]
        found.update(name=p.name, email=p.email)
    if greeting := r.choice(D.GREETINGS):
        lines += [greeting, ""]
    paragraph = [r.choice(D.INTROS).format_map(s), body.format_map(s)]
    if paragraph[0]:
        found["name"] = p.name
    if r.random() < 0.75:
        paragraph.append(r.choice(D.ORDER_MENTIONS).format_map(s))
        found["order_id"] = s["order_id"]
    lines.append(" ".join(x for x in paragraph if x))
    contact = []
    if r.random() < 0.6:
        contact.append(r.choice(D.PHONE_MENTIONS).format_map(s))
        found["phone"] = p.phone
    if found["email"] is None and r.random() < 0.55:
        contact.append(r.choice(D.EMAIL_MENTIONS).format_map(s))
        found["email"] = p.email
    if contact:
        lines += ["", " ".join(contact)]
    lines += ["", r.choice(D.CLOSINGS)]
    if found["name"] or r.random() < 0.85:
        signature = p.first if found["name"] is None and r.random() < 0.15 else p.name
        lines.append(signature)
        found["name"] = found["name"] or signature
    conv = Conv("extraction", r.choice(D.EXTRACT_SYSTEMS), customer=p.customer_id)
    conv.add("user", r.choice(D.EXTRACT_USER).format(email_text="\n".join(lines)))
    conv.add(
        "text", json_text(found | {"issue": label.format_map(s)}, 2 if r.random() < 0.2 else None)
    )
    return conv


def summarization(g: Gen, fmt: str, now: float) -> Conv:
    """A multi-paragraph support ticket in, a 2-3 sentence handover note out."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    body, label, kind = r.choice(D.ISSUES)
    note, done = (x.format_map(s) for x in r.choice(D.ACTIONS[kind]))
    update, nxt = (x.format_map(s) for x in r.choice(D.FOLLOWUPS))
    layout, channel = r.choice(D.TICKET_LAYOUTS)
    opened = now - r.uniform(1, 96) * 3600
    s.update(
        tid=f"T-{r.randint(100000, 999999)}",
        subject=r.choice(D.SUBJECTS),
        opened=iso_time(opened),
        channel=channel or r.choice(D.CHANNELS),
        greeting=r.choice(D.GREETINGS) or "Hi,",
        closing=r.choice(D.CLOSINGS),
        body=body.format_map(s),
        detail=" ".join(x.format_map(s) for x in r.sample(D.EXTRA_DETAIL, r.randint(1, 2))),
        agent=r.choice(D.AGENTS),
        note_day=ymd(opened + 7200),
        note=note,
        update=update,
    )
    s.update({f"t{i}": iso_time(opened + dt)[11:16] for i, dt in enumerate((0, 60, 140, 400))})
    ticket = layout.format_map(s)
    s.update(issue=label.format_map(s), action=done, next=nxt, next_lower=nxt[:1].lower() + nxt[1:])
    summary = r.choice(D.SUMMARIES).format_map(s)
    conv = Conv("summarization", r.choice(D.SUMMARY_SYSTEMS), customer=p.customer_id)
    conv.add("user", r.choice(D.SUMMARY_USER).format(ticket=ticket))
    conv.add("text", summary)
    return conv


def faq(g: Gen, fmt: str, now: float) -> Conv:
    """Store-policy questions answered in prose; one in ten conversations asks a second one."""
    r, p = g.rng, g.person()
    s = g.slots(p)
    conv = Conv("faq", r.choice(D.FAQ_SYSTEMS), customer=p.customer_id)
    for i, topic in enumerate(r.sample(tuple(D.FAQ), 2 if r.random() < 0.1 else 1)):
        questions, answers = D.FAQ[topic]
        text = styled(g, r.choice(questions).format_map(s), D.MOOD_PREFIX[:8], D.MOOD_SUFFIX[:4])
        if i == 0 and r.random() < 0.2:
            text = r.choice(D.FAQ_PII).format_map(s) + text
        conv.add("user", text)
        conv.add("text", r.choice(D.FAQ_OPENERS) + r.choice(answers))
    return conv


BUILDERS = {
    "routing": routing,
    "order_status": order_status,
    "extraction": extraction,
    "summarization": summarization,
    "faq": faq,
}
