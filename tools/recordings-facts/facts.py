#!/usr/bin/env python3
"""Version facts from the recorded Stripe test-mode traffic in shared/recordings.

Reads every folder's cassettes (<folder>/<cassette>.json, one list of exchanges) and its
provenance.json, assigns each exchange the Stripe API version it was answered with, and prints
Markdown: per version and object type (invoice, line_item, invoiceitem, customer, list,
search_result, error) the fields observed, null vs non-null, the nested shapes of rendering,
automatic_tax, parent, pricing, taxes (and a few more), a field-presence matrix across versions,
and the error bodies per endpoint. Every fact names its evidence as folder/cassette#index.

    python3 tools/recordings-facts/facts.py [--recordings DIR] [--since VERSION]

Python 3.11 standard library only. Prints to stdout; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

# The objects whose shapes we report, by their `object` value.
OBJECTS = ("invoice", "line_item", "invoiceitem", "customer", "list", "search_result", "invoice_payment")
# Nested shapes whose exact keys and values matter to the mock.
NESTED = {
    "invoice": ("rendering", "automatic_tax", "parent", "issuer", "status_transitions", "total_taxes",
                "payment_settings", "rendering_options", "subscription_details", "confirmation_secret"),
    "line_item": ("parent", "pricing", "taxes", "period", "proration_details", "tax_amounts", "pretax_credit_amounts"),
    "invoiceitem": ("parent", "pricing", "period", "proration_details"),
    "customer": ("invoice_settings", "address", "shipping"),
}
# Versions from which full per-field tables are printed; older ones get compact field lists.
DETAIL_SINCE = "2022-11-15"

# Stripe-Version values that a source masked. The provenance of that folder must name the version
# the project pinned; we check that it does, so a changed provenance fails loudly instead of
# silently mislabelling 283 exchanges.
MASKED = {
    "onetimesecret__onetimesecret": ("<STRIPE_VERSION>", "2025-11-17.clover"),
}

ID_RE = re.compile(
    r"/(in|cus|ii|il|sub|si|pi|pm|ch|price|prod|txr|di|evt|cbtxn|inpay|card|src|tok|ba|re|seti|cs|acct|upcoming_in)_[A-Za-z0-9_]+"
)
VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


@dataclass
class Exchange:
    folder: str
    cassette: str
    index: int
    version: str  # API version, or "unrecorded"
    version_source: str  # header | provenance | masked->provenance | unrecorded
    raw: dict

    @property
    def ref(self) -> str:
        return f"{self.folder}/{self.cassette}#{self.index}"


@dataclass
class FieldStat:
    present: int = 0
    null: int = 0
    types: Counter = field(default_factory=Counter)
    values: Counter = field(default_factory=Counter)
    first_nonnull: str | None = None
    first_null: str | None = None


@dataclass
class ObjectStat:
    count: int = 0
    fields: dict[str, FieldStat] = field(default_factory=lambda: defaultdict(FieldStat))
    contexts: Counter = field(default_factory=Counter)
    created: list[int] = field(default_factory=list)
    nested: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    nested_ref: dict[tuple[str, str], str] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


def die(msg: str) -> None:
    print(f"recordings-facts: {msg}", file=sys.stderr)
    sys.exit(1)


def load_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        die(f"{path}:{e.lineno}:{e.colno}: {e.msg}")
    except OSError as e:
        die(f"{path}: {e.strerror}")


def version_key(v: str) -> tuple:
    return (0, v) if VERSION_RE.match(v) else (1, v)


def load(recordings: Path) -> tuple[list[Exchange], dict]:
    if not recordings.is_dir():
        die(f"{recordings}: not a directory (pass --recordings)")
    exchanges: list[Exchange] = []
    prov_by_folder = {}
    for folder in sorted(p for p in recordings.iterdir() if p.is_dir()):
        prov_path = folder / "provenance.json"
        if not prov_path.exists():
            die(f"{folder}: no provenance.json")
        prov = load_json(prov_path)
        prov_by_folder[folder.name] = prov
        cass_versions = {c["file"].removesuffix(".json"): c.get("stripe_versions") or [] for c in prov.get("cassettes", [])}
        masked = MASKED.get(folder.name)
        if masked and masked[1] not in json.dumps(prov):
            die(f"{prov_path}: expected the provenance to name the pinned version {masked[1]} for the masked {masked[0]}")
        for f in sorted(folder.glob("*.json")):
            if f.name == "provenance.json":
                continue
            cassette = f.stem
            data = load_json(f)
            if not isinstance(data, list):
                die(f"{f}: expected a JSON list of exchanges")
            pv = [v for v in cass_versions.get(cassette, []) if VERSION_RE.match(v)]
            for i, ex in enumerate(data):
                hdr = (ex.get("response_headers") or {}).get("Stripe-Version") or (ex.get("request_headers") or {}).get("Stripe-Version")
                if hdr and masked and hdr == masked[0]:
                    version, src = masked[1], "masked->provenance"
                elif hdr and VERSION_RE.match(hdr):
                    version, src = hdr, "header"
                elif len(pv) == 1:
                    version, src = pv[0], "provenance"
                else:
                    version, src = "unrecorded", "unrecorded"
                exchanges.append(Exchange(folder.name, cassette, i, version, src, ex))
    return exchanges, prov_by_folder


def jtype(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    return "object"


def short_value(v) -> str | None:
    """A value worth listing (enum-like), or None."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, str) and len(v) <= 32 and not re.search(r"_[A-Za-z0-9]{10,}|^https?:", v):
        return json.dumps(v)
    if isinstance(v, list) and not v:
        return "[]"
    if isinstance(v, dict) and not v:
        return "{}"
    return None


