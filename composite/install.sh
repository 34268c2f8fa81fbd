#!/usr/bin/env bash
# Fetches the token-gate binary of this composite's release for the runner
# (runner.os, runner.arch), checks it against the release's SHA256SUMS and,
# where gh is installed, its build attestation, and keeps it in the runner's
# tool cache; then writes its path to the step's output `bin`. Anything that
# does not match refuses the run. Run by composite/action.yml; tested by
# internal/release against a fake release server.
set -euo pipefail

fail() {
	echo "::error title=token-gate composite::$*"
	exit 1
}

version="${TOKEN_GATE_VERSION:-}"
repo="${TOKEN_GATE_REPOSITORY:-token-gate/token-gate}"
base="${TOKEN_GATE_DOWNLOAD_URL:-https://github.com/$repo/releases/download}"

if [ "$version" = unreleased ]; then
	fail "this composite is from an unreleased commit, which has no binaries to download. Use a release: uses: $repo/composite@<full commit SHA> # vX.Y.Z (or @v1)"
fi
case "$version" in
v[0-9]*.[0-9]*.[0-9]*) ;;
*) fail "TOKEN_GATE_VERSION \"$version\" is not vMAJOR.MINOR.PATCH" ;;
esac

case "${RUNNER_OS:-}" in
Linux) os=linux ;;
macOS) os=darwin ;;
Windows) os=windows ;;
*) fail "runner.os \"${RUNNER_OS:-}\" is not supported; token-gate ships for Linux, macOS and Windows" ;;
esac
case "${RUNNER_ARCH:-}" in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) fail "runner.arch \"${RUNNER_ARCH:-}\" is not supported; token-gate ships for X64 and ARM64" ;;
esac
name="token-gate-$os-$arch"
[ "$os" = windows ] && name="$name.exe"

# Redirects (github.com sends every download to a signed URL elsewhere) may
# not leave https; plain http is for a loopback test server only.
case "$base" in
https://*) protocols='=https' ;;
http://127.0.0.1:* | http://localhost:*) protocols='=http' ;;
*) fail "TOKEN_GATE_DOWNLOAD_URL must be https (plain http only on loopback, for tests), not \"$base\"" ;;
esac

cache="${RUNNER_TOOL_CACHE:?RUNNER_TOOL_CACHE is not set}/token-gate/$version/$os-$arch"
bin="$cache/$name"

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# verify BINARY SUMS: the binary's digest must be the one SHA256SUMS gives
# for its name.
verify() {
	local want got
	want="$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$2")"
	[ -n "$want" ] || fail "SHA256SUMS of $version has no line for $name, so it cannot be verified; refusing to run it"
	got="$(sha256 "$1")"
	[ "$got" = "$want" ] || fail "$name does not match SHA256SUMS of $version (SHA256SUMS says $want, the file is $got); refusing to run it"
}

if [ -f "$bin" ] && [ -f "$cache/SHA256SUMS" ]; then
	verify "$bin" "$cache/SHA256SUMS"
	echo "token-gate $version from the tool cache: $bin"
else
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	for file in "$name" SHA256SUMS; do
		curl -fsSL --proto "$protocols" --proto-redir "$protocols" --retry 3 --retry-delay 2 --max-time 120 -o "$tmp/$file" "$base/$version/$file" ||
			fail "could not download $base/$version/$file"
	done
	verify "$tmp/$name" "$tmp/SHA256SUMS"
	if command -v gh >/dev/null 2>&1; then
		if ! gh attestation verify "$tmp/$name" --repo "$repo" >"$tmp/attestation" 2>&1; then
			cat "$tmp/attestation"
			fail "$name has no valid build attestation from $repo (gh attestation verify failed); refusing to run it"
		fi
		echo "token-gate $version: SHA256SUMS and build attestation verified"
	else
		echo "::notice title=token-gate composite::gh is not installed, so $name was checked against SHA256SUMS only, not its build attestation"
	fi
	mkdir -p "$cache"
	cp "$tmp/SHA256SUMS" "$cache/SHA256SUMS"
	cp "$tmp/$name" "$bin.partial"
	chmod +x "$bin.partial"
	mv -f "$bin.partial" "$bin"
fi
echo "bin=$bin" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
