"""The API's JSON parser: DRF's, refusing bodies nested deeper than any of ours (400, not a
RecursionError and a 500 in the parser or, just under Python's limit, in the database)."""

import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request or webhook body of ours is more than a handful of levels deep.
MAX_JSON_DEPTH = 64


def nesting_depth(value):
    """How deeply lists and objects nest in a parsed JSON value (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class TooDeep(ValueError):
    pass


def loads_shallow(text):
    """json.loads, refusing (TooDeep) a value nested deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels.") from None
    if nesting_depth(value) > MAX_JSON_DEPTH:
        raise TooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels.")
    return value


class ShallowJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads_shallow(stream.read().decode(encoding))
        except TooDeep as exc:
            raise ParseError(f"JSON {exc}")
        except ValueError as exc:  # bad JSON, bad encoding
            raise ParseError(f"JSON parse error - {exc}")
