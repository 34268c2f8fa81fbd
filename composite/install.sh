#!/usr/bin/env bash
# Finds the token-gate binary of this composite's release for the runner
# (runner.os, runner.arch) and runs nothing but the bytes that release
# built: the binary must have the SHA-256 the release wrote into
# composite/action.yml (TOKEN_GATE_SHA256), whether it was just downloaded
# or found in the runner's tool cache. Neither the release's assets nor the
# tool cache are trusted: both can be replaced. Where gh can, a download's
# build attestation is checked too. What is checked is a private copy in
# RUNNER_TEMP, and that copy is what runs: its path goes to the step's
# output `bin`.
#
# Every input comes from the install step's env in composite/action.yml,
# which the job's env cannot override (docs/facts.md, "Composite actions").
# There is no way to point it at another server: the tests run it against
# a fake github.com through HTTPS_PROXY, as a runner behind a proxy runs.
# Tested by internal/release (TestInstall).
set -euo pipefail

# The runner reads workflow commands from every line of stdout, so a message
# is escaped as the runner unescapes it (docs/facts.md, "Workflow
# commands"): nothing quoted in it can start a line, or a command, of its
# own.
escape() {
	local s="$1"
	s="${s//'%'/%25}"
	s="${s//$'\r'/%0D}"
	s="${s//$'\n'/%0A}"
	printf '%s' "$s"
}
fail() {
	echo "::error title=token-gate composite::$(escape "$*")"
	exit 1
}
notice() {
	echo "::notice title=token-gate composite::$(escape "$*")"
}
# quote shows a value as bash writes it, control characters visible.
quote() {
	printf '%q' "$1"
}

version="${TOKEN_GATE_VERSION:-}"
repo="${TOKEN_GATE_REPOSITORY:-}"
server="${TOKEN_GATE_SERVER_URL:-}"

if [ "$version" = unreleased ]; then
	fail "this composite is from an unreleased commit, which has no binaries to download. Use a release: uses: ${repo:-token-gate/token-gate}/composite@<full commit SHA> # vX.Y.Z"
fi
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "TOKEN_GATE_VERSION $(quote "$version") is not vMAJOR.MINOR.PATCH"
[[ "$repo" =~ ^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$ ]] || fail "TOKEN_GATE_REPOSITORY $(quote "$repo") is not OWNER/REPO"

case "${RUNNER_OS:-}" in
Linux) os=linux ;;
macOS) os=darwin ;;
Windows) os=windows ;;
*) fail "runner.os $(quote "${RUNNER_OS:-}") is not supported; token-gate ships for Linux, macOS and Windows" ;;
esac
case "${RUNNER_ARCH:-}" in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) fail "runner.arch $(quote "${RUNNER_ARCH:-}") is not supported; token-gate ships for X64 and ARM64" ;;
esac
name="token-gate-$os-$arch"
[ "$os" = windows ] && name="$name.exe"

# The one digest this run accepts: the release wrote it beside the version.
want="$(printf '%s\n' "${TOKEN_GATE_SHA256:-}" | awk -v n="$name" '$2 == n { print $1 }')"
[[ "$want" =~ ^[0-9a-f]{64}$ ]] ||
	fail "this composite pins no SHA-256 for $name (TOKEN_GATE_SHA256 in its action.yml), so nothing can prove the binary is $version's; token-gate's release writes one for every binary. Use a release: uses: $repo/composite@<full commit SHA> # $version"