def shape(v, depth=0) -> str:
    """Compact description of a nested value: keys with scalar values spelled out."""
    if isinstance(v, dict):
        if depth > 3:
            return "{…}"
        return "{" + ", ".join(f"{k}: {shape(v[k], depth + 1)}" for k in sorted(v)) + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        inner = sorted({shape(x, depth + 1) for x in v})
        return "[" + " | ".join(inner) + "]"
    if isinstance(v, str):
        if re.match(r"^[a-z]+_[A-Za-z0-9]{8,}$", v) or re.match(r"^[a-z]+_[A-Za-z0-9_]*NORMALIZED", v):
            return "<" + v.split("_")[0] + "_id>"
        if len(v) > 40:
            return "<str>"
    if isinstance(v, int) and not isinstance(v, bool) and v > 1_000_000_000 - 1:
        return "<timestamp>" if v < 4_000_000_000 else str(v)
    return json.dumps(v)


class Facts:
    def __init__(self, exchanges: list[Exchange]):
        self.exchanges = exchanges
        self.objects: dict[tuple[str, str], ObjectStat] = defaultdict(ObjectStat)
        self.errors: list[tuple[Exchange, dict]] = []
        self.list_envelopes: dict[tuple[str, str], Counter] = defaultdict(Counter)
        self.list_refs: dict[tuple[str, str, str], str] = {}
        for ex in exchanges:
            body = ex.raw.get("body")
            status = ex.raw.get("status")
            if isinstance(body, dict) and isinstance(body.get("error"), dict) and (status or 0) >= 400:
                self.errors.append((ex, body["error"]))
                self.note("error", ex, body["error"], "body.error")
                continue
            self.walk(ex, body, "body")

    def kind(self, obj: dict) -> str | None:
        o = obj.get("object")
        if o in OBJECTS:
            return o
        return None

    def walk(self, ex: Exchange, v, ctx: str) -> None:
        if isinstance(v, dict):
            k = self.kind(v)
            if k:
                if v.get("deleted") is True:
                    self.note(f"{k} (deleted stub)", ex, v, ctx)
                else:
                    self.note(k, ex, v, ctx)
                if k in ("list", "search_result"):
                    self.envelope(ex, v, ctx)
            for key, sub in v.items():
                self.walk(ex, sub, f"{ctx}.{key}")
        elif isinstance(v, list):
            for sub in v:
                self.walk(ex, sub, ctx + "[]")

    def envelope(self, ex: Exchange, v: dict, ctx: str) -> None:
        items = {x.get("object") for x in v.get("data", []) if isinstance(x, dict)}
        where = "embedded" if ctx != "body" else "top-level"
        label = f"{where} {v.get('object')} of {','.join(sorted(i for i in items if i)) or 'nothing'}"
        keyset = ", ".join(sorted(v.keys()))
        self.list_envelopes[(ex.version, label)][keyset] += 1
        self.list_refs.setdefault((ex.version, label, keyset), ex.ref)

    def note(self, kind: str, ex: Exchange, obj: dict, ctx: str) -> None:
        st = self.objects[(ex.version, kind)]
        st.count += 1
        st.contexts[_ctx_label(ctx)] += 1
        if len(st.examples) < 3 and ex.ref not in st.examples:
            st.examples.append(ex.ref)
        if isinstance(obj.get("created"), int):
            st.created.append(obj["created"])
        for k, val in obj.items():
            fs = st.fields[k]
            fs.present += 1
            t = jtype(val)
            fs.types[t] += 1
            if val is None:
                fs.null += 1
                fs.first_null = fs.first_null or ex.ref
            else:
                fs.first_nonnull = fs.first_nonnull or ex.ref
            sv = short_value(val)
            if sv is not None:
                fs.values[sv] += 1
        base = kind.split(" ")[0]
        for n in NESTED.get(base, ()):
            if n in obj:
                s = shape(obj[n])
                st.nested[n][s] += 1
                st.nested_ref.setdefault((n, s), ex.ref)


