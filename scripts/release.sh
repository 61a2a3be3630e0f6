#!/usr/bin/env bash
# Builds the release binaries of licmon: static (CGO_ENABLED=0), trimmed
# paths, with version, commit and date stamped in (licmon version), then
# SHA-256 checksums and a software bill of materials per binary
# (go version -m: the Go version, every module with its version and hash,
# and the build settings).
#
# Usage: scripts/release.sh [VERSION]
#   VERSION    default: git describe --tags --always --dirty
#   OUT        output folder (default dist/VERSION)
#   TARGETS    space-separated GOOS/GOARCH list (default: the four below)
#
# Output, in OUT:
#   licmon_VERSION_windows_amd64.exe, licmon_VERSION_linux_amd64, ...
#   licmon_VERSION_..._sbom.txt    one per binary
#   SHA256SUMS                     verify with: sha256sum -c SHA256SUMS
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
# The commit's date, not the clock's, so that a rebuild of the same commit
# gives the same bytes.
date="$(git log -1 --format=%cI HEAD 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)"
targets="${TARGETS:-windows/amd64 linux/amd64 linux/arm64 darwin/arm64}"
out="${OUT:-dist/$version}"

case "$version" in
  *[!A-Za-z0-9._+-]*) echo "release: version '$version' may hold only letters, digits and . _ + -" >&2; exit 2 ;;
esac

mkdir -p "$out"
pkg=github.com/licmon/licmon/internal/cli
ldflags="-s -w -X $pkg.Version=$version -X $pkg.Commit=$commit -X $pkg.Date=$date"

for t in $targets; do
  goos="${t%/*}" goarch="${t#*/}"
  name="licmon_${version}_${goos}_${goarch}"
  exe="$name"
  [ "$goos" = windows ] && exe="$name.exe"
  echo "== $t -> $out/$exe"
  CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" \
    go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out/$exe" ./cmd/licmon
  (cd "$out" && go version -m "$exe") > "$out/${name}_sbom.txt"
done

(
  cd "$out"
  rm -f SHA256SUMS
  sha256sum -- licmon_* > SHA256SUMS.tmp
  mv SHA256SUMS.tmp SHA256SUMS
  sha256sum -c --quiet SHA256SUMS
)
echo "release $version ($commit, $date): $(ls "$out" | wc -l) files in $out"
