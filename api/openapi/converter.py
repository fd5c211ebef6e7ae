"""Convert the Swagger 2.0 document emitted by Flask-RESTX into OpenAPI 3.0.3.

Flask-RESTX (1.3.x) can only describe an API as Swagger 2.0 (``api.__schema__``), while
current tooling (client generators, gateways, linters) expects OpenAPI 3. The converters on
PyPI either call a remote web service or are unmaintained, so this module performs the
translation offline, covering exactly the constructs Flask-RESTX produces: models, body and
form parameters (including file uploads), query/path/header parameters, response headers,
shared responses and security definitions.

The module is pure Python and has no Flask dependency; the input is never mutated.
"""

import copy
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

Json = dict[str, Any]

OPENAPI_VERSION = "3.0.3"
JSON_MEDIA = "application/json"
FORM_MEDIA = "application/x-www-form-urlencoded"
MULTIPART_MEDIA = "multipart/form-data"

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_BODY_LOCATIONS = ("body", "formData")
_REF_PREFIXES = {
    "#/definitions/": "#/components/schemas/",
    "#/responses/": "#/components/responses/",
    "#/parameters/": "#/components/parameters/",
}
# Keys of Swagger 2 parameter/header objects that belong in an OpenAPI 3 "schema".
_SIMPLE_SCHEMA_KEYS = frozenset(
    "type format items enum default multipleOf minimum exclusiveMinimum maximum exclusiveMaximum"
    " minLength maxLength pattern minItems maxItems uniqueItems".split()
)
_COLLECTION_STYLES: dict[str, Json] = {
    "multi": {"style": "form", "explode": True},
    "csv": {"explode": False},
    "ssv": {"style": "spaceDelimited", "explode": False},
    "pipes": {"style": "pipeDelimited", "explode": False},
}
_OAUTH_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}
_OPERATION_HEAD_KEYS = ("tags", "summary", "description", "externalDocs", "operationId")


@dataclass(frozen=True)
class _Context:
    consumes: list[str]
    produces: list[str]
    shared_parameters: Json


def to_openapi3(swagger: Json, *, servers: list[Json] | None = None) -> Json:
    """Return an OpenAPI 3.0.3 document equivalent to the given Swagger 2.0 document."""
    src = _rewrite_refs(copy.deepcopy(swagger))
    ctx = _Context(
        consumes=src.get("consumes") or [JSON_MEDIA],
        produces=src.get("produces") or [JSON_MEDIA],
        shared_parameters=src.get("parameters") or {},
    )
    doc: Json = {
        "openapi": OPENAPI_VERSION,
        "info": src.get("info", {}),
        "servers": copy.deepcopy(servers) if servers is not None else _servers(src),
    }
    if "tags" in src:
        doc["tags"] = src["tags"]
    doc["paths"] = {
        path: item if path.startswith("x-") else _convert_path_item(item, ctx)
        for path, item in src.get("paths", {}).items()
    }
    if components := _components(src, ctx):
        doc["components"] = components
    return {**doc, **_pick(src, ("security", "externalDocs")), **_extensions(src)}


def _extensions(obj: Json) -> Json:
    return {key: value for key, value in obj.items() if key.startswith("x-")}


def _pick(obj: Json, keys: tuple[str, ...]) -> Json:
    return {key: obj[key] for key in keys if key in obj}


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _rewrite_refs(value) for key, value in node.items()}
    ref = out.get("$ref")
    for old, new in _REF_PREFIXES.items():
        if isinstance(ref, str) and ref.startswith(old):
            out["$ref"] = new + ref[len(old) :]
    return out


def _servers(src: Json) -> list[Json]:
    base_path = src.get("basePath") or "/"
    if host := src.get("host"):
        # Without declared schemes a protocol-relative URL keeps the caller's scheme.
        prefixes = [f"{scheme}://" for scheme in src.get("schemes", [])] or ["//"]
        return [{"url": f"{prefix}{host}{base_path}".rstrip("/")} for prefix in prefixes]
    return [{"url": base_path}]


