#!/usr/bin/env bash
# Rewrites the generated tail of docs/versions-research.md (everything after the BEGIN GENERATED
# marker) and docs/versions-sdk-diff.md. Usage: bash tools/recordings-facts/regen-doc.sh [RECORDINGS_DIR]
# (default: ../shared/recordings beside the repository). Needs python3; node only for the SDK diff.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
rec="${1:-$repo/../shared/recordings}"
doc="$repo/docs/versions-research.md"
marker='<!-- BEGIN GENERATED: everything below is written by tools/recordings-facts/regen-doc.sh -->'
[ -d "$rec" ] || { echo "regen-doc: no recordings directory at $rec (pass it as the first argument)" >&2; exit 1; }
grep -qxF "$marker" "$doc" || { echo "regen-doc: $doc has no line '$marker'" >&2; exit 1; }
tmp="$(mktemp "$doc.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
{
  sed "/^$(printf '%s' "$marker" | sed 's/[][\/.*^$]/\\&/g')\$/q" "$doc"
  echo
  echo '## Appendix A. Response bodies against the SDK schema of their version'
  echo
  echo '`python3 tools/stripe-schema/check_bodies.py snapshots` and `… recordings <dir>`.'
  echo
  echo '### A.1 Snapshots (`snapshots/`)'
  echo
  python3 "$repo/tools/stripe-schema/check_bodies.py" snapshots "$repo/snapshots" | sed 's/^### /#### /'
  echo '### A.2 Recordings (`shared/recordings`)'
  echo
  python3 "$repo/tools/stripe-schema/check_bodies.py" recordings "$rec" | sed 's/^### /#### /'
  echo '## Appendix B. Facts from the recordings'
  echo
  echo '`python3 tools/recordings-facts/facts.py --recordings <dir>`, headings shifted one level down.'
  echo
  python3 "$repo/tools/recordings-facts/facts.py" --recordings "$rec" | sed 's/^#/##/'
} > "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$doc"
trap - EXIT
if command -v node >/dev/null; then
  dtmp="$(mktemp "$repo/docs/versions-sdk-diff.md.XXXXXX")"
  node "$repo/tools/stripe-schema/diff.mjs" > "$dtmp" && chmod 644 "$dtmp" && mv "$dtmp" "$repo/docs/versions-sdk-diff.md"
fi
echo "regen-doc: wrote $doc" >&2
