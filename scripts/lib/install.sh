# Sourced by scripts/start and scripts/test: create .venv and install Coastal into it, quietly.
#
# pip runs only when pyproject.toml (or the Python, or the extras asked for) changed since the last
# install: .venv/coastal-installed holds a hash of those. Delete it to force a reinstall.
# pip's errors still show; its progress bars, warnings, version notice and root-user notice do not.

coastal_install() {  # coastal_install [EXTRAS], e.g. coastal_install test
  local extras=${1:-} python=${PYTHON:-python3.11} stamp=.venv/coastal-installed wanted
  command -v "$python" >/dev/null || python=python3
  if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $("$python" --version 2>&1) ..."
    "$python" -m venv .venv
  fi
  wanted="$( (cat pyproject.toml; .venv/bin/python --version; echo "extras=$extras") | sha256sum | cut -d' ' -f1)"
  # An install that also had the test tools covers one without them.
  if [ -f "$stamp" ] && { grep -qx "$wanted" "$stamp" || { [ -z "$extras" ] && grep -qx "$(
      (cat pyproject.toml; .venv/bin/python --version; echo "extras=test") | sha256sum | cut -d' ' -f1)" "$stamp"; }; }; then
    return 0
  fi
  echo "Installing Coastal${extras:+ with its $extras tools} into .venv (pip; the first install, about 700 MB, takes a minute or more) ..."
  PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
    .venv/bin/python -m pip install --quiet --quiet --progress-bar off -e ".${extras:+[$extras]}"
  echo "$wanted" >"$stamp"
}
