#!/usr/bin/env python3
"""json_schema.py -- check e2lua's -j output against doc/json-schema.json.

  json_schema.py check SCHEMA DEF [FILE]  every line of FILE (default stdin)
                                          is one JSON document valid for
                                          $defs/DEF
  json_schema.py doc SCHEMA DOC           doc/json.md documents exactly the
                                          schema's fields, and its JSON
                                          examples are valid
  json_schema.py transcript SCHEMA FILE   every JSON line of an e2lua -f
                                          transcript is valid for the
                                          command echoed before it

A small validator for the part of JSON Schema the schema uses (type,
enum, minimum, properties, required, additionalProperties, items, $ref
to #/$defs); a keyword outside that part is an error, so the schema
cannot use one that would be ignored here.  (Python's jsonschema is not
a Debian package every machine has.)
"""
import json
import re
import sys

KNOWN = {"$schema", "$id", "$defs", "$ref", "title", "description", "type",
         "enum", "minimum", "properties", "required", "additionalProperties",
         "items", "contentEncoding"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def resolve(root, schema):
    ref = schema.get("$ref")
    if ref is None:
        return schema
    m = re.fullmatch(r"#/\$defs/([A-Za-z0-9_]+)", ref)
    if not m or m.group(1) not in root["$defs"]:
        raise SystemExit("schema: bad $ref %s" % ref)
    return root["$defs"][m.group(1)]


def validate(root, schema, v, where, errors):
    unknown = set(schema) - KNOWN
    if unknown:
        raise SystemExit("schema: unsupported keywords %s" % sorted(unknown))
    schema = resolve(root, schema)
    t = schema.get("type")
    if t is not None and not TYPES[t](v):
        errors.append("%s: expected %s, got %s" % (where, t, json.dumps(v)[:60]))
        return
    if "enum" in schema and v not in schema["enum"]:
        errors.append("%s: %s not one of %s" % (where, json.dumps(v), schema["enum"]))
    if "minimum" in schema and TYPES["number"](v) and v < schema["minimum"]:
        errors.append("%s: %s below %s" % (where, v, schema["minimum"]))
    if isinstance(v, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in v:
                errors.append("%s: missing %s" % (where, k))
        extra = schema.get("additionalProperties", True)
        for k, x in v.items():
            if k in props:
                validate(root, props[k], x, "%s.%s" % (where, k), errors)
            elif extra is False:
                errors.append("%s: field %s is not in the schema" % (where, k))
            elif isinstance(extra, dict):
                validate(root, extra, x, "%s.%s" % (where, k), errors)
    if isinstance(v, list) and "items" in schema:
        for i, x in enumerate(v):
            validate(root, schema["items"], x, "%s[%d]" % (where, i), errors)


def check(root, name, text):
    if name not in root["$defs"]:
        raise SystemExit("no $defs/%s in the schema" % name)
    errors = []
    validate(root, {"$ref": "#/$defs/" + name}, json.loads(text), name, errors)
    return errors


def paths(root, schema, prefix, own, out):
    """The documented paths of schema's fields: "a", "a.b", "a[].b"; a $ref
    to a definition with a section of its own (own) is not entered."""
    if "$ref" in schema and schema["$ref"].split("/")[-1] in own:
        return
    schema = resolve(root, schema)
    if schema.get("type") == "array" and "items" in schema:
        paths(root, schema["items"], prefix + "[]", own, out)
        return
    for k, x in schema.get("properties", {}).items():
        p = prefix + "." + k if prefix else k
        out.add(p)
        paths(root, x, p, own, out)


def doc(root, text):
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    marked = {}
    for sec in sections:
        m = re.search(r"<!-- schema: ([a-z_]+) -->", sec)
        if m:
            marked[m.group(1)] = sec
    errors = []
    for name, sec in marked.items():
        if name not in root["$defs"]:
            errors.append("doc section %s: no such definition" % name)
            continue
        want = set()
        paths(root, {"$ref": "#/$defs/" + name}, "", set(marked) - {name}, want)
        have = set()
        for row in re.findall(r"^\| (.*?) \|", sec, flags=re.M):
            have |= set(re.findall(r"`([^`]+)`", row))
        wild = {h[:-2] for h in have if h.endswith(".*")}
        covered = {p for p in want if any(p.startswith(w + ".") for w in wild)}
        for p in sorted(want - have - covered):
            errors.append("doc section %s: field %s is not documented" % (name, p))
        for p in sorted(h for h in have - want if not h.endswith(".*")):
            errors.append("doc section %s: %s is not in the schema" % (name, p))
        for block in re.findall(r"^```text\n(.*?)^```", sec, flags=re.M | re.S):
            if block.lstrip().startswith("{"):
                errors += ["doc example of %s: %s" % (name, e) for e in check(root, name, block)]
    # every section of a command's -j has its definition
    for sec in sections:
        if " -j" in sec.split("\n", 1)[0] and "<!-- schema:" not in sec:
            errors.append("doc section %s: no schema marker" % sec.split("\n", 1)[0])
    return errors


# The definition of each command's output, by the names it is typed as.
DEFS = {"stat": "stat", "show_inode_info": "stat", "blocks": "blocks", "ex": "ex",
        "extents": "ex", "dump_extents": "ex", "bmap": "bmap", "imap": "imap",
        "dx_hash": "dx_hash", "hash": "dx_hash", "ls": "ls", "list_directory": "ls", "pwd": "pwd", "ncheck": "ncheck", "stats": "stats",
        "super": "stats", "show_super_stats": "stats", "icheck": "icheck",
        "testb": "testb", "plan": "plan", "pending": "pending", "sum": "sum",
        "frag": "frag", "survey": "survey", "freefrag": "freefrag", "map": "map"}


def transcript(root, path):
    errors, cmd, n = [], None, 0
    for line in open(path, encoding="utf-8"):
        if line.startswith("e2lua: "):
            cmd = line[7:].split()[0]
        elif line.startswith("{"):
            n += 1
            if cmd not in DEFS:
                errors.append("JSON after %r: no definition known" % cmd)
                continue
            errors += ["%s: %s" % (cmd, e) for e in check(root, DEFS[cmd], line)]
    if not n:
        errors.append("no JSON in %s" % path)
    return errors


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("check", "doc", "transcript"):
        raise SystemExit(__doc__)
    root = json.load(open(sys.argv[2]))
    errors = []
    if sys.argv[1] == "transcript":
        errors = transcript(root, sys.argv[3])
    elif sys.argv[1] == "doc":
        errors = doc(root, open(sys.argv[3], encoding="utf-8").read())
    else:
        f = open(sys.argv[4], encoding="utf-8") if len(sys.argv) > 4 else sys.stdin
        lines = [l for l in f if l.strip()]
        if not lines:
            errors.append("no JSON document")
        for i, line in enumerate(lines, 1):
            errors += ["line %d: %s" % (i, e) for e in check(root, sys.argv[3], line)]
    for e in errors:
        print(e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