def _ctx_label(ctx: str) -> str:
    # body.data[].lines.data[] -> body.data[].lines.data[]; ids never appear in contexts
    return ctx


def endpoint(ex: Exchange) -> str:
    # zulip replaced ids with fixture-file names ("…--Invoice.create.1.json")
    path = re.sub(r"/[^/]*--[^/]*\.json", "/{id}", ex.raw.get("path", ""))
    path = ID_RE.sub(lambda m: "/{" + m.group(1) + "}", path)
    path = re.sub(r"/NORMALIZED[A-Za-z0-9_]*", "/{id}", path)
    return f"{ex.raw.get('method', '?')} {path}"


def fmt_date(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def report(facts: Facts, prov: dict, since: str | None) -> str:
    out: list[str] = []
    w = out.append
    ex_by_version: dict[str, list[Exchange]] = defaultdict(list)
    for ex in facts.exchanges:
        ex_by_version[ex.version].append(ex)
    versions = sorted(ex_by_version, key=version_key)
    if since:
        versions = [v for v in versions if not VERSION_RE.match(v) or v >= since]

    w("<!-- generated by tools/recordings-facts/facts.py from shared/recordings; do not edit -->")
    w("## A. Recordings: versions and sources")
    w("")
    w("How each exchange got its version: `header` = the recorded Stripe-Version header; "
      "`masked->provenance` = the source masked the header (onetimesecret writes `<STRIPE_VERSION>`) and "
      "its provenance names the pinned version; `provenance` = no header, but the cassette's provenance "
      "lists exactly one version; `unrecorded` = neither. Dates are the range of `created` stamps "
      "of the objects in the responses (the recordings carry no Date headers).")
    w("")
    w("| version | exchanges | how | sources (cassettes) | objects created |")
    w("|---|---|---|---|---|")
    for v in versions:
        exs = ex_by_version[v]
        how = ", ".join(f"{k} {n}" for k, n in Counter(e.version_source for e in exs).most_common())
        cas = Counter(f"{e.folder}/{e.cassette}" for e in exs)
        created = [c for (vv, _), st in facts.objects.items() if vv == v for c in st.created if c > 1_000_000_000]
        rng = f"{fmt_date(min(created))} … {fmt_date(max(created))}" if created else "—"
        w(f"| {v} | {len(exs)} | {how} | {'; '.join(f'{c} ({n})' for c, n in sorted(cas.items()))} | {rng} |")
    w("")

    # objects per version
    w("## B. Objects per version")
    w("")
    w("Columns: **n/N** = instances carrying the field / instances of that object; **null** = of "
      "those, how many were null; **JSON types** seen; **values** = short enum-like values with "
      "counts; **evidence** = first exchange with a non-null value (else the first null one).")
    for v in versions:
        kinds = sorted(k for (vv, k) in facts.objects if vv == v)
        if not kinds:
            continue
        w("")
        w(f"### {v}")
        for k in kinds:
            st = facts.objects[(v, k)]
            w("")
            ctxs = ", ".join(f"`{c}` ×{n}" for c, n in st.contexts.most_common(6))
            w(f"#### {v} · {k} — {st.count} instance(s); seen at {ctxs}; e.g. {', '.join(st.examples)}")
            w("")
            detailed = VERSION_RE.match(v) and v >= DETAIL_SINCE or not VERSION_RE.match(v)
            names = sorted(st.fields)
            if not detailed or k == "error":
                always = [n for n in names if st.fields[n].present == st.count]
                some = [n for n in names if st.fields[n].present != st.count]
                nulls = [n for n in names if st.fields[n].null == st.fields[n].present]
                if k != "error":
                    w(f"- fields always present ({len(always)}): {', '.join(always)}")
                    if some:
                        w(f"- fields in some instances: {', '.join(f'{n} ({st.fields[n].present}/{st.count})' for n in some)}")
                    w(f"- always null: {', '.join(nulls) or '—'}")
                else:
                    w(f"- fields: {', '.join(f'{n} ({st.fields[n].present}/{st.count})' for n in names)}")
                continue
            w("| field | n/N | null | JSON types | values | evidence |")
            w("|---|---|---|---|---|---|")
            for n in names:
                fs = st.fields[n]
                types = ", ".join(t for t, _ in fs.types.most_common())
                vals = ", ".join(f"{md_escape(val)}×{c}" for val, c in fs.values.most_common(5)) if fs.values and len(fs.values) <= 8 else ""
                w(f"| `{n}` | {fs.present}/{st.count} | {fs.null} | {types} | {vals} | {fs.first_nonnull or fs.first_null} |")
            nested = NESTED.get(k.split(" ")[0], ())
            shown = [n for n in nested if n in st.nested]
            if shown:
                w("")
                w("Nested shapes (distinct values, count, first evidence):")
                w("")
                for n in shown:
                    for s, c in st.nested[n].most_common(4):
                        w(f"- `{n}` ×{c}: `{md_escape(s)}` — {st.nested_ref[(n, s)]}")
                    if len(st.nested[n]) > 4:
                        w(f"- `{n}`: {len(st.nested[n]) - 4} more distinct shapes")

    # presence matrix
    w("")
    w("## C. Field presence across versions (2022-11-15 and later)")
    w("")
    w("`●` non-null seen · `○` present but always null · blank: never present although the object "
      "was recorded at that version · `–` object not recorded at that version.")
    mversions = [v for v in versions if VERSION_RE.match(v) and v >= DETAIL_SINCE]
    for k in ("invoice", "line_item", "invoiceitem", "customer"):
        have = [v for v in mversions if (v, k) in facts.objects]
        if not have:
            continue
        allf = sorted({f for v in have for f in facts.objects[(v, k)].fields})
        w("")
        w(f"### {k}")
        w("")
        w("| field | " + " | ".join(mversions) + " |")
        w("|---|" + "---|" * len(mversions))
        rows = []
        for f in allf:
            cells = []
            for v in mversions:
                st = facts.objects.get((v, k))
                if not st:
                    cells.append("–")
                    continue
                fs = st.fields.get(f)
                if not fs:
                    cells.append("")
                elif fs.null == fs.present:
                    cells.append("○")
                else:
                    cells.append("●")
            rows.append((f, cells))
        # fields whose presence differs between versions first
        varying = [r for r in rows if len({c for c in r[1] if c != "–"}) > 1]
        constant = [r for r in rows if r not in varying]
        for f, cells in varying:
            w(f"| `{f}` | " + " | ".join(cells) + " |")
        if constant:
            w("")
            w(f"Same at every recorded version ({len(constant)}): " + ", ".join(
                f"`{f}`{'○' if all(c in ('○', '–') for c in cells) else ''}" for f, cells in constant))

    # list envelopes
    w("")
    w("## D. List and search envelopes")
    w("")
    w("| version | list | keys | count | evidence |")
    w("|---|---|---|---|---|")
    for (v, label), keysets in sorted(facts.list_envelopes.items(), key=lambda x: (version_key(x[0][0]), x[0][1])):
        if v not in versions:
            continue
        for ks, n in keysets.most_common():
            w(f"| {v} | {label} | {ks} | {n} | {facts.list_refs[(v, label, ks)]} |")

    # errors
    w("")
    w("## E. Error bodies per endpoint")
    w("")
    w("| version | endpoint | status | type | code | param | message | evidence |")
    w("|---|---|---|---|---|---|---|---|")
    seen = set()
    for ex, err in sorted(facts.errors, key=lambda x: (version_key(x[0].version), endpoint(x[0]), x[0].ref)):
        if ex.version not in versions:
            continue
        row = (ex.version, endpoint(ex), ex.raw.get("status"), err.get("type"), err.get("code"), err.get("param"), err.get("message"))
        if row in seen:
            continue
        seen.add(row)
        extra = sorted(set(err) - {"type", "code", "param", "message"})
        msg = md_escape(str(err.get("message")))
        w(f"| {row[0]} | `{row[1]}` | {row[2]} | {row[3]} | {row[4] or '—'} | {row[5] or '—'} | {msg}"
          f"{' (also: ' + ', '.join(extra) + ')' if extra else ''} | {ex.ref} |")

    # endpoints exercised
    w("")
    w("## F. Invoice-surface endpoints exercised per version")
    w("")
    eps: dict[str, Counter] = defaultdict(Counter)
    for ex in facts.exchanges:
        e = endpoint(ex)
        if re.search(r" /v1/(invoices|invoiceitems|customers|invoice_payments)\b", e):
            eps[ex.version][f"{e} → {ex.raw.get('status')}"] += 1
    for v in versions:
        if eps.get(v):
            w(f"- **{v}**: " + "; ".join(f"`{e}` ×{n}" for e, n in sorted(eps[v].items())))
    return "\n".join(out) + "\n"


def main() -> None:
    here = Path(__file__).resolve().parent
    default = here.parent.parent.parent / "shared" / "recordings"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recordings", type=Path, default=default, help=f"recordings directory (default: {default})")
    ap.add_argument("--since", help="only versions from this one on (unrecorded ones are always listed)")
    args = ap.parse_args()
    exchanges, prov = load(args.recordings)
    sys.stdout.write(report(Facts(exchanges), prov, args.since))


if __name__ == "__main__":
    main()
