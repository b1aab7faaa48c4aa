#!/usr/bin/env python3
"""Checks JSON response bodies against the extracted per-version schemas.

    python3 tools/stripe-schema/check_bodies.py snapshots [DIR]       # apiparity snapshots
    python3 tools/stripe-schema/check_bodies.py recordings DIR        # shared/recordings
    options: --schemas DIR (default tests/fixtures/stripe-schema), --version V (check every body
             against V instead of the body's own version)

Each body whose `object` is invoice, line_item, invoiceitem, customer, list, search_result or
invoice_payment (or a deleted stub of one) is walked against the schema of its version: fields the
schema requires but the body lacks (`missing`), fields the schema does not know (`extra`), values
of the wrong JSON type (`type`), null where the schema says not nullable (`null`), enum values out
of range (`enum`). Nested shapes, embedded lists and expanded references are followed. Snapshot
placeholders such as "<timestamp>" stand for any scalar and are counted, not judged. Error bodies
have no schema and are only counted. Prints Markdown; exits 0 (it reports, it does not gate).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ROOTS = {
    "invoice": "Invoice",
    "line_item": "InvoiceLineItem",
    "invoiceitem": "InvoiceItem",
    "customer": "Customer",
    "list": "ApiList",
    "search_result": "ApiSearchResult",
    "invoice_payment": "InvoicePayment",
}
DELETED = {"invoice": "DeletedInvoice", "invoiceitem": "DeletedInvoiceItem", "customer": "DeletedCustomer"}
PLACEHOLDER = re.compile(r"^<[^<>]+>(-\d+)?$|<[a-z_]+(\+\d+)?>")


def die(msg: str) -> None:
    print(f"check_bodies: {msg}", file=sys.stderr)
    sys.exit(1)


def load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        die(f"{path}:{e.lineno}:{e.colno}: {e.msg}")
    except OSError as e:
        die(f"{path}: {e.strerror}")


class Checker:
    def __init__(self, schema: dict):
        self.schema = schema
        self.objects = schema["objects"]
        self.findings: Counter = Counter()
        self.examples: dict = {}
        self.checked: Counter = Counter()
        self.placeholders = 0

    def report(self, kind: str, path: str, detail: str, where: str) -> None:
        key = (kind, path, detail)
        self.findings[key] += 1
        self.examples.setdefault(key, where)

    def root(self, body: dict, where: str, t_arg: str | None = None) -> None:
        o = body.get("object")
        if body.get("deleted") is True and o in DELETED:
            name = DELETED[o]
        else:
            name = ROOTS.get(o)
        if not name or name not in self.objects:
            return
        self.checked[name] += 1
        self.obj(name, body, name, where, t_arg)

    def obj(self, name: str, body: dict, path: str, where: str, t_arg: str | None = None) -> None:
        base, _, arg = name.partition("<")
        arg = arg[:-1] if arg else t_arg
        shape = self.objects.get(base)
        if shape is None:
            return  # another resource (TaxRate, Price, Discount …): not extracted, not judged
        fields = shape["fields"]
        for fname, f in fields.items():
            if fname not in body:
                if not f.get("optional"):
                    self.report("missing", f"{path}.{fname}", f["type"], where)
        for k, v in body.items():
            f = fields.get(k)
            if f is None:
                # a list envelope item typed T: infer from the item
                self.report("extra", f"{path}.{k}", _jtype(v), where)
                continue
            self.value(f, v, f"{path}.{k}", where, arg)

    def value(self, f: dict, v, path: str, where: str, t_arg: str | None) -> None:
        if isinstance(v, str) and PLACEHOLDER.search(v) and f["type"] not in ("string",) and not f["type"].startswith("enum"):
            self.placeholders += 1
            return
        if v is None:
            if not f.get("nullable"):
                self.report("null", path, f["type"], where)
            return
        self.typed(f["type"], f, v, path, where, t_arg)

    def typed(self, t: str, f: dict, v, path: str, where: str, t_arg: str | None) -> None:
        if isinstance(v, str) and PLACEHOLDER.search(v) and t not in ("string", "enum"):
            self.placeholders += 1
            return
        if t == "T":
            if isinstance(v, dict):
                if t_arg and t_arg in self.objects and not (v.get("object") and ROOTS.get(v["object"]) not in (t_arg, None)):
                    self.checked[t_arg] += 1
                    self.obj(t_arg, v, t_arg, where)
                else:
                    self.root(v, where)
            return
        if f.get("expandable") and t == "string":
            if isinstance(v, str):
                return
            if isinstance(v, dict):
                self.root(v, where)
                return
            self.report("type", path, f"expandable string, got {_jtype(v)}", where)
            return
        if t == "string":
            if not isinstance(v, str):
                self.report("type", path, f"string, got {_jtype(v)}", where)
            return
        if t == "number":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.report("type", path, f"number, got {_jtype(v)}", where)
            return
        if t == "boolean":
            if not isinstance(v, bool):
                self.report("type", path, f"boolean, got {_jtype(v)}", where)
            elif "enum" in f and v not in f["enum"]:
                self.report("enum", path, f"{json.dumps(v)} not in {f['enum']}", where)
            return
        if t == "enum":
            if isinstance(v, str) and PLACEHOLDER.search(v):
                self.placeholders += 1
                return
            if v not in f.get("enum", []):
                kind = "enum (open)" if f.get("open_enum") else "enum"
                self.report(kind, path, f"{json.dumps(v)} not in {{{', '.join(map(str, f.get('enum', [])))}}}", where)
            return
        if t == "any":
            return
        if t.startswith("map:"):
            if not isinstance(v, dict):
                self.report("type", path, f"{t}, got {_jtype(v)}", where)
                return
            inner = t[4:]
            for k, x in v.items():
                if x is not None:
                    self.typed(inner, {}, x, f"{path}[{k}]", where, t_arg)
            return
        if t.startswith("array:"):
            if not isinstance(v, list):
                self.report("type", path, f"{t}, got {_jtype(v)}", where)
                return
            inner = t[6:]
            sub = {k: f[k] for k in ("enum", "open_enum", "expandable", "expands_to") if k in f}
            for x in v:
                if x is None:
                    if not f.get("items_nullable"):
                        self.report("null", f"{path}[]", inner, where)
                    continue
                self.typed(inner, sub, x, f"{path}[]", where, t_arg)
            return
        if t.startswith("object:"):
            if not isinstance(v, dict):
                self.report("type", path, f"{t}, got {_jtype(v)}", where)
                return
            name = t[7:]
            self.obj(name, v, path, where, t_arg)
            return
        if t == "union":
            # accept when any variant accepts, judged by JSON type only
            ok = any(_accepts(var["type"], v) for var in f.get("variants", []))
            if not ok:
                self.report("type", path, f"union, got {_jtype(v)}", where)
            return
        self.report("unchecked", path, t, where)


def _accepts(t: str, v) -> bool:
    if t in ("string", "enum"):
        return isinstance(v, str)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "boolean":
        return isinstance(v, bool)
    if t.startswith("array:"):
        return isinstance(v, list)
    return isinstance(v, dict)


def _jtype(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def snapshot_bodies(root: Path):
    for f in sorted(root.rglob("*.json")):
        d = load_json(f)
        try:
            yield d["meta"]["stripe_version"], d["response"]["body"], str(f.relative_to(root.parent) if root.parent in f.parents else f), d["response"].get("status")
        except (KeyError, TypeError):
            die(f"{f}: not a snapshot (expected meta.stripe_version and response.body)")


def recording_bodies(root: Path):
    sys.path.insert(0, str(REPO / "tools" / "recordings-facts"))
    import facts  # noqa: E402  (same version assignment as the facts report)

    exchanges, _ = facts.load(root)
    for ex in exchanges:
        yield ex.version, ex.raw.get("body"), ex.ref, ex.raw.get("status")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("snapshots", "recordings"))
    ap.add_argument("dir", nargs="?", type=Path)
    ap.add_argument("--schemas", type=Path, default=REPO / "tests" / "fixtures" / "stripe-schema")
    ap.add_argument("--version", help="check every body against this version's schema")
    args = ap.parse_args()
    if args.mode == "snapshots":
        bodies = snapshot_bodies((args.dir or REPO / "snapshots").resolve())
    else:
        if not args.dir:
            die("recordings mode needs the recordings directory")
        bodies = recording_bodies(args.dir.resolve())

    checkers: dict[str, Checker] = {}
    skipped: Counter = Counter()
    errors: Counter = Counter()
    bodies_per: Counter = Counter()
    for version, body, where, status in bodies:
        v = args.version or version
        sf = args.schemas / f"{v}.json"
        if not sf.exists():
            skipped[version] += 1
            continue
        if v not in checkers:
            checkers[v] = Checker(load_json(sf))
        if isinstance(body, dict) and "error" in body and (status or 0) >= 400:
            errors[v] += 1
            continue
        if not isinstance(body, dict):
            continue
        bodies_per[v] += 1
        checkers[v].root(body, where)

    out = []
    w = out.append
    for v in sorted(checkers):
        c = checkers[v]
        w(f"### Bodies checked against the {v} schema ({c.schema['source']['package']})")
        w("")
        objs = ", ".join(f"{n} {k}" for k, n in sorted(c.checked.items()))
        w(f"{bodies_per[v]} response bodies ({errors[v]} error bodies have no schema and are not counted); "
          f"objects checked: {objs or 'none'}; {c.placeholders} normalization placeholders accepted as any scalar.")
        w("")
        if not c.findings:
            w("No finding: no missing or extra field, no type, nullability or enum violation.")
        else:
            w("| kind | path | expected / got | count | first example |")
            w("|---|---|---|---|---|")
            order = {"type": 0, "null": 1, "enum": 2, "enum (open)": 3, "missing": 4, "extra": 5, "unchecked": 6}
            for (kind, path, detail), n in sorted(c.findings.items(), key=lambda x: (order.get(x[0][0], 9), x[0][1])):
                w(f"| {kind} | `{path}` | {detail.replace('|', '/')} | {n} | {c.examples[(kind, path, detail)]} |")
            kinds = Counter()
            for (kind, _, _), n in c.findings.items():
                kinds[kind] += n
            w("")
            w("Totals: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        w("")
    if skipped:
        w("Not checked (no extracted schema for the version): " + ", ".join(f"{v} ({n})" for v, n in sorted(skipped.items())))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