def _components(src: Json, ctx: _Context) -> Json:
    components: Json = {}
    if definitions := src.get("definitions"):
        components["schemas"] = {name: _convert_schema(s) for name, s in definitions.items()}
    if schemes := src.get("securityDefinitions"):
        components["securitySchemes"] = {
            name: _convert_security_scheme(scheme) for name, scheme in schemes.items()
        }
    if responses := src.get("responses"):
        components["responses"] = {
            name: _convert_response(resp, ctx.produces, fallback=name)
            for name, resp in responses.items()
        }
    # Body/form parameters have no OpenAPI 3 counterpart here; references to them are inlined.
    if parameters := {
        name: _convert_parameter(param)
        for name, param in ctx.shared_parameters.items()
        if param.get("in") not in _BODY_LOCATIONS
    }:
        components["parameters"] = parameters
    return components


def _convert_schema(schema: Any) -> Any:
    return _convert_object(schema) if isinstance(schema, dict) else schema


def _convert_object(schema: Json) -> Json:
    out: Json = {}
    for key, value in schema.items():
        if key == "x-nullable":
            if value:
                out["nullable"] = True
        elif key == "type" and value == "file":
            out.update(type="string", format="binary")
        elif key == "discriminator" and isinstance(value, str):
            out[key] = {"propertyName": value}
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert_schema(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _convert_schema(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_convert_schema(sub) for sub in value]
        else:
            out[key] = value
    return _wrap_ref(_fix_nulls(out))


def _fix_nulls(schema: Json) -> Json:
    """Map JSON-Schema style nulls (Flask-RESTX ``nullable=True``) onto ``nullable``."""
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [t for t in kind if t != "null"]
        schema = {**schema, "type": rest[0] if len(rest) == 1 else rest, "nullable": True}
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if not isinstance(options, list) or {"type": "null"} not in options:
            continue
        options = [option for option in options if option != {"type": "null"}]
        schema = {**schema, key: options, "nullable": True}
        if len(options) == 1:
            del schema[key]
            schema = {**options[0], **schema}
    return schema


def _wrap_ref(schema: Json) -> Json:
    # OpenAPI 3.0 ignores siblings of "$ref", so keep them by moving the ref into allOf.
    if "$ref" not in schema or len(schema) == 1:
        return schema
    rest = {key: value for key, value in schema.items() if key != "$ref"}
    return {"allOf": [{"$ref": schema["$ref"]}, *rest.pop("allOf", [])], **rest}


def _simple_schema(obj: Json) -> Json:
    schema = {key: value for key, value in obj.items() if key in _SIMPLE_SCHEMA_KEYS}
    if isinstance(schema.get("items"), dict):
        schema["items"] = _simple_schema(schema["items"])
    return _convert_object(schema)


def _convert_security_scheme(scheme: Json) -> Json:
    kind = scheme.get("type")
    header = scheme.get("in") == "header" and scheme.get("name", "").lower() == "authorization"
    if kind == "basic":
        out: Json = {"type": "http", "scheme": "basic"}
    elif kind == "apiKey" and header:
        # Flask-RESTX apps document "Authorization: Bearer <jwt>" as an apiKey header.
        out = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    elif kind == "oauth2":
        flow = {
            **_pick(scheme, ("authorizationUrl", "tokenUrl")),
            "scopes": scheme.get("scopes", {}),
        }
        # Swagger 2.0 has no refreshUrl; `x-refreshUrl` carries it to OpenAPI 3.
        if "x-refreshUrl" in scheme:
            flow["refreshUrl"] = scheme["x-refreshUrl"]
        out = {"type": "oauth2", "flows": {_OAUTH_FLOWS[scheme["flow"]]: flow}}
    else:
        out = _pick(scheme, ("type", "name", "in"))
    extensions = {k: v for k, v in _extensions(scheme).items() if k != "x-refreshUrl"}
    return {**out, **_pick(scheme, ("description",)), **extensions}


def _convert_path_item(item: Json, ctx: _Context) -> Json:
    params = [_resolve_parameter(p, ctx) for p in item.get("parameters", [])]
    # Path-level body/form parameters must become each operation's requestBody.
    carried = [p for p in params if p.get("in") in _BODY_LOCATIONS]
    plain = [_convert_parameter(p) for p in params if p.get("in") not in _BODY_LOCATIONS]
    out: Json = {}
    for key, value in item.items():
        if key in _METHODS:
            out[key] = _convert_operation(value, carried, ctx)
        elif key != "parameters":
            out[key] = value
        elif plain:
            out[key] = plain
    return out


def _resolve_parameter(param: Json, ctx: _Context) -> Json:
    ref = param.get("$ref", "")
    target = ctx.shared_parameters.get(unquote(ref.rsplit("/", 1)[-1])) if ref else None
    return target if target and target.get("in") in _BODY_LOCATIONS else param


def _convert_operation(op: Json, carried: list[Json], ctx: _Context) -> Json:
    ctx = replace(ctx, **{key: op[key] for key in ("consumes", "produces") if op.get(key)})
    # Operation-level body/form parameters come last so they win over path-level ones.
    params = carried + [_resolve_parameter(p, ctx) for p in op.get("parameters", [])]
    out: Json = _pick(op, _OPERATION_HEAD_KEYS)
    if plain := [_convert_parameter(p) for p in params if p.get("in") not in _BODY_LOCATIONS]:
        out["parameters"] = plain
    if body := _request_body(params, ctx.consumes):
        out["requestBody"] = body
    out["responses"] = _convert_responses(op.get("responses") or {}, ctx.produces)
    return {**out, **_pick(op, ("deprecated", "security")), **_extensions(op)}


def _convert_parameter(param: Json) -> Json:
    if "$ref" in param:
        return param
    out: Json = {"name": param["name"], "in": param["in"], **_pick(param, ("description",))}
    out["required"] = param["in"] == "path" or bool(param.get("required", False))
    out.update(_pick(param, ("allowEmptyValue",)))
    if param.get("type") == "array":
        # Swagger 2 arrays default to "csv"; OpenAPI 3 query arrays default to exploded form.
        out.update(_COLLECTION_STYLES.get(param.get("collectionFormat", "csv"), {}))
    out["schema"] = _simple_schema(param)
    return {**out, **_pick(param, ("example",)), **_extensions(param)}


def _request_body(params: list[Json], consumes: list[str]) -> Json | None:
    if fields := {p["name"]: p for p in params if p.get("in") == "formData"}:
        return _form_body(list(fields.values()), consumes)
    bodies = [p for p in params if p.get("in") == "body"]
    return _json_body(bodies[-1], consumes) if bodies else None


def _json_body(param: Json, consumes: list[str]) -> Json:
    schema = _convert_schema(param.get("schema", {}))
    media: Json = {"schema": schema}
    if "example" in schema:
        media["example"] = schema["example"]
    return {
        "required": bool(param.get("required", False)),
        **_pick(param, ("description",)),
        "content": {media_type: copy.deepcopy(media) for media_type in consumes},
        **_extensions(param),
    }


def _form_body(fields: list[Json], consumes: list[str]) -> Json:
    properties = {
        f["name"]: {**_simple_schema(f), **_pick(f, ("description", "example"))} for f in fields
    }
    schema: Json = {"type": "object", "properties": properties}
    if required := [field["name"] for field in fields if field.get("required")]:
        schema["required"] = required
    if any(field.get("type") == "file" for field in fields):
        media_types = [MULTIPART_MEDIA]
    else:
        media_types = [m for m in consumes if m in (FORM_MEDIA, MULTIPART_MEDIA)] or [FORM_MEDIA]
    content = {media_type: {"schema": copy.deepcopy(schema)} for media_type in media_types}
    return {"required": bool(required), "content": content}


def _convert_responses(responses: Json, produces: list[str]) -> Json:
    if not responses:
        return {"default": {"description": "Default response"}}
    return {
        str(code): resp
        if str(code).startswith("x-")
        else _convert_response(resp, produces, fallback=_reason(str(code)))
        for code, resp in responses.items()
    }


def _reason(code: str) -> str:
    if code == "default":
        return "Default response"
    try:
        return HTTPStatus(int(code)).phrase
    except ValueError:
        return code


def _media_types_for(schema: Json, produces: list[str]) -> list[str]:
    """Swagger 2.0 `produces` covers every response of an operation; OpenAPI 3 can be exact:
    a file download gets the non-JSON types, every other body the JSON ones."""
    json_types = [t for t in produces if t == "application/json" or t.endswith("+json")]
    if schema.get("type") == "file" or schema.get("format") == "binary":
        return [t for t in produces if t not in json_types] or ["application/octet-stream"]
    return json_types or produces


def _convert_response(resp: Json, produces: list[str], *, fallback: str) -> Json:
    if "$ref" in resp:
        return resp
    out: Json = {"description": resp.get("description") or fallback}
    content: Json = {}
    if "schema" in resp:
        schema = _convert_schema(resp["schema"])
        media_types = _media_types_for(resp["schema"], produces)
        content = {media_type: {"schema": copy.deepcopy(schema)} for media_type in media_types}
    for media_type, example in resp.get("examples", {}).items():
        content.setdefault(media_type, {})["example"] = example
    if content:
        out["content"] = content
    if headers := resp.get("headers"):
        out["headers"] = {
            name: {**_pick(h, ("description",)), "schema": _simple_schema(h), **_extensions(h)}
            for name, h in headers.items()
        }
    return {**out, **_extensions(resp)}


# --- links ----------------------------------------------------------------------------------

PATH_PARAMETER = "{path}"  # in a link table: "the target operation's (only) path parameter"


@dataclass(frozen=True)
class LinkSpec:
    """One OpenAPI link: after `status` of the source, `target` can be called with `parameters`
    (parameter name -> runtime expression; `PATH_PARAMETER` names the target's path parameter,
    whatever it is called)."""

    name: str
    status: str
    target: str
    parameters: tuple[tuple[str, str], ...] = ()
    description: str = ""
    request_body: Any = None


def add_links(document: Json, table: dict[str, list[LinkSpec]]) -> Json:
    """Return `document` with the links of `table` (keyed by the source's operationId) added to
    its responses. A link whose source or target operation is absent is left out, so the table
    may name operations a deployment does not have; a path parameter the target lacks is an
    error (the link would be a lie)."""
    out = copy.deepcopy(document)
    operations = {
        op["operationId"]: (op, [*item.get("parameters", []), *op.get("parameters", [])])
        for item in out.get("paths", {}).values()
        for method, op in item.items()
        if method in _METHODS and "operationId" in op
    }
    for source_id, links in table.items():
        source, _ = operations.get(source_id, (None, []))
        for link in links:
            target = operations.get(link.target)
            if source is None or target is None or link.status not in source["responses"]:
                continue
            response = source["responses"][link.status]
            response.setdefault("links", {})[link.name] = _link_object(link, target[1])
    return out


def _link_object(link: LinkSpec, target_parameters: list[Json]) -> Json:
    declared = {f"{p.get('in')}.{p.get('name')}" for p in target_parameters if "name" in p}
    path_params = [name for name in declared if name.startswith("path.")]
    params: Json = {}
    for name, expression in link.parameters:
        if name == PATH_PARAMETER and len(path_params) == 1:
            name = path_params[0]
        if name not in declared:
            raise ValueError(f"link {link.name}: {link.target} has no parameter {name}")
        params[name] = expression
    out: Json = {"operationId": link.target}
    if params:
        out["parameters"] = params
    if link.request_body is not None:
        out["requestBody"] = link.request_body
    if link.description:
        out["description"] = link.description
    return out
