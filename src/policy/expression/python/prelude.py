# flowgate: authentik's evaluator context (policies §4.1), run before the handler is called.
# `_fg_*` names are flowgate's; host functions are resolved on first use.
_fg_messages = []


def ak_message(msg):
    _fg_messages.append(msg)


# request.context: geoip/asn of the HTTP request, then the policy context; in a flow with a
# plan, also `flow_plan`, whose `.context` is the live plan context (writes are kept).
if _fg_plan is None:
    context = _fg_ctx
else:
    _fg_plan.context = _fg_ctx
    context = dict(_fg_geo)
    context.update(_fg_ctx)
    context["flow_plan"] = _fg_plan
request.context = context
ak_is_sso_flow = context.get("is_sso", False)