# directory NAME: a directory the runner names, which ends up in the step's
# output: an absolute path without control characters (a newline would
# start another line of GITHUB_OUTPUT).
directory() {
	local value="${!1:-}"
	[ -n "$value" ] || fail "$1 is not set; the runner sets it for every job"
	case "$value" in
	*[[:cntrl:]]*) fail "$1 $(quote "$value") holds a control character, which no runner sets; refusing to use it" ;;
	/* | [A-Za-z]:[\\/]*) ;;
	*) fail "$1 $(quote "$value") is not an absolute path" ;;
	esac
}
directory RUNNER_TOOL_CACHE
directory RUNNER_TEMP

# sha256 FILE prints its digest. The file is read from stdin, so its name,
# however it is spelled, cannot change the output (sha256sum escapes names
# with a backslash, as on Windows, by starting the line with one).
sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum <"$1" | cut -d' ' -f1
	else
		shasum -a 256 <"$1" | cut -d' ' -f1
	fi
}

work="$(mktemp -d "$RUNNER_TEMP/token-gate.XXXXXX")"
trap 'rm -rf "$work"' EXIT
bin="$work/$name"
cache="$RUNNER_TOOL_CACHE/token-gate/$version/$os-$arch"

# attest FILE checks the build attestation with gh, where that can be done,
# and sets attested to what was or was not checked, and why. The
# attestation lives on github.com with the release, so only a job of
# github.com, whose token is for github.com, asks it; any other server's
# token never goes there (docs/facts.md, "Artifact attestations").
attested=""
attest() {
	if [ "$server" != "https://github.com" ]; then
		attested="build attestation not checked: this job runs on ${server:-a server the runner did not name}, and its token is for that server, not for github.com, where $repo's release and its attestation live"
		return
	fi
	if [ -z "${TOKEN_GATE_JOB_TOKEN:-}" ]; then
		attested="build attestation not checked: the job has no token (github.token is empty) to ask github.com for it"
		return
	fi
	if ! command -v gh >/dev/null 2>&1; then
		attested="build attestation not checked: gh is not installed (gh 2.51 or later checks it)"
		return
	fi
	# gh asks github.com with the job's token and nothing else: GH_HOST and
	# GH_TOKEN say so whatever the job set, an empty GH_CONFIG_DIR keeps
	# the runner's stored logins out, and no debug log prints requests.
	local gh=(env -u GH_ENTERPRISE_TOKEN -u GITHUB_ENTERPRISE_TOKEN -u GITHUB_TOKEN -u GH_DEBUG -u DEBUG
		GH_HOST=github.com GH_TOKEN="$TOKEN_GATE_JOB_TOKEN" GH_CONFIG_DIR="$work/gh" GH_PROMPT_DISABLED=1 GH_NO_UPDATE_NOTIFIER=1 NO_COLOR=1 gh)
	# The check needs gh 2.51 or later: `attestation` came in 2.49,
	# --signer-workflow in 2.51. Asking for help with the very flags the
	# check uses tells, whatever the version: gh refuses a command or flag
	# it does not have before it prints any help.
	local signer="$repo/.github/workflows/release.yml" probe ghversion
	if ! probe="$("${gh[@]}" attestation verify --signer-workflow "$signer" --deny-self-hosted-runners --help 2>&1)"; then
		ghversion="$("${gh[@]}" --version 2>/dev/null | head -n 1)" || true
		attested="build attestation not checked: ${ghversion:-this gh} has no \"gh attestation verify --signer-workflow --deny-self-hosted-runners\" (it says: $(printf '%s\n' "$probe" | sed '/^[[:space:]]*$/d' | head -n 1)); gh 2.51 or later has it"
		return
	fi
	# --repo alone accepts an attestation from any workflow of the
	# repository: the release workflow, on a GitHub-hosted runner, is the
	# only signer of a release binary.
	if ! "${gh[@]}" attestation verify "$1" --repo "$repo" \
		--signer-workflow "$signer" --deny-self-hosted-runners >"$work/attestation" 2>&1; then
		fail "gh attestation verify did not confirm that $repo's .github/workflows/release.yml built $name on a GitHub-hosted runner, so it is not run (if gh could not reach github.com, re-run the job). gh said: $(sed '/^[[:space:]]*$/d' "$work/attestation")"
	fi
	attested="build attestation verified: built by $repo's .github/workflows/release.yml on a GitHub-hosted runner"
}

if [ -f "$cache/$name" ]; then
	# What is checked is what runs: a private copy, which nothing else on
	# the runner can change between this step and the next.
	cp "$cache/$name" "$bin" || fail "could not read $cache/$name in the runner's tool cache"
	got="$(sha256 "$bin")"
	[ "$got" = "$want" ] ||
		fail "$cache/$name in the runner's tool cache is not the $name of $version: its SHA-256 is $got, and this composite pins $want. Something on this runner replaced it; refusing to run it. Delete $RUNNER_TOOL_CACHE/token-gate, and look for what else an earlier job changed (an ephemeral runner starts clean)"
	from="from the tool cache"
	attested="build attestation checked only when downloaded"
else
	url="https://github.com/$repo/releases/download/$version/$name"
	# -q: no .curlrc; redirects (github.com sends every download to a
	# signed URL on another host, docs/facts.md, "Release downloads") may
	# not leave https; --retry: only what curl calls transient, a timeout
	# or an HTTP 408, 429, 500, 502, 503 or 504.
	curl -q -fsSL --proto '=https' --proto-redir '=https' --retry 3 --retry-delay 2 --connect-timeout 30 --max-time 120 \
		-o "$bin" "$url" || fail "could not download $url (curl exit $?)"
	got="$(sha256 "$bin")"
	[ "$got" = "$want" ] ||
		fail "$url is not the $name that $version's release built: its SHA-256 is $got, and this composite, written by that release, pins $want. The release asset was replaced or damaged; refusing to run it"
	from="downloaded"
	attest "$bin"
	# Kept for the next job, which checks it again: written beside under a
	# name of its own (runners may share the cache), then renamed, so no
	# job finds half a file. A cache that cannot be written costs a
	# download, not the run.
	partial=""
	if ! { mkdir -p "$cache" && partial="$(mktemp "$cache/.$name.XXXXXX")" && cp "$bin" "$partial" && mv -f "$partial" "$cache/$name"; } 2>/dev/null; then
		[ -z "$partial" ] || rm -f "$partial" 2>/dev/null || true
		notice "could not keep $name in the tool cache ($cache); the next job downloads it again"
	fi
fi
chmod +x "$bin"

# One line says what was verified, and what was not.
line="token-gate $version ($name, $from): SHA-256 verified against the digest this composite pins; $attested"
case "$attested" in
*"not checked"*) notice "$line" ;;
*) echo "$line" ;;
esac

echo "bin=$bin" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
trap - EXIT
