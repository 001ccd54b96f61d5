# flowgate: authentik's helpers written in Python (policies §4.2). Each section is added to a
# program only when the expression mentions its name (every definition costs time per run).
# section: list_flatten
def list_flatten(value):
    if isinstance(value, list):
        if len(value) < 1:
            return None
        return value[0]
    return value


# section: regex_replace
def regex_replace(value, regex, repl):
    import re

    return re.sub(regex, repl, value)


# section: slugify
def slugify(value, allow_unicode=False):
    import re
    import unicodedata

    value = str(value)
    if allow_unicode:
        value = unicodedata.normalize("NFKC", value)
    else:
        value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[-\s]+", "-", value).strip("-_")


# section: ak_call_policy
def ak_call_policy(name, **kwargs):
    # authentik runs the policy on a deep copy of the request, kwargs added to its context
    call_context = dict(request.context)
    call_context.update(kwargs)
    return _fg_call_policy(name, call_context)


# section: http_request
if _fg_client_ip is not None:
    http_request = request.http_request
